// Microstructure of one symbol from trades (market.trades) and the top of book (market.book): CVD, VPIN,
// trade-flow imbalance, book imbalance and book OFI, whale flow, Avellaneda-Stoikov fair value.
// Guarantees every field is null when its source has no data in the window (never zeros standing in for data).
import type { BookTop, Microstructure, Trade } from '../../protocol/index.js';
import { ofiEvent, type Top } from './book-ofi.js';
import { TimeBuckets } from './time-buckets.js';
import { Vpin, type VpinParams } from './vpin.js';

export interface MicroParams {
  /** Rolling window of the flow figures (CVD, OFI, whales, book OFI). */
  windowSec: number;
  /** A trade whose notional (price × qty) reaches this is a whale trade. */
  whaleNotional: number;
  vpin: VpinParams;
  /** Book levels counted in the book imbalance. */
  bookLevels: number;
  /** Avellaneda-Stoikov risk aversion γ (per price unit) and horizon T − t. */
  asGamma: number;
  asHorizonSec: number;
}

// Trade-bucket fields.
const BUY = 0, SELL = 1, WHALE_BUY = 2, WHALE_SELL = 3, WHALE_N = 4, N = 5;
const T_FIELDS = 6;

export class MicroEngine {
  readonly trades: TimeBuckets;
  readonly bookFlow: TimeBuckets;
  readonly vpin: Vpin;
  lastTradeTs = -1;
  lastPrice = Number.NaN;
  lastTradeId = '';
  book: BookTop | null = null;
  top: Top | null = null;
  private readonly tv = new Float64Array(T_FIELDS);
  private readonly tsum = new Float64Array(T_FIELDS);
  private readonly bv = new Float64Array(1);
  private readonly bsum = new Float64Array(1);

  constructor(readonly p: MicroParams) {
    this.trades = new TimeBuckets(p.windowSec * 1000, 60, T_FIELDS);
    this.bookFlow = new TimeBuckets(p.windowSec * 1000, 60, 1);
    this.vpin = new Vpin(p.vpin);
  }

  onTrade(t: Trade): void {
    if (!(t.qty > 0) || !(t.price > 0)) return;
    const notional = t.price * t.qty;
    const whale = notional >= this.p.whaleNotional;
    const v = this.tv;
    v.fill(0);
    v[t.side === 'buy' ? BUY : SELL] = t.qty;
    if (whale) {
      v[t.side === 'buy' ? WHALE_BUY : WHALE_SELL] = notional;
      v[WHALE_N] = 1;
    }
    v[N] = 1;
    this.trades.add(t.ts, v);
    this.vpin.add(t.ts, t.price, t.qty);
    if (t.ts >= this.lastTradeTs) {
      this.lastTradeTs = t.ts;
      this.lastPrice = t.price;
      this.lastTradeId = t.id;
    }
  }

  onBook(b: BookTop): void {
    const bid = b.bids[0];
    const ask = b.asks[0];
    if (!bid || !ask) return;
    const top = { bid: bid[0], bidQty: bid[1], ask: ask[0], askQty: ask[1] };
    if (this.top) {
      this.bv[0] = ofiEvent(this.top, top);
      this.bookFlow.add(b.ts, this.bv);
    }
    this.top = top;
    this.book = b;
  }

  snapshot(ts: number): Microstructure {
    const windowMs = this.p.windowSec * 1000;
    this.vpin.flush(ts);
    const t = this.trades.total(ts, this.tsum);
    const hasTrades = t !== null && t[N]! > 0;
    const buy = hasTrades ? t[BUY]! : null;
    const sell = hasTrades ? t[SELL]! : null;
    const fresh = this.lastTradeTs >= 0 && ts - this.lastTradeTs <= windowMs;
    const bookFresh = this.book !== null && ts - this.book.ts <= windowMs;
    const ofi = buy !== null && sell !== null && buy + sell > 0 ? (buy - sell) / (buy + sell) : null;
    let obi: number | null = null;
    let mid: number | null = null;
    let spread: number | null = null;
    if (bookFresh && this.book) {
      let b = 0;
      let a = 0;
      for (let i = 0; i < Math.min(this.p.bookLevels, this.book.bids.length); i++) b += this.book.bids[i]![1];
      for (let i = 0; i < Math.min(this.p.bookLevels, this.book.asks.length); i++) a += this.book.asks[i]![1];
      obi = a + b > 0 ? (b - a) / (a + b) : null;
      mid = (this.top!.bid + this.top!.ask) / 2;
      spread = this.top!.ask - this.top!.bid;
    }
    const bf = bookFresh ? this.bookFlow.total(ts, this.bsum) : null;
    // Avellaneda-Stoikov reservation price r = s − q·γ·σ²·(T − t): s = mid (else last trade), σ² per second from
    // the VPIN bars' price changes, q = market makers' inventory, opposite to the takers' net flow (−OFI).
    let fairValue: number | null = null;
    const s = mid ?? (fresh ? this.lastPrice : null);
    const dp = this.vpin.dp;
    if (s !== null && ofi !== null && fresh && dp.ring.size >= 2) {
      const sigma2PerSec = dp.variance / (this.p.vpin.barMs / 1000);
      const q = -ofi;
      fairValue = s - q * this.p.asGamma * sigma2PerSec * this.p.asHorizonSec;
    }
    return {
      cvd: buy !== null && sell !== null ? buy - sell : null,
      vpin: fresh ? this.vpin.value : null,
      ofi,
      obi,
      whaleBuyNotional: hasTrades ? t![WHALE_BUY]! : null,
      whaleSellNotional: hasTrades ? t![WHALE_SELL]! : null,
      fairValue,
      windowSec: this.p.windowSec,
      trades: hasTrades ? t![N]! : 0,
      buyVolume: buy,
      sellVolume: sell,
      whaleTrades: hasTrades ? t![WHALE_N]! : null,
      ofiBook: bf ? bf[0]! : null,
      mid,
      spread,
      lastTradeTs: this.lastTradeTs >= 0 ? this.lastTradeTs : null,
    };
  }
}
