// The simulated venue's core: one-way positions, market/limit/stop/take-profit matching on price bars, fees.
// Guarantees: deterministic (ids from a counter, time passed in), exact decimals, serializable state, and a
// conservative intrabar rule (a bar that touches both stop and target fills the stop).
import { D, dec, str, type Dec } from '../../domain/decimal.js';
import { ExchangeError } from '../errors.js';
import type { Balance, ExFill, ExOrder, ExPosition, MarketInfo, OrderRequest } from '../types.js';

export interface Bar {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

export interface SimOptions {
  markets: MarketInfo[];
  takerFee: number;
  makerFee: number;
  startingBalance: number;
  leverage: number;
  quote?: string;
}

interface SimPosition {
  side: 'long' | 'short';
  qty: string;
  entryPrice: string;
}

export interface SimState {
  seq: number;
  balance: string;
  positions: Record<string, SimPosition>;
  orders: ExOrder[];
  fills: ExFill[];
  prices: Record<string, number>;
  ts: number;
}

const OPEN = new Set(['new', 'partially_filled']);

export class SimVenue {
  private s: SimState;
  private readonly markets: Map<string, MarketInfo>;

  constructor(readonly opts: SimOptions, state?: SimState) {
    this.markets = new Map(opts.markets.map((m) => [m.symbol, m]));
    this.s = state ? structuredClone(state) : { seq: 0, balance: str(opts.startingBalance), positions: {}, orders: [], fills: [], prices: {}, ts: 0 };
  }

  get quote(): string {
    return this.opts.quote ?? 'USDT';
  }

  state(): SimState {
    return structuredClone(this.s);
  }

  market(symbol: string): MarketInfo {
    const m = this.markets.get(symbol);
    if (!m) throw new ExchangeError(`unknown symbol ${symbol}`, 'definitive', -1121);
    return m;
  }

  price(symbol: string): number | undefined {
    return this.s.prices[symbol];
  }

  placeOrder(req: OrderRequest, now: number): ExOrder {
    const m = this.market(req.symbol);
    if (this.s.orders.some((o) => o.clientId === req.clientId && OPEN.has(o.status))) {
      throw new ExchangeError(`client order id ${req.clientId} is duplicated among open orders`, 'definitive', -4116);
    }
    const conditional = req.type === 'stop_market' || req.type === 'take_profit_market';
    if (conditional && !req.stopPrice) throw new ExchangeError('stopPrice is required', 'definitive', -1102);
    if (req.type === 'limit' && !req.price) throw new ExchangeError('price is required for a limit order', 'definitive', -1102);
    if (!req.closePosition) {
      if (!req.qty || dec(req.qty).lte(0)) throw new ExchangeError('quantity must be positive', 'definitive', -1102);
      if (!dec(req.qty).mod(m.qtyStep).isZero()) throw new ExchangeError(`quantity ${req.qty} is not a multiple of ${m.qtyStep}`, 'definitive', -1111);
      if (dec(req.qty).lt(m.minQty)) throw new ExchangeError(`quantity below minimum ${m.minQty}`, 'definitive', -4003);
      const ref = req.price ?? req.stopPrice ?? this.s.prices[req.symbol];
      if (ref !== undefined && !req.reduceOnly && dec(req.qty).mul(ref).lt(m.minNotional)) {
        throw new ExchangeError(`order notional below minimum ${m.minNotional}`, 'definitive', -4164);
      }
    }
    for (const p of [req.price, req.stopPrice]) {
      if (p !== undefined && !dec(p).mod(m.tickSize).isZero()) throw new ExchangeError(`price ${p} is not a multiple of ${m.tickSize}`, 'definitive', -4014);
    }
    if (req.reduceOnly && !conditional && !this.s.positions[req.symbol]) {
      throw new ExchangeError('reduce-only order rejected: no position', 'definitive', -2022);
    }
    const o: ExOrder = {
      symbol: req.symbol, clientId: req.clientId, exchangeId: String(++this.s.seq), side: req.side, type: req.type,
      status: 'new', qty: req.closePosition ? '0' : str(req.qty!), filledQty: '0', avgPrice: null,
      price: req.price ?? null, stopPrice: req.stopPrice ?? null, reduceOnly: !!req.reduceOnly || !!req.closePosition,
      closePosition: !!req.closePosition, conditional, createdAt: now, updatedAt: now,
    };
    this.s.orders.push(o);
    return { ...o };
  }

