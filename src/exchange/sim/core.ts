// The simulated venue's core: a regular and an algo (conditional) order book, matching on bars or ticks, partial fills,
// maker/taker fees, mark price, funding every interval, one-way positions with leverage, margin checks and liquidation.
// Guarantees: deterministic (ids from a counter, time passed in), exact decimals, serializable state; every change is
// recorded in a ChangeSet (drain) so the caller persists it before telling anyone; in bar mode a bar that touches both
// stop and target fills the stop (conservative).
import { D, dec, floorToStep, str, type Dec } from '../../domain/decimal.js';
import { ExchangeError } from '../errors.js';
import type { Balance, ExFill, ExOrder, ExPosition, MarketInfo, OrderRequest } from '../types.js';
import { applyToPosition, fundingPayment, liquidationPrice, signOf, unrealized } from './account.js';
import { maxNotionalAt, type SimMarket } from './markets.js';
import type { AccountSnapshot } from './store.js';
import type { AlgoStatus, ChangeSet, ExecType, Segment, SimFunding, SimOptions, SimOrder, SimPosition, SimState, VenueEvent } from './sim-types.js';

export type { Segment, SimOptions, SimState, SimOrder, VenueEvent, ChangeSet } from './sim-types.js';

export interface Bar {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume?: number;
}

export interface BookLevels {
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
}

export interface AccountView {
  wallet: string;
  unrealizedPnl: string;
  positionInitialMargin: string;
  openOrderInitialMargin: string;
  maintMargin: string;
  available: string;
}

const OPEN = new Set(['new', 'partially_filled']);
const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const DEFAULTS = { marketFill: 'next_bar', participation: 0, fundingIntervalMs: 8 * 3_600_000, interestRate: 0.0001, liquidationFeeRate: 0.005, markSmoothing: 0.3, rejectWouldTrigger: false, positionMode: 'one_way', marginType: 'cross' } as const;

/** Client id prefixes of the exchange's own closing orders (Binance's). */
const FORCED_PREFIX = { liquidation: 'autoclose-', adl: 'adl_autoclose-', insurance: 'autoclose-', settlement: 'settlement_autoclose-' } as const;
export type ForcedClose = keyof typeof FORCED_PREFIX;

const reject = (code: number, msg: string): never => {
  throw new ExchangeError(msg, 'definitive', code);
};

export class SimVenue {
  private s: SimState;
  private readonly markets: Map<string, SimMarket>;
  private readonly o: Required<SimOptions>;
  private changed: { orders: Map<number, SimOrder>; fills: ExFill[]; funding: SimFunding[]; positions: Set<string>; events: VenueEvent[] } = SimVenue.emptyChanges();
  /** The open orders of both books in placement order (kept by `dirty`, which every order change goes through). */
  private live: SimOrder[];
  /** The funding rate in force at a time, from outside (the venue's derivatives data); null: the premium formula. */
  fundingRateOf: ((symbol: string, ts: number) => number | null) | null = null;

  constructor(opts: SimOptions, state?: SimState) {
    this.o = { quote: 'USDT', ...DEFAULTS, ...opts } as Required<SimOptions>;
    this.markets = new Map(opts.markets.map((m) => [m.symbol, m]));
    this.s = state
      ? structuredClone(state)
      : { seq: 0, ts: 0, balance: str(opts.startingBalance), leverage: {}, positions: {}, orders: [], fills: [], funding: [], prices: {}, marks: {}, premium: {}, nextFundingTime: 0 };
    this.live = this.s.orders.filter((o) => OPEN.has(o.status));
  }

  private static emptyChanges() {
    return { orders: new Map<number, SimOrder>(), fills: [] as ExFill[], funding: [] as SimFunding[], positions: new Set<string>(), events: [] as VenueEvent[] };
  }

  get opts(): Required<SimOptions> {
    return this.o;
  }

  get quote(): string {
    return this.o.quote;
  }

  state(): SimState {
    return structuredClone(this.s);
  }

  /** The account part of the state (small; rewritten on every save). */
  accountSnapshot(): AccountSnapshot {
    const { seq, ts, balance, leverage, positions, prices, marks, premium, nextFundingTime, marginType } = this.s;
    return structuredClone({ seq, ts, balance, leverage, positions, prices, marks, premium, nextFundingTime, ...(marginType ? { marginType } : {}) });
  }

  /** Everything changed since the last drain (copies), and a fresh change log. */
  drain(): ChangeSet {
    const c = this.changed;
    this.changed = SimVenue.emptyChanges();
    return { orders: [...c.orders.values()].map((o) => ({ ...o })), fills: c.fills, funding: c.funding, positions: [...c.positions], events: c.events };
  }

  get hasChanges(): boolean {
    return this.changed.orders.size > 0 || this.changed.fills.length > 0 || this.changed.funding.length > 0 || this.changed.positions.size > 0;
  }

  market(symbol: string): SimMarket {
    const m = this.markets.get(symbol);
    if (!m) return reject(-1121, `Invalid symbol ${symbol}.`);
    return m;
  }

