// Microstructure on the shared real ETH/USDT trades (expected figures computed independently: awk sums over
// the CSV, and a separate Python VPIN implementation), plus hand-worked book OFI/OBI and fair value cases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ofiEvent } from '../../src/analytics/micro/book-ofi.js';
import { MicroEngine, type MicroParams } from '../../src/analytics/micro/micro.js';
import { normCdf } from '../../src/analytics/micro/normal.js';
import type { Trade } from '../../src/protocol/index.js';
import { ETH_TRADES_FILE, loadEthTrades, missing } from '../helpers/market-data.js';

const params = (over: Partial<MicroParams> = {}): MicroParams => ({
  windowSec: 300, whaleNotional: 100_000, bookLevels: 5, asGamma: 0.1, asHorizonSec: 60,
  vpin: { bucketVolume: 100, buckets: 10, barMs: 1000, sigmaBars: 50 }, ...over,
});
const near = (a: number | null | undefined, b: number, tol: number, what: string) =>
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) <= tol, `${what}: got ${a}, expected ${b} ± ${tol}`);

const trades = loadEthTrades();
if (!trades) {
  console.log(missing(ETH_TRADES_FILE));
  test.skip('CVD, OFI, whales and VPIN on the shared ETH trades (../shared/data absent)', () => {});
} else {
  const END = 1675329808000; // the second after the last trade (…807.493): every bar is closed
  test('CVD, OFI and whale flow on the 1,000 shared ETH trades match sums taken straight from the CSV', () => {
    const m = new MicroEngine(params());
    for (const t of trades) m.onTrade(t);
    const s = m.snapshot(END);
    // awk: buy 3479.549 (527 trades), sell 3088.419 (473 trades).
    assert.is(s.trades, 1000);
    near(s.buyVolume, 3479.549, 1e-9, 'buy volume');
    near(s.sellVolume, 3088.419, 1e-9, 'sell volume');
    near(s.cvd, 391.13, 1e-9, 'CVD');
    near(s.ofi, 391.13 / 6567.968, 1e-12, 'OFI');
    // awk: 17 trades with cost ≥ 100,000: buy notional 1,587,004.87531, sell 1,359,992.75968.
    assert.is(s.whaleTrades, 17);
    near(s.whaleBuyNotional, 1_587_004.87531, 1e-4, 'whale buy notional');
    near(s.whaleSellNotional, 1_359_992.75968, 1e-4, 'whale sell notional');
    const m50 = new MicroEngine(params({ whaleNotional: 50_000 }));
    for (const t of trades) m50.onTrade(t);
    const s50 = m50.snapshot(END);
    assert.is(s50.whaleTrades, 61); // awk: 61 trades ≥ 50,000 (3,331,486.32428 buy / 2,643,638.30756 sell)
    near(s50.whaleBuyNotional, 3_331_486.32428, 1e-4, 'whale buy ≥ 50k');
    // Only the trades before 09:21:40 (414 of them): CVD 288.41 over the window ending there.
    const part = new MicroEngine(params());
    for (const t of trades.filter((x) => x.ts < 1675329700000)) part.onTrade(t);
    const sp = part.snapshot(1675329699999);
    assert.is(sp.trades, 414);
    near(sp.cvd, 288.41, 1e-9, 'partial CVD');
  });

  test('VPIN (1 s bars, bulk volume classification) matches an independent implementation on the shared trades', () => {
    // Python reference (test comment, not code under test): 199 bars; V=100, n=10 → 65 buckets, VPIN 0.522195753334183;
    // V=250, n=20 → 26 buckets, VPIN 0.634440147560032.
    for (const [V, n, expected] of [[100, 10, 0.522195753334183], [250, 20, 0.634440147560032]] as const) {
      const m = new MicroEngine(params({ vpin: { bucketVolume: V, buckets: n, barMs: 1000, sigmaBars: 50 } }));
      for (const t of trades) m.onTrade(t);
      near(m.snapshot(END).vpin, expected, 1e-9, `VPIN V=${V} n=${n}`);
    }
    // Not enough buckets yet → null, not a number.
    const few = new MicroEngine(params({ vpin: { bucketVolume: 1000, buckets: 10, barMs: 1000, sigmaBars: 50 } }));
    for (const t of trades) few.onTrade(t);
    assert.is(few.snapshot(END).vpin, null);
  });

  test('when the trades have left the window the flow fields are null, not zero', () => {
    const m = new MicroEngine(params());
    for (const t of trades) m.onTrade(t);
    const s = m.snapshot(END + 600_000);
    assert.is(s.trades, 0);
    for (const k of ['cvd', 'ofi', 'vpin', 'whaleBuyNotional', 'whaleSellNotional', 'fairValue', 'obi', 'ofiBook'] as const) assert.is(s[k], null, k);
  });
}