  cancelOrder(symbol: string, clientId: string, now: number): ExOrder {
    const o = this.findOpen(symbol, clientId);
    if (!o) throw new ExchangeError(`unknown order ${clientId}`, 'definitive', -2011);
    o.status = 'cancelled';
    o.updatedAt = now;
    return { ...o };
  }

  orderByClientId(symbol: string, clientId: string): ExOrder | null {
    const all = this.s.orders.filter((o) => o.symbol === symbol && o.clientId === clientId);
    const o = all.find((x) => OPEN.has(x.status)) ?? all.at(-1);
    return o ? { ...o } : null;
  }

  /** Every order ever placed with this client id (for invariant checks). */
  ordersWithClientId(clientId: string): ExOrder[] {
    return this.s.orders.filter((o) => o.clientId === clientId).map((o) => ({ ...o }));
  }

  allOrders(): ExOrder[] {
    return this.s.orders.map((o) => ({ ...o }));
  }

  openOrders(symbol?: string): ExOrder[] {
    return this.s.orders.filter((o) => OPEN.has(o.status) && (!symbol || o.symbol === symbol)).map((o) => ({ ...o }));
  }

  positions(): ExPosition[] {
    return Object.entries(this.s.positions).map(([symbol, p]) => {
      const mark = this.s.prices[symbol] ?? Number(p.entryPrice);
      return {
        symbol, side: p.side, qty: p.qty, entryPrice: p.entryPrice, markPrice: str(mark),
        unrealizedPnl: str(this.upnl(p, mark)), leverage: this.opts.leverage, liquidationPrice: null, updatedAt: this.s.ts,
      };
    });
  }

  balance(): Balance[] {
    const upnl = Object.entries(this.s.positions).reduce<Dec>((a, [sym, p]) => a.add(this.upnl(p, this.s.prices[sym] ?? Number(p.entryPrice))), new D(0));
    return [{ asset: this.quote, total: this.s.balance, free: this.s.balance, unrealizedPnl: str(upnl) }];
  }

  fills(symbol: string, since: number): ExFill[] {
    return this.s.fills.filter((f) => f.symbol === symbol && f.ts >= since).map((f) => ({ ...f }));
  }

  /** Moves the market by one bar: pending market orders fill at its open, then limits, stops and targets. */
  onBar(symbol: string, bar: Bar): ExFill[] {
    this.s.ts = bar.ts;
    const out: ExFill[] = [];
    const open = this.s.orders.filter((o) => o.symbol === symbol && OPEN.has(o.status));
    for (const o of open.filter((x) => x.type === 'market')) out.push(...this.fillOrder(o, bar.open, false, bar.ts));
    for (const o of open.filter((x) => x.type === 'limit')) {
      const px = Number(o.price);
      // A limit already marketable at the bar's open fills at the open; otherwise at its own price.
      if (o.side === 'buy' && bar.low <= px) out.push(...this.fillOrder(o, Math.min(px, bar.open), bar.open > px, bar.ts));
      if (o.side === 'sell' && bar.high >= px) out.push(...this.fillOrder(o, Math.max(px, bar.open), bar.open < px, bar.ts));
    }
    // Stops before targets: when one bar touches both, the conservative assumption is the stop came first.
    const conditional = open.filter((x) => x.conditional).sort((a, b) => (a.type === b.type ? 0 : a.type === 'stop_market' ? -1 : 1));
    for (const o of conditional) {
      if (!OPEN.has(o.status)) continue;
      const trig = Number(o.stopPrice);
      const up = o.type === 'stop_market' ? o.side === 'buy' : o.side === 'sell';
      const hit = up ? bar.high >= trig : bar.low <= trig;
      if (!hit) continue;
      const px = up ? Math.max(trig, bar.open) : Math.min(trig, bar.open);
      out.push(...this.fillOrder(o, o.type === 'stop_market' ? px : trig, false, bar.ts));
    }
    this.s.prices[symbol] = bar.close;
    return out;
  }