  marketInfo(): MarketInfo[] {
    return this.o.markets.map(({ maintMarginRate: _a, bookLevelQty: _b, spreadTicks: _c, ...m }) => m);
  }

  price(symbol: string): number | undefined {
    return this.s.prices[symbol];
  }

  mark(symbol: string): number | undefined {
    return this.s.marks[symbol] ?? this.s.prices[symbol];
  }

  get now(): number {
    return this.s.ts;
  }

  get nextFundingTime(): number {
    return this.s.nextFundingTime;
  }

  leverage(symbol: string): number {
    return this.s.leverage[symbol] ?? Math.min(this.o.leverage, this.market(symbol).maxLeverage);
  }

  setLeverage(symbol: string, leverage: number): number {
    const m = this.market(symbol);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > m.maxLeverage) reject(-4028, `Leverage ${leverage} is not valid`);
    const p = this.s.positions[symbol];
    if (p && dec(p.qty).mul(this.mark(symbol) ?? Number(p.entryPrice)).gt(maxNotionalAt(m.brackets, leverage))) reject(-2027, 'Exceeded the maximum allowable position at current leverage.');
    this.s.leverage[symbol] = leverage;
    return leverage;
  }

  /** The largest position notional the symbol's current leverage allows (its bracket's cap). */
  maxNotional(symbol: string): number {
    return maxNotionalAt(this.market(symbol).brackets, this.leverage(symbol));
  }

  get positionMode(): 'one_way' | 'hedge' {
    return this.o.positionMode;
  }

  marginType(symbol: string): 'isolated' | 'cross' {
    this.market(symbol);
    return this.s.marginType?.[symbol] ?? this.o.marginType;
  }

  /** POST /fapi/v1/marginType: -4046 when already so; -4047 / -4048 while orders or a position are open. */
  setMarginType(symbol: string, type: 'isolated' | 'cross'): void {
    if (this.marginType(symbol) === type) reject(-4046, 'No need to change margin type.');
    if (this.s.positions[symbol]) reject(-4048, 'Margin type cannot be changed if there exists position.');
    if (this.live.some((o) => o.symbol === symbol)) reject(-4047, 'Margin type cannot be changed if there exists open orders.');
    (this.s.marginType ??= {})[symbol] = type;
  }

  // ---------------------------------------------------------------- orders

  placeOrder(req: OrderRequest, now: number): SimOrder {
    const m = this.market(req.symbol);
    this.touch(now);
    if (this.o.positionMode === 'hedge') reject(-4061, "Order's position side does not match user's setting.");
    const conditional = req.type === 'stop_market' || req.type === 'take_profit_market';
    const book = conditional ? 'algo' : 'regular';
    if (!CLIENT_ID.test(req.clientId)) reject(-4015, 'Client order id is not valid.');
    if (this.live.some((o) => o.book === book && o.clientId === req.clientId)) {
      if (conditional) reject(-20132, 'The client algo id is duplicated');
      reject(-4116, 'ClientOrderId is duplicated.');
    }
    if (conditional && !req.stopPrice) reject(-1102, "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed.");
    if (req.type === 'limit' && !req.price) reject(-1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
    if (req.closePosition && !conditional) reject(-1106, "Parameter 'closePosition' sent when not required.");
    if (req.closePosition && req.qty !== undefined && dec(req.qty).gt(0)) reject(-1106, "Parameter 'quantity' sent when not required.");
    // One open closePosition conditional per symbol, side and type (a closePosition stop and target may coexist).
    if (req.closePosition && this.live.some((o) => o.book === 'algo' && o.closePosition && o.symbol === req.symbol && o.side === req.side && o.type === req.type)) {
      reject(-4130, 'An open stop or take profit order with GTE and closePosition in the direction is existing.');
    }
    if (conditional && this.o.rejectWouldTrigger && this.wouldTrigger(req)) reject(-2021, 'Order would immediately trigger.');
    const ref = req.price ?? req.stopPrice ?? this.s.prices[req.symbol];
    if (!req.closePosition) {
      if (!req.qty || dec(req.qty).lte(0)) reject(-4003, 'Quantity less than or equal to zero.');
      if (!dec(req.qty!).mod(m.qtyStep).isZero()) reject(-1111, 'Precision is over the maximum defined for this asset.');
      if (dec(req.qty!).lt(m.minQty)) reject(-4003, `Quantity less than minimum ${m.minQty}.`);
      if (ref !== undefined && !req.reduceOnly && dec(req.qty!).mul(ref).lt(m.minNotional)) {
        reject(-4164, `Order's notional must be no smaller than ${m.minNotional} (unless you choose reduce only).`);
      }
    }
    for (const p of [req.price, req.stopPrice]) {
      if (p !== undefined && (dec(p).lte(0) || !dec(p).mod(m.tickSize).isZero())) reject(-4014, 'Price not increased by tick size.');
    }
    const pos = this.s.positions[req.symbol];
    const reduces = !!pos && ((pos.side === 'long' && req.side === 'sell') || (pos.side === 'short' && req.side === 'buy'));
    if (req.reduceOnly && !conditional && !reduces) reject(-2022, 'ReduceOnly Order is rejected.');
    if (!req.reduceOnly && !req.closePosition && !conditional) {
      const px = dec(ref ?? 0);
      const need = dec(req.qty!).mul(px).div(this.leverage(req.symbol));
      const openQty = reduces ? D.max(0, dec(req.qty!).sub(pos!.qty)) : dec(req.qty!);
      if (openQty.gt(0) && need.mul(openQty.div(req.qty!)).gt(this.available())) reject(-2019, 'Margin is insufficient.');
      // The position this order could make may not pass the leverage bracket's notional cap.
      const after = reduces ? D.max(0, dec(req.qty!).sub(pos!.qty)) : dec(req.qty!).add(pos?.qty ?? 0);
      if (after.mul(px).gt(this.maxNotional(req.symbol))) reject(-2027, 'Exceeded the maximum allowable position at current leverage.');
    }
    const o: SimOrder = {
      id: ++this.s.seq, book, clientId: req.clientId, symbol: req.symbol, side: req.side, type: req.type,
      status: 'new', algoStatus: conditional ? 'NEW' : null, qty: req.closePosition ? '0' : str(req.qty!), filledQty: '0', avgPrice: null, cumQuote: '0',
      price: req.price !== undefined ? str(req.price) : null, stopPrice: req.stopPrice !== undefined ? str(req.stopPrice) : null,
      timeInForce: req.timeInForce ?? 'GTC', reduceOnly: !!req.reduceOnly || !!req.closePosition, closePosition: !!req.closePosition,
      workingType: req.workingType ?? 'CONTRACT_PRICE', actualOrderId: null, parentAlgoId: null, createdAt: now, updatedAt: now, triggeredAt: null, reason: null,
    };
    if (req.type === 'limit' && this.o.marketFill === 'immediate' && o.timeInForce === 'GTX' && this.marketable(o)) {
      reject(-5022, 'Due to the order could not be executed as maker, the Post Only order will be rejected.');
    }
    this.s.orders.push(o);
    this.dirty(o);
    if (conditional) this.emit({ kind: 'algo', order: { ...o }, ts: now });
    else this.emit({ kind: 'order', order: { ...o }, fill: null, exec: 'NEW', ts: now });
    if (this.o.marketFill === 'immediate' && !conditional) {
      if (o.type === 'market') {
        if (this.s.prices[o.symbol] === undefined) this.expire(o, now, 'no market price yet');
        else this.takeFromBook(o, null, now);
      } else if (this.marketable(o)) {
        this.takeFromBook(o, dec(o.price!), now);
      }
      if (OPEN.has(o.status) && o.timeInForce === 'IOC') this.expire(o, now, 'IOC remainder');
    }
    return { ...o };
  }

  /** A conditional whose trigger the price it watches (mark or last) has already reached. */
  private wouldTrigger(req: OrderRequest): boolean {
    const ref = req.workingType === 'MARK_PRICE' ? this.mark(req.symbol) : this.s.prices[req.symbol];
    if (ref === undefined || !req.stopPrice) return false;
    const up = req.type === 'stop_market' ? req.side === 'buy' : req.side === 'sell';
    return up ? ref >= Number(req.stopPrice) : ref <= Number(req.stopPrice);
  }

  /** Cancels by client id or venue id in one book; throws -2011 / -20124 when there is no such open order. */
  cancelOrder(symbol: string, ref: { clientId?: string; id?: number }, book: 'regular' | 'algo', now: number): SimOrder {
    this.market(symbol);
    this.touch(now);
    const o = this.live.find((x) => x.symbol === symbol && x.book === book && (ref.id !== undefined ? x.id === ref.id : x.clientId === ref.clientId));
    if (!o) return book === 'algo' ? reject(-20124, 'Invalid algo id or it has been completed.') : reject(-2011, 'Unknown order sent.');
    o.status = 'cancelled';
    o.updatedAt = now;
    if (o.book === 'algo') {
      o.algoStatus = 'CANCELED';
      this.emit({ kind: 'algo', order: { ...o }, ts: now });
    } else {
      this.emit({ kind: 'order', order: { ...o }, fill: null, exec: 'CANCELED', ts: now });
    }
    this.dirty(o);
    return { ...o };
  }

  /** The order of this book with this client id or venue id: the open one if any, else the latest. */
  findOrder(symbol: string, book: 'regular' | 'algo', ref: { clientId?: string; id?: number }): SimOrder | null {
    const is = (o: SimOrder) => o.symbol === symbol && o.book === book && (ref.id !== undefined ? o.id === ref.id : o.clientId === ref.clientId);
    const o = this.live.find(is) ?? this.s.orders.findLast(is);
    return o ? { ...o } : null;
  }

  openOrders(symbol?: string, book?: 'regular' | 'algo'): SimOrder[] {
    return this.live.filter((o) => (!symbol || o.symbol === symbol) && (!book || o.book === book)).map((o) => ({ ...o }));
  }

  allOrders(): SimOrder[] {
    return this.s.orders.map((o) => ({ ...o }));
  }

  /** Every order ever placed with this client id, both books (for invariant checks). */
  ordersWithClientId(clientId: string): SimOrder[] {
    return this.s.orders.filter((o) => o.clientId === clientId).map((o) => ({ ...o }));
  }

  fills(symbol: string, since: number, until = Infinity): ExFill[] {
    return this.s.fills.filter((f) => f.symbol === symbol && f.ts >= since && f.ts <= until).map((f) => ({ ...f }));
  }

  allFills(): ExFill[] {
    return this.s.fills.map((f) => ({ ...f }));
  }

  fundingHistory(symbol?: string): SimFunding[] {
    return this.s.funding.filter((f) => !symbol || f.symbol === symbol).map((f) => ({ ...f }));
  }

  // ---------------------------------------------------------------- account

  positions(): ExPosition[] {
    return Object.entries(this.s.positions).map(([symbol, p]) => {
      const mark = this.mark(symbol) ?? Number(p.entryPrice);
      const lp = this.liquidationPrice(symbol);
      return {
        symbol, side: p.side, qty: p.qty, entryPrice: p.entryPrice, markPrice: str(mark), unrealizedPnl: str(unrealized(p, mark).toDecimalPlaces(8)),
        leverage: this.leverage(symbol), liquidationPrice: lp === null ? null : str(lp.toDecimalPlaces(8)), updatedAt: p.updatedAt,
      };
    });
  }

  position(symbol: string): ExPosition | null {
    return this.positions().find((p) => p.symbol === symbol) ?? null;
  }

  liquidationPrice(symbol: string): Dec | null {
    const p = this.s.positions[symbol];
    if (!p) return null;
    let elsewhere = dec(this.s.balance);
    for (const [sym, q] of Object.entries(this.s.positions)) {
      if (sym === symbol) continue;
      const mark = this.mark(sym) ?? Number(q.entryPrice);
      elsewhere = elsewhere.add(unrealized(q, mark)).sub(dec(q.qty).mul(mark).mul(this.market(sym).maintMarginRate));
    }
    return liquidationPrice(p, elsewhere, this.market(symbol).maintMarginRate);
  }

  /** The account while flat with no open limit order depends on the wallet alone (the reconciler asks every bar). */
  private flatView: AccountView | null = null;

  account(): AccountView {
    const flat = Object.keys(this.s.positions).length === 0;
    if (flat && !this.live.some((o) => o.book === 'regular' && !o.reduceOnly && o.type === 'limit')) {
      if (this.flatView?.wallet !== this.s.balance) this.flatView = this.accountSlow();
      return { ...this.flatView };
    }
    return this.accountSlow();
  }

  private accountSlow(): AccountView {
    let upnl = new D(0);
    let posIm = new D(0);
    let mm = new D(0);
    for (const [sym, p] of Object.entries(this.s.positions)) {
      const mark = this.mark(sym) ?? Number(p.entryPrice);
      upnl = upnl.add(unrealized(p, mark));
      posIm = posIm.add(dec(p.qty).mul(mark).div(this.leverage(sym)));
      mm = mm.add(dec(p.qty).mul(mark).mul(this.market(sym).maintMarginRate));
    }
    let orderIm = new D(0);
    for (const o of this.live) {
      if (o.book !== 'regular' || o.reduceOnly || o.type !== 'limit') continue;
      orderIm = orderIm.add(dec(o.qty).sub(o.filledQty).mul(o.price!).div(this.leverage(o.symbol)));
    }
    const available = dec(this.s.balance).add(upnl).sub(posIm).sub(orderIm);
    const r = (x: Dec) => str(x.toDecimalPlaces(8));
    return { wallet: this.s.balance, unrealizedPnl: r(upnl), positionInitialMargin: r(posIm), openOrderInitialMargin: r(orderIm), maintMargin: r(mm), available: r(D.max(available, 0)) };
  }

  private available(): Dec {
    return dec(this.account().available);
  }

  /** The wallet balance alone: what `balance()[0].total` reports, without the margin arithmetic (backtests read it every bar). */
  get wallet(): string {
    return this.s.balance;
  }

  balance(): Balance[] {
    const a = this.account();
    return [{ asset: this.quote, total: a.wallet, free: a.available, unrealizedPnl: a.unrealizedPnl }];
  }

  /** Current funding rate estimate: premium average plus the clamped interest term (Binance's formula). */
  fundingRate(symbol: string, at = this.s.ts): number {
    const given = this.fundingRateOf?.(symbol, at);
    if (given !== null && given !== undefined && Number.isFinite(given)) return given;
    const p = this.s.premium[symbol];
    const avg = p && p.n ? p.sum / p.n : 0;
    const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
    return Math.round(clamp(avg + clamp(this.o.interestRate - avg, -0.0005, 0.0005), -0.0075, 0.0075) * 1e8) / 1e8;
  }

  /** Synthetic order book around the last price: `depth` levels each side. */
  book(symbol: string, depth = 5): BookLevels {
    const m = this.market(symbol);
    const { bid, ask } = this.top(symbol);
    const tick = dec(m.tickSize);
    const lv = (p: Dec, i: number, dir: 1 | -1): [string, string] => [str(p.add(tick.mul(i * dir))), m.bookLevelQty];
    return { bids: Array.from({ length: depth }, (_, i) => lv(bid, i, -1)), asks: Array.from({ length: depth }, (_, i) => lv(ask, i, 1)) };
  }

  top(symbol: string): { bid: Dec; ask: Dec } {
    const m = this.market(symbol);
    const last = this.s.prices[symbol];
    if (last === undefined) return reject(-1013, 'no market price yet');
    const tick = dec(m.tickSize);
    const half = tick.mul(m.spreadTicks).div(2);
    const bid = floorToStep(dec(last).sub(half), m.tickSize);
    return { bid, ask: bid.add(tick.mul(m.spreadTicks)) };
  }

  // ---------------------------------------------------------------- market

  /** Moves the market by one bar (backtests): market orders fill at its open, then limits, stops and targets. */
  onBar(symbol: string, bar: Bar): ExFill[] {
    return this.onSegment(symbol, { ...bar, kind: 'bar' });
  }

  /** Moves the market from the last price through `seg`; returns the fills it caused. */
  onSegment(symbol: string, seg: Segment): ExFill[] {
    this.market(symbol);
    this.touch(seg.ts);
    const before = this.s.fills.length;
    this.settleFunding(seg.ts);
    const open = () => this.live.filter((o) => o.symbol === symbol);
    if (seg.kind === 'bar') for (const o of open().filter((x) => x.type === 'market' && x.book === 'regular')) this.fillAt(o, this.remaining(o), dec(seg.open), false, seg.ts);
    this.matchLimits(symbol, seg);
    const prevMark = this.mark(symbol) ?? seg.open;
    this.s.prices[symbol] = seg.close;
    const alpha = seg.kind === 'bar' ? 1 : this.o.markSmoothing;
    const mark = Math.round((prevMark + alpha * (seg.close - prevMark)) * 1e4) / 1e4;
    this.s.marks[symbol] = mark;
    const pr = (this.s.premium[symbol] ??= { sum: 0, n: 0 });
    pr.sum += (mark - seg.close) / seg.close;
    pr.n++;
    this.triggerConditionals(symbol, seg, prevMark, mark);
    this.checkLiquidation(symbol, seg.ts);
    return this.s.fills.slice(before).map((f) => ({ ...f }));
  }

  private matchLimits(symbol: string, seg: Segment): void {
    const limits = this.live
      .filter((o) => o.symbol === symbol && o.book === 'regular' && o.type === 'limit')
      .sort((a, b) => (a.side !== b.side ? 0 : a.side === 'buy' ? Number(b.price) - Number(a.price) : Number(a.price) - Number(b.price)) || a.id - b.id);
    const cap = this.o.participation > 0 && seg.volume !== undefined ? seg.volume * this.o.participation : Infinity;
    const used = { buy: 0, sell: 0 };
    const m = this.market(symbol);
    for (const o of limits) {
      const px = Number(o.price);
      const crossed = o.side === 'buy' ? seg.low <= px : seg.high >= px;
      if (!crossed || !OPEN.has(o.status)) continue;
      // A limit already marketable at the segment's open fills there as taker; otherwise at its own price as maker.
      const marketableAtOpen = o.side === 'buy' ? seg.open <= px : seg.open >= px;
      const fillPx = seg.kind === 'bar' && marketableAtOpen ? seg.open : px;
      const room = cap === Infinity ? this.remaining(o) : floorToStep(Math.max(0, cap - used[o.side]), m.qtyStep);
      const qty = D.min(this.remaining(o), room);
      if (qty.lte(0)) continue;
      used[o.side] += qty.toNumber();
      this.fillAt(o, qty, dec(fillPx), !(seg.kind === 'bar' && marketableAtOpen), seg.ts);
    }
  }

  private triggerConditionals(symbol: string, seg: Segment, prevMark: number, mark: number): void {
    // Stops before targets: when one bar touches both, the conservative assumption is the stop came first.
    const conditional = this.live
      .filter((o) => o.symbol === symbol && o.book === 'algo')
      .sort((a, b) => (a.type === b.type ? a.id - b.id : a.type === 'stop_market' ? -1 : 1));
    for (const o of conditional) {
      if (!OPEN.has(o.status)) continue;
      const trig = Number(o.stopPrice);
      const useMark = o.workingType === 'MARK_PRICE' && seg.kind === 'tick';
      const hi = useMark ? Math.max(prevMark, mark) : seg.high;
      const lo = useMark ? Math.min(prevMark, mark) : seg.low;
      const up = o.type === 'stop_market' ? o.side === 'buy' : o.side === 'sell';
      if (!(up ? hi >= trig : lo <= trig)) continue;
      let px: Dec | null = null;
      if (seg.kind === 'bar') px = dec(o.type === 'stop_market' ? (up ? Math.max(trig, seg.open) : Math.min(trig, seg.open)) : trig);
      this.trigger(o, px, seg.ts);
    }
  }

  /**
   * Bars replay with a client that answers a fill some bars late: checks one open conditional order against bars that
   * closed before it arrived (oldest first), as if it had been placed when they opened; a trigger fills at the bar rule's
   * price with the bar's time. Returns whether it triggered.
   */
  checkLate(orderId: number, bars: Bar[]): boolean {
    const o = this.live.find((x) => x.id === orderId && x.book === 'algo');
    if (!o) return false;
    for (const bar of bars) {
      const trig = Number(o.stopPrice);
      const up = o.type === 'stop_market' ? o.side === 'buy' : o.side === 'sell';
      if (!(up ? bar.high >= trig : bar.low <= trig)) continue;
      this.trigger(o, dec(o.type === 'stop_market' ? (up ? Math.max(trig, bar.open) : Math.min(trig, bar.open)) : trig), bar.ts);
      return true;
    }
    return false;
  }

  /** Places the conditional's market order: it fills at `px` (bar mode) or against the book (tick mode). */
  private trigger(a: SimOrder, px: Dec | null, ts: number): void {
    const pos = this.s.positions[a.symbol];
    const closing = !!pos && ((pos.side === 'long' && a.side === 'sell') || (pos.side === 'short' && a.side === 'buy'));
    a.triggeredAt = ts;
    a.updatedAt = ts;
    let qty = a.closePosition ? (pos && closing ? dec(pos.qty) : new D(0)) : dec(a.qty);
    if (a.reduceOnly && !a.closePosition) qty = closing ? D.min(qty, pos!.qty) : new D(0);
    if (qty.lte(0)) {
      a.status = 'expired';
      a.algoStatus = 'EXPIRED';
      a.reason = 'Reduce Only reject';
      this.dirty(a);
      this.emit({ kind: 'algo', order: { ...a }, ts });
      return;
    }
    const child: SimOrder = {
      ...a, id: ++this.s.seq, book: 'regular', type: 'market', status: 'new', algoStatus: null, qty: str(qty), filledQty: '0', avgPrice: null, cumQuote: '0',
      price: null, stopPrice: a.stopPrice, timeInForce: 'GTC', actualOrderId: null, parentAlgoId: a.id, createdAt: ts, updatedAt: ts, triggeredAt: null, reason: null,
    };
    this.s.orders.push(child);
    this.dirty(child);
    a.actualOrderId = child.id;
    a.algoStatus = 'TRIGGERED';
    // As on Binance, the child's ORDER_TRADE_UPDATEs (same client id) come before the ALGO_UPDATE that names it.
    this.emit({ kind: 'order', order: { ...child }, fill: null, exec: 'NEW', ts });
    if (px) this.fillAt(child, qty, px, false, ts);
    else this.takeFromBook(child, null, ts);
    if (OPEN.has(child.status)) this.expire(child, ts, 'book exhausted');
    a.filledQty = child.filledQty;
    a.avgPrice = child.avgPrice;
    a.cumQuote = child.cumQuote;
    if (a.closePosition) a.qty = child.qty;
    this.emit({ kind: 'algo', order: { ...a }, ts });
    a.algoStatus = 'FINISHED';
    a.status = dec(child.filledQty).gt(0) ? 'filled' : 'expired';
    this.dirty(a);
    this.emit({ kind: 'algo', order: { ...a }, ts });
  }

  /**
   * True only when the mark is clearly on the safe side of the liquidation price, told in doubles with a margin (1e-9 of
   * the magnitudes involved) far beyond their rounding; anything closer is left to the exact decimal check.
   */
  private clearlySafe(symbol: string, p: SimPosition, mark: number): boolean {
    const mmr = this.market(symbol).maintMarginRate;
    let elsewhere = Number(this.s.balance);
    let scale = Math.abs(elsewhere);
    for (const [sym, q] of Object.entries(this.s.positions)) {
      if (sym === symbol) continue;
      const m = this.mark(sym) ?? Number(q.entryPrice);
      const qty = Number(q.qty);
      const entry = Number(q.entryPrice);
      elsewhere += (m - entry) * qty * signOf(q) - qty * m * this.market(sym).maintMarginRate;
      scale += qty * (m + entry + m);
    }
    const s = signOf(p);
    const qty = Number(p.qty);
    const entry = Number(p.entryPrice);
    const den = qty * (s - mmr);
    const lp = (qty * entry * s - elsewhere) / den;
    if (!Number.isFinite(lp) || !Number.isFinite(mark)) return false;
    const tol = 1e-9 * ((scale + qty * entry) / Math.abs(den) + Math.abs(mark) + Math.abs(lp));
    if (lp < -tol) return true; // no liquidation price at all
    return p.side === 'long' ? mark - lp > tol : lp - mark > tol;
  }

  private checkLiquidation(symbol: string, ts: number): void {
    const p = this.s.positions[symbol];
    if (p && this.s.marks[symbol] !== undefined && this.clearlySafe(symbol, p, this.mark(symbol)!)) return;
    const lp = this.liquidationPrice(symbol);
    if (!p || lp === null) return;
    const mark = this.mark(symbol)!;
    if (p.side === 'long' ? dec(mark).gt(lp) : dec(mark).lt(lp)) return;
    this.cancelAllOpen(symbol, ts);
    const id = ++this.s.seq;
    const forced: SimOrder = {
      id, book: 'regular', clientId: `autoclose-${id}`, symbol, side: p.side === 'long' ? 'sell' : 'buy', type: 'market', status: 'new', algoStatus: null,
      qty: p.qty, filledQty: '0', avgPrice: null, cumQuote: '0', price: null, stopPrice: null, timeInForce: 'IOC', reduceOnly: true, closePosition: false,
      workingType: 'MARK_PRICE', actualOrderId: null, parentAlgoId: null, createdAt: ts, updatedAt: ts, triggeredAt: null, reason: 'liquidation',
    };
    this.s.orders.push(forced);
    this.dirty(forced);
    const px = floorToStep(mark, this.market(symbol).tickSize);
    this.fillAt(forced, dec(p.qty), px, false, ts, 'CALCULATED');
  }

  /** Every open order of the symbol cancelled by the exchange itself (liquidation, forced close), each announced. */
  private cancelAllOpen(symbol: string, ts: number): void {
    for (const o of this.live.filter((x) => x.symbol === symbol)) {
      o.status = 'cancelled';
      o.updatedAt = ts;
      if (o.book === 'algo') o.algoStatus = 'CANCELED';
      this.dirty(o);
      if (o.book === 'algo') this.emit({ kind: 'algo', order: { ...o }, ts });
      else this.emit({ kind: 'order', order: { ...o }, fill: null, exec: 'CANCELED', ts });
    }
  }

  /**
   * The exchange closes the position on its own at `px` (default: the mark): auto-deleveraging (NEW_ADL), a liquidation
   * the insurance fund takes over (NEW_INSURANCE), or a delivery/settlement. Open orders of the symbol are cancelled as
   * in a liquidation. Returns the fill, or null when flat.
   */
  forceClose(symbol: string, kind: ForcedClose, ts: number, px?: number): ExFill | null {
    this.touch(ts);
    const p = this.s.positions[symbol];
    if (!p) return null;
    this.cancelAllOpen(symbol, ts);
    const id = ++this.s.seq;
    const forced: SimOrder = {
      id, book: 'regular', clientId: `${FORCED_PREFIX[kind]}${id}`, symbol, side: p.side === 'long' ? 'sell' : 'buy', type: kind === 'liquidation' || kind === 'insurance' ? 'limit' : 'market',
      status: 'new', algoStatus: null, qty: p.qty, filledQty: '0', avgPrice: null, cumQuote: '0', price: null, stopPrice: null, timeInForce: 'IOC', reduceOnly: true, closePosition: false,
      workingType: 'MARK_PRICE', actualOrderId: null, parentAlgoId: null, createdAt: ts, updatedAt: ts, triggeredAt: null, reason: kind,
    };
    this.s.orders.push(forced);
    this.dirty(forced);
    // As on Binance, the forced order is announced first (status NEW_ADL / NEW_INSURANCE), then it fills.
    this.emit({ kind: 'order', order: { ...forced }, fill: null, exec: 'NEW', ts });
    const before = this.s.fills.length;
    this.fillAt(forced, dec(p.qty), floorToStep(px ?? this.mark(symbol) ?? Number(p.entryPrice), this.market(symbol).tickSize), false, ts, 'CALCULATED');
    return this.s.fills.length > before ? { ...this.s.fills.at(-1)! } : null;
  }

  private settleFunding(ts: number): void {
    const every = this.o.fundingIntervalMs;
    if (this.s.nextFundingTime === 0) this.s.nextFundingTime = Math.floor(ts / every) * every + every;
    while (this.s.nextFundingTime <= ts) {
      const at = this.s.nextFundingTime;
      const symbols: string[] = [];
      for (const [symbol, p] of Object.entries(this.s.positions)) {
        const mark = this.mark(symbol) ?? Number(p.entryPrice);
        const rate = this.fundingRate(symbol, at);
        const amount = fundingPayment(p, mark, rate).toDecimalPlaces(8);
        this.s.balance = str(dec(this.s.balance).add(amount));
        const f: SimFunding = { id: ++this.s.seq, symbol, amount: str(amount), rate, markPrice: mark, ts: at };
        this.s.funding.push(f);
        this.changed.funding.push({ ...f });
        symbols.push(symbol);
      }
      this.s.premium = {};
      if (symbols.length) this.emit({ kind: 'account', reason: 'FUNDING_FEE', symbols, ts: at });
      this.s.nextFundingTime = at + every;
    }
  }

  // ---------------------------------------------------------------- fills

  private remaining(o: SimOrder): Dec {
    return dec(o.qty).sub(o.filledQty);
  }

  private marketable(o: SimOrder): boolean {
    if (o.type !== 'limit' || this.s.prices[o.symbol] === undefined) return false;
    const { bid, ask } = this.top(o.symbol);
    return o.side === 'buy' ? dec(o.price!).gte(ask) : dec(o.price!).lte(bid);
  }

  /** Takes liquidity level by level (each level one trade) until done or past `limit`. */
  private takeFromBook(o: SimOrder, limit: Dec | null, ts: number): void {
    const m = this.market(o.symbol);
    const { bid, ask } = this.top(o.symbol);
    const tick = dec(m.tickSize);
    for (let i = 0; i < 1000 && OPEN.has(o.status); i++) {
      const px = o.side === 'buy' ? ask.add(tick.mul(i)) : bid.sub(tick.mul(i));
      if (limit && (o.side === 'buy' ? px.gt(limit) : px.lt(limit))) break;
      if (px.lte(0)) break;
      const qty = D.min(this.remaining(o), m.bookLevelQty);
      if (qty.lte(0)) break;
      this.fillAt(o, qty, px, false, ts);
    }
  }

  private expire(o: SimOrder, ts: number, reason: string): void {
    o.status = 'expired';
    o.updatedAt = ts;
    o.reason = reason;
    this.dirty(o);
    this.emit({ kind: 'order', order: { ...o }, fill: null, exec: 'EXPIRED', ts });
  }

  /** Fills `qty` of `o` at `px`, enforcing reduce-only against the position at this moment. */
  private fillAt(o: SimOrder, want: Dec, px: Dec, isMaker: boolean, ts: number, exec: ExecType = 'TRADE'): void {
    const m = this.market(o.symbol);
    const pos = this.s.positions[o.symbol];
    let qty = want;
    if (o.reduceOnly) {
      const closing = pos && ((pos.side === 'long' && o.side === 'sell') || (pos.side === 'short' && o.side === 'buy'));
      if (!closing) return this.expire(o, ts, 'reduce-only order would increase the position');
      qty = D.min(qty, pos.qty);
    }
    if (qty.lte(0)) return;
    px = px.div(m.tickSize).round().mul(m.tickSize);
    const fee = px.mul(qty).mul(exec === 'CALCULATED' ? this.o.liquidationFeeRate : isMaker ? this.o.makerFee : this.o.takerFee).toDecimalPlaces(8);
    const effect = applyToPosition(pos, o.side, qty, px, ts);
    if (effect.position) this.s.positions[o.symbol] = effect.position;
    else delete this.s.positions[o.symbol];
    this.changed.positions.add(o.symbol);
    let balance = dec(this.s.balance).add(effect.realized).sub(fee);
    if (balance.lt(0)) balance = new D(0); // the insurance fund absorbs a liquidation's deficit
    this.s.balance = str(balance);
    const filled = dec(o.filledQty).add(qty);
    o.cumQuote = str(dec(o.cumQuote).add(px.mul(qty)));
    o.avgPrice = str(dec(o.cumQuote).div(filled).toDecimalPlaces(8));
    o.filledQty = str(filled);
    o.status = filled.gte(o.qty) ? 'filled' : 'partially_filled';
    o.updatedAt = ts;
    this.dirty(o);
    const f: ExFill = {
      symbol: o.symbol, tradeId: String(++this.s.seq), clientId: o.clientId, exchangeOrderId: String(o.id), side: o.side,
      qty: str(qty), price: str(px), fee: str(fee), feeAsset: this.quote, realizedPnl: str(effect.realized.toDecimalPlaces(8)), isMaker, ts,
    };
    this.s.fills.push(f);
    this.changed.fills.push({ ...f });
    this.emit({ kind: 'order', order: { ...o }, fill: { ...f }, exec, ts });
    const why = o.reason === 'adl' ? 'ADL' : o.reason === 'insurance' ? 'INSURANCE_CLEAR' : o.reason === 'settlement' ? 'SETTLEMENT' : exec === 'CALCULATED' ? 'LIQUIDATION' : 'ORDER';
    this.emit({ kind: 'account', reason: why, symbols: [o.symbol], ts });
  }

  private touch(now: number): void {
    if (now > this.s.ts) this.s.ts = now;
  }

  /** Every change of an order (placed, filled, cancelled, expired, triggered) comes here: the change log and the open list. */
  private dirty(o: SimOrder): void {
    this.changed.orders.set(o.id, o);
    const i = this.live.indexOf(o);
    // An order opens only when placed (pushed just before), so appending keeps placement order.
    if (OPEN.has(o.status)) {
      if (i < 0) this.live.push(o);
    } else if (i >= 0) this.live.splice(i, 1);
  }

  private emit(e: VenueEvent): void {
    this.changed.events.push(e);
  }
}

/** The product's view of a venue order; a conditional reports its algo status, filled by its triggered order. */
export function toExOrder(o: SimOrder): ExOrder {
  return {
    symbol: o.symbol, clientId: o.clientId, exchangeId: String(o.id), side: o.side, type: o.type, status: o.status, qty: o.qty, filledQty: o.filledQty,
    avgPrice: o.avgPrice, price: o.price, stopPrice: o.stopPrice, reduceOnly: o.reduceOnly, closePosition: o.closePosition, conditional: o.book === 'algo',
    createdAt: o.createdAt, updatedAt: o.updatedAt,
  };
}

export const algoStatusOf = (o: SimOrder): AlgoStatus => o.algoStatus ?? 'NEW';
export { signOf };