test('no trades and no book at all: every microstructure field is null', () => {
  const s = new MicroEngine(params()).snapshot(Date.UTC(2026, 0, 1));
  for (const [k, v] of Object.entries(s)) if (k !== 'windowSec' && k !== 'trades') assert.is(v, null, k);
});

test('book OFI (Cont-Kukanov-Stoikov) and book imbalance on a hand-worked sequence', () => {
  // bid up with new size: +qb; ask unchanged and bigger: −(qa) + qa' …
  assert.is(ofiEvent({ bid: 100, bidQty: 5, ask: 101, askQty: 4 }, { bid: 100.5, bidQty: 2, ask: 101, askQty: 6 }), 2 - 6 + 4);
  assert.is(ofiEvent({ bid: 100, bidQty: 5, ask: 101, askQty: 4 }, { bid: 99.5, bidQty: 7, ask: 100.5, askQty: 3 }), -5 - 3);
  assert.is(ofiEvent({ bid: 100, bidQty: 5, ask: 101, askQty: 4 }, { bid: 100, bidQty: 8, ask: 101, askQty: 4 }), 8 - 5 - 4 + 4);
  const m = new MicroEngine(params());
  const t0 = Date.UTC(2026, 0, 1);
  m.onBook({ symbol: 'X', ts: t0, bids: [[100, 5], [99, 1]], asks: [[101, 4], [102, 2]] });
  m.onBook({ symbol: 'X', ts: t0 + 1000, bids: [[100.5, 2], [100, 5]], asks: [[101, 6], [102, 2]] });
  const s = m.snapshot(t0 + 2000);
  assert.is(s.ofiBook, 2 - 6 + 4);
  assert.is(s.obi, (7 - 8) / 15);
  assert.is(s.mid, 100.75);
  assert.is(s.spread, 0.5);
  assert.is(s.cvd, null, 'a book without trades says nothing about trade flow');
});

test('Avellaneda-Stoikov fair value: r = s − q·γ·σ²·T with q = −OFI, worked by hand', () => {
  const m = new MicroEngine(params({ asGamma: 0.5, asHorizonSec: 10 }));
  const t0 = Date.UTC(2026, 0, 1);
  const tr = (i: number, ts: number, price: number, qty: number, side: 'buy' | 'sell'): Trade => ({ id: String(i), ts, price, qty, side });
  // Three 1 s bars closing at 100, 101, 100 → price changes +1, −1: σ² = 1 per second.
  m.onTrade(tr(1, t0 + 100, 100, 3, 'buy'));
  m.onTrade(tr(2, t0 + 1100, 101, 1, 'sell'));
  m.onTrade(tr(3, t0 + 2100, 100, 1, 'buy'));
  m.onBook({ symbol: 'X', ts: t0 + 2200, bids: [[99.5, 1]], asks: [[100.5, 1]] });
  const s = m.snapshot(t0 + 3000);
  // OFI = (4 − 1)/5 = 0.6 → q = −0.6; r = 100 + 0.6 · 0.5 · 1 · 10 = 103.
  near(s.ofi, 0.6, 1e-12, 'OFI');
  near(s.fairValue, 103, 1e-9, 'fair value');
});

test('Φ, the normal CDF used by bulk volume classification, to 1e-12', () => {
  // Values from the closed form (Python math.erf).
  for (const [x, p] of [[0, 0.5], [1, 0.8413447460685429], [-1.96, 0.024997895148220428], [3.5, 0.9997673709209645], [-6, 9.865876450377012e-10]] as const) {
    assert.ok(Math.abs(normCdf(x) - p) <= 1e-12 * Math.max(1, p / 1e-3), `Φ(${x}) = ${normCdf(x)} ≠ ${p}`);
  }
});

test.run();