  private findOpen(symbol: string, clientId: string): ExOrder | undefined {
    return this.s.orders.find((o) => o.symbol === symbol && o.clientId === clientId && OPEN.has(o.status));
  }

  private upnl(p: SimPosition, mark: number): Dec {
    const diff = dec(mark).sub(p.entryPrice).mul(p.qty);
    return p.side === 'long' ? diff : diff.neg();
  }

  private fillOrder(o: ExOrder, price: number, isMaker: boolean, ts: number): ExFill[] {
    const m = this.market(o.symbol);
    const pos = this.s.positions[o.symbol];
    let qty = dec(o.qty).sub(o.filledQty);
    if (o.reduceOnly) {
      const closing = pos && ((pos.side === 'long' && o.side === 'sell') || (pos.side === 'short' && o.side === 'buy'));
      if (!closing) {
        o.status = 'expired';
        o.updatedAt = ts;
        return [];
      }
      qty = o.closePosition ? dec(pos.qty) : D.min(qty, pos.qty);
    }
    const px = dec(price).div(m.tickSize).round().mul(m.tickSize);
    const fill = this.applyFill(o, qty, px, isMaker, ts);
    o.filledQty = str(dec(o.filledQty).add(qty));
    if (o.closePosition) o.qty = o.filledQty;
    o.avgPrice = str(px);
    o.status = 'filled';
    o.updatedAt = ts;
    return [fill];
  }

  private applyFill(o: ExOrder, qty: Dec, px: Dec, isMaker: boolean, ts: number): ExFill {
    const fee = px.mul(qty).mul(isMaker ? this.opts.makerFee : this.opts.takerFee);
    const dir = o.side === 'buy' ? 'long' : 'short';
    const pos = this.s.positions[o.symbol];
    let realized = new D(0);
    if (!pos) {
      this.s.positions[o.symbol] = { side: dir, qty: str(qty), entryPrice: str(px) };
    } else if (pos.side === dir) {
      const newQty = dec(pos.qty).add(qty);
      const entry = dec(pos.entryPrice).mul(pos.qty).add(px.mul(qty)).div(newQty);
      this.s.positions[o.symbol] = { side: dir, qty: str(newQty), entryPrice: str(entry) };
    } else {
      const closeQty = D.min(qty, pos.qty);
      const diff = px.sub(pos.entryPrice).mul(closeQty);
      realized = pos.side === 'long' ? diff : diff.neg();
      const left = dec(pos.qty).sub(closeQty);
      const flip = qty.sub(closeQty);
      if (left.gt(0)) this.s.positions[o.symbol] = { ...pos, qty: str(left) };
      else if (flip.gt(0)) this.s.positions[o.symbol] = { side: dir, qty: str(flip), entryPrice: str(px) };
      else delete this.s.positions[o.symbol];
    }
    this.s.balance = str(dec(this.s.balance).add(realized).sub(fee));
    const f: ExFill = {
      symbol: o.symbol, tradeId: String(++this.s.seq), clientId: o.clientId, exchangeOrderId: o.exchangeId, side: o.side,
      qty: str(qty), price: str(px), fee: str(fee), feeAsset: this.quote, realizedPnl: str(realized), isMaker, ts,
    };
    this.s.fills.push(f);
    return { ...f };
  }
}
