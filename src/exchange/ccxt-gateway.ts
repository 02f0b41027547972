// ExchangeGateway on ccxt binanceusdm (demo, testnet, mainnet, or the loopback venue in paper mode).
// Guarantees: reads retry with backoff and jitter (429/418 honour Retry-After for every request; -1021 re-measures the
// clock offset first); an order call is repeated only when the venue surely refused it, otherwise it fails as
// ambiguous and the caller resolves it by client id; conditional orders go to and are read from the algo book.
import type * as ccxt from 'ccxt';
import type { Logger } from '../log/logger.js';
import { TIMEFRAME_MS } from '../domain/timeframes.js';
import { classify, NOT_SENT, toExchangeError } from './binance/classify.js';
import { createClient, wsBaseUrl, type BosunBinanceUsdm, type Environment } from './binance/client.js';
import * as parse from './binance/parse.js';
import { mergeMetrics, parseFunding, parseOpenInterest } from './binance/derivatives.js';
import { ExchangeError } from './errors.js';
import type { ExchangeGateway } from './gateway.js';
import { UserStream } from './stream/user-stream.js';
import type { Balance, Candle, CreateOrdersOptions, ExFill, ForcedKind, FundingPayment, ExOrder, ExPosition, LeverageBracket, MarginType, MarketInfo, MarkPrice, OrderOutcome, OrderRequest, PositionMode, Timeframe, UserDataSubscription, UserEvent } from './types.js';
import type { DerivativesMetrics, FundingSettlement, OpenInterestSample } from '../protocol/index.js';

/** Binance's statistics period (the /futures/data endpoints and the metrics archive). */
const PERIOD_MS = 300_000;

export interface CcxtGatewayOptions {
  environment: Environment;
  /** Paper: the loopback venue's URL. */
  url?: string | null;
  apiKey?: string | undefined;
  secret?: string | undefined;
  recvWindowMs: number;
  timeoutMs: number;
  retry: { maxAttempts: number; baseMs: number; maxMs: number };
  userStream: { keepAliveMs: number; pollMs: number; pingIntervalMs: number; pongTimeoutMs: number; reconnectInitialMs: number; reconnectMaxMs: number };
  /** The market clock (the venue's simulated time in paper mode): decides which candles are closed. */
  now: () => number;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The account's request limits (Binance: 2400 weight a minute, 1200 orders a minute, 300 orders in 10 s) and the share of
   * them from which requests are slowed (spread over the rest of the window). Absent: tracked and shown, never slowed.
   */
  rateLimit?: { weightPerMinute: number; ordersPerMinute: number; ordersPer10s: number; slowAtFraction: number };
}

/** The latest usage the exchange reported (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-10S / -1M), and when (wall ms). */
export interface RequestUsage {
  usedWeight1m: number | null;
  orderCount10s: number | null;
  orderCount1m: number | null;
  at: number | null;
  weightLimit: number | null;
  ordersPerMinute: number | null;
  ordersPer10s: number | null;
}

/** The exchange's maintenance as the gateway sees it: since when, and what it answered. */
export interface MaintenanceState {
  active: boolean;
  since: number;
  reason: string;
}

type CcxtOrder = { info: unknown };

/** Per-order error codes of a batch answer that leave the order's fate unknown (Binance: "execution status unknown"). */
const UNKNOWN_OUTCOME = new Set([-1000, -1001, -1006, -1007]);

/** The answer to a placed order, parsed; an answer that does not validate leaves the order's fate unknown (ambiguous). */
function placedAnswer(read: () => ExOrder, req: OrderRequest): ExOrder {
  try {
    return read();
  } catch (err) {
    throw new ExchangeError(`the answer for ${req.clientId} is unreadable (${(err as Error).message}); the order may be on the exchange`, 'ambiguous', undefined, undefined, { cause: err });
  }
}

/** What a failed order call says about that order: refused, maybe placed, or never sent. */
export function outcomeOf(err: unknown): Exclude<OrderOutcome, { status: 'placed' }> {
  if (!(err instanceof ExchangeError)) return { status: 'unknown', error: new ExchangeError(`order call failed: ${(err as Error)?.message ?? String(err)}`, 'ambiguous', undefined, undefined, { cause: err }) };
  if (err.kind === 'definitive') return { status: 'rejected', error: err };
  return { status: err.kind === 'ambiguous' ? 'unknown' : 'not_sent', error: err };
}

const WEEK = 7 * 86_400_000;
/** How far back fills are looked for (Binance keeps a limited trade history). */
const FILL_LOOKBACK_MS = 4 * WEEK;

/**
 * The request's params with the recvWindow left before its `notAfter` (at signing: after any wait for rate limits), or
 * a refusal to send when none is left. Without `notAfter`, the params as they are (the client's default window).
 */
function windowed(req: OrderRequest, params: Record<string, unknown>): Record<string, unknown> {
  if (req.notAfter === undefined) return params;
  const left = Math.floor(req.notAfter - Date.now());
  if (left < 1) throw new ExchangeError(`order ${req.clientId} not sent: its window passed before it could leave`, 'retryable', NOT_SENT);
  return { ...params, recvWindow: Math.min(60_000, left) };
}

export class CcxtGateway implements ExchangeGateway {
  readonly name: string;
  readonly ex: BosunBinanceUsdm;
  private readonly sleep: (ms: number) => Promise<void>;
  private blockedUntil = 0;
  private timeSynced = false;
  private readonly idToSymbol = new Map<string, string>();
  /** orderId → client id, for trades (userTrades carry only the order id). */
  private readonly clientIds = new Map<string, string>();
  readonly stats = {
    calls: 0, retries: 0, resyncs: 0, rateLimited: 0, lastLatencyMs: null as number | null, userFramesDropped: 0, lastDroppedFrame: null as string | null,
    /** Requests held back because the reported usage was near a limit, and for how long in all (wall ms). */
    weightWaits: 0, weightWaitMs: 0, maintenances: 0,
  };
  readonly usage: RequestUsage;
  /** Set while the exchange answers as in maintenance (-1008, 503 Service Unavailable); cleared by the next answer. */
  maintenance: MaintenanceState | null = null;
  private readonly maintenanceListeners = new Set<(m: MaintenanceState) => void>();

  constructor(readonly o: CcxtGatewayOptions) {
    this.ex = createClient({ environment: o.environment, url: o.url ?? null, apiKey: o.apiKey, secret: o.secret, recvWindowMs: o.recvWindowMs, timeoutMs: o.timeoutMs });
    this.name = `binanceusdm-${o.environment}`;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    const rl = o.rateLimit;
    this.usage = { usedWeight1m: null, orderCount10s: null, orderCount1m: null, at: null, weightLimit: rl?.weightPerMinute ?? null, ordersPerMinute: rl?.ordersPerMinute ?? null, ordersPer10s: rl?.ordersPer10s ?? null };
    this.ex.onUsage = (u) => {
      const t = Date.now();
      if (u.usedWeight1m !== undefined) this.usage.usedWeight1m = u.usedWeight1m;
      if (u.orderCount10s !== undefined) this.usage.orderCount10s = u.orderCount10s;
      if (u.orderCount1m !== undefined) this.usage.orderCount1m = u.orderCount1m;
      this.usage.at = t;
    };
  }

  /** Hears when the exchange goes into maintenance and when it comes out (once each). Returns the unsubscribe. */
  onMaintenance(fn: (m: MaintenanceState) => void): () => void {
    this.maintenanceListeners.add(fn);
    return () => this.maintenanceListeners.delete(fn);
  }

  private setMaintenance(on: boolean, reason: string): void {
    if (on === !!this.maintenance) return;
    const m: MaintenanceState = on ? { active: true, since: Date.now(), reason } : { active: false, since: this.maintenance!.since, reason };
    this.maintenance = on ? m : null;
    if (on) this.stats.maintenances++;
    this.o.log.warn({ maintenance: on, reason }, on ? 'the exchange is in maintenance: no new entries, protection kept' : 'the exchange is out of maintenance');
    for (const fn of this.maintenanceListeners) fn(m);
  }

  /**
   * How long to hold a request back so the account stays under its limits: nothing below `slowAtFraction` of a limit; above
   * it, the rest of the window spread over the budget left in it, ramped in (the whole rest of the window at the limit), so
   * usage is spread, never exceeded.
   * The reported counts are taken as of when they were reported (a window that has turned over since counts as fresh).
   */
  paceMs(mutating: boolean, now = Date.now()): number {
    const rl = this.o.rateLimit;
    const u = this.usage;
    if (!rl || u.at === null) return 0;
    // What is left of the window's budget spread over what is left of the window (a unit per request), ramped in from
    // slowAtFraction: a few ms just past it, the whole rest of the window at the limit. (It was that share of the whole
    // rest of the window per request: 0.7 s each just past 80 %, which stretched a restart's reconciliation past its
    // timeout while most of the budget was still unused.)
    const ramp = (used: number | null, limit: number, windowMs: number) => {
      if (used === null || Math.floor(u.at! / windowMs) !== Math.floor(now / windowMs)) return 0;
      const from = rl.slowAtFraction * limit;
      if (used < from) return 0;
      const rest = windowMs - (now % windowMs);
      const left = limit - used;
      if (left <= 0) return rest;
      const share = Math.min(1, (used - from + 1) / Math.max(1, limit - from));
      return Math.min(rest, Math.ceil((share * rest) / left));
    };
    const w = ramp(u.usedWeight1m, rl.weightPerMinute, 60_000);
    const o = mutating ? Math.max(ramp(u.orderCount10s, rl.ordersPer10s, 10_000), ramp(u.orderCount1m, rl.ordersPerMinute, 60_000)) : 0;
    return Math.max(w, o);
  }

  get wsBase(): string {
    return wsBaseUrl({ environment: this.o.environment, url: this.o.url ?? null });
  }

  /** Measures the offset between our clock and the server's (signing uses it); done once and after each -1021. */
  async syncTime(): Promise<number> {
    const diff = await this.call('fetchTime', () => this.ex.loadTimeDifference(), false, false);
    this.timeSynced = true;
    return diff;
  }

  /**
   * Runs one ccxt call. Retries when the venue surely did not act (rate limit, -1021, refused connection) or, for
   * reads, on any non-definitive error; a mutating call that may have executed throws ambiguous at once.
   */
  private async call<T>(what: string, fn: () => Promise<T>, mutating: boolean, needsTime = true, once = false): Promise<T> {
    if (needsTime && !this.timeSynced) await this.syncTime();
    const { maxAttempts, baseMs, maxMs } = this.o.retry;
    for (let attempt = 1; ; attempt++) {
      const wait = this.blockedUntil - Date.now();
      if (wait > 0) await this.sleep(wait);
      const pace = this.paceMs(mutating);
      if (pace > 0) {
        this.stats.weightWaits++;
        this.stats.weightWaitMs += pace;
        this.o.log.info({ what, waitMs: pace, usage: this.usage }, 'request usage near the exchange limit: slowing down');
        await this.sleep(pace);
      }
      this.stats.calls++;
      const t0 = Date.now();
      try {
        const out = await fn();
        this.stats.lastLatencyMs = Date.now() - t0;
        if (this.maintenance) this.setMaintenance(false, `${what} answered`);
        return out;
      } catch (err) {
        const c = classify(err);
        if (c.maintenance) this.setMaintenance(true, `${what}: ${(err as Error).message.slice(0, 200)}`);
        else if (this.maintenance && c.kind === 'definitive') this.setMaintenance(false, `${what} answered`);
        if (c.retryAfterMs !== undefined || (c.code === 429 || c.code === -1003)) {
          this.stats.rateLimited++;
          const ra = c.retryAfterMs ?? Math.min(maxMs, baseMs * 2 ** attempt);
          this.blockedUntil = Math.max(this.blockedUntil, Date.now() + ra);
          this.o.log.warn({ what, code: c.code, retryAfterMs: ra }, 'rate limited by the exchange; backing off every request');
        }
        const repeatable = c.kind !== 'definitive' && (!mutating || c.executed === 'no');
        if (!repeatable || attempt >= maxAttempts || once) {
          // Not resent (a windowed order's sender re-checks first), but the clock is measured again for what follows.
          if (once && c.resync) await this.ex.loadTimeDifference().catch(() => undefined);
          throw toExchangeError(err, c, what, mutating);
        }
        if (c.resync) {
          this.stats.resyncs++;
          await this.ex.loadTimeDifference().catch(() => undefined);
        }
        this.stats.retries++;
        const backoff = Math.min(maxMs, baseMs * 2 ** (attempt - 1)) * (0.5 + Math.random() * 0.5);
        await this.sleep(Math.round(backoff));
      }
    }
  }

  /** Exchange time minus ours, as last measured (null before the first measurement). */
  get clockOffsetMs(): number | null {
    return this.timeSynced ? -Number(this.ex.options['timeDifference'] ?? 0) : null;
  }

  private symbolOf(venueId: string): string {
    return this.idToSymbol.get(venueId) ?? venueId;
  }

  async loadMarkets(): Promise<MarketInfo[]> {
    const markets = await this.call('loadMarkets', () => this.ex.loadMarkets(true), false, false);
    const out: MarketInfo[] = [];
    for (const m of Object.values(markets) as ccxt.Market[]) {
      if (!m || !m.swap || !m.linear || m.active === false) continue;
      // Filters are checked (tick and step > 0, finite minimums): a market with impossible filters fails the call.
      const f = parse.marketFilters(m);
      this.idToSymbol.set(m.id!, m.symbol);
      const lev = Number(m.limits.leverage?.max ?? 125);
      out.push({ symbol: m.symbol, id: m.id!, base: m.base, quote: m.quote, ...f, maxLeverage: Number.isFinite(lev) && lev >= 1 ? lev : 125 });
    }
    return out;
  }

  private async ensureMarkets(): Promise<void> {
    if (!this.ex.markets || !this.idToSymbol.size) await this.loadMarkets();
  }

  async fetchBalance(): Promise<Balance[]> {
    await this.ensureMarkets();
    return parse.balances(await this.call('fetchBalance', () => this.ex.fapiPrivateV2GetBalance(), false));
  }

  async fetchPositions(symbols?: string[]): Promise<ExPosition[]> {
    await this.ensureMarkets();
    const rows = parse.positionRisk(await this.call('fetchPositions', () => this.ex.fapiPrivateV2GetPositionRisk(), false));
    // A hedge-mode leg is never dropped: the account would read as flat while real, unprotected positions exist.
    const hedged = rows.filter((r) => r.positionSide !== 'BOTH' && r.side !== null);
    if (hedged.length) {
      throw new ExchangeError(`the account is in hedge mode (dual-side positions: ${hedged.map((r) => `${r.venueSymbol} ${r.positionSide} ${r.qty}`).join(', ')}); bosun trades one-way mode only`, 'definitive', 'hedge_mode');
    }
    const out: ExPosition[] = [];
    for (const r of rows) {
      if (r.side === null) continue;
      const symbol = this.symbolOf(r.venueSymbol);
      if (symbols && !symbols.includes(symbol)) continue;
      out.push({ symbol, side: r.side, qty: r.qty, entryPrice: r.entryPrice, markPrice: r.markPrice, unrealizedPnl: r.unrealizedPnl, leverage: r.leverage, liquidationPrice: r.liquidationPrice, updatedAt: r.updatedAt });
    }
    return out;
  }

  async fetchOpenOrders(symbol?: string): Promise<ExOrder[]> {
    await this.ensureMarkets();
    const [regular, algo] = await Promise.all([
      this.call('fetchOpenOrders', () => this.ex.fetchOpenOrders(symbol), false),
      this.call('fetchOpenOrders(trigger)', () => this.ex.fetchOpenOrders(symbol, undefined, undefined, { trigger: true }), false),
    ]);
    const out = [
      ...regular.map((o) => this.remember(parse.regularOrder(o.info, o.symbol ?? symbol!))),
      ...algo.map((o) => parse.algoOrder(o.info, o.symbol ?? symbol!)),
    ];
    return out;
  }

  private remember(o: ExOrder): ExOrder {
    if (!o.conditional) this.clientIds.set(o.exchangeId, o.clientId);
    return o;
  }

  async createOrder(req: OrderRequest): Promise<ExOrder> {
    await this.ensureMarkets();
    const params: Record<string, unknown> = { clientOrderId: req.clientId };
    if (req.reduceOnly && !req.closePosition) params.reduceOnly = true;
    if (req.timeInForce && req.type === 'limit') params.timeInForce = req.timeInForce;
    const qty = req.qty !== undefined ? Number(req.qty) : undefined;
    let r: CcxtOrder;
    switch (req.type) {
      case 'market':
        r = await this.call('createOrder', () => this.ex.createOrder(req.symbol, 'market', req.side, qty!, undefined, windowed(req, params)), true, true, req.notAfter !== undefined);
        return this.remember(placedAnswer(() => parse.regularOrder(r.info, req.symbol), req));
      case 'limit':
        r = await this.call('createOrder', () => this.ex.createOrder(req.symbol, 'limit', req.side, qty!, Number(req.price), windowed(req, params)), true, true, req.notAfter !== undefined);
        return this.remember(placedAnswer(() => parse.regularOrder(r.info, req.symbol), req));
      case 'stop_market':
      case 'take_profit_market': {
        if (!req.stopPrice) throw new ExchangeError('a conditional order needs a stop price', 'definitive');
        params[req.type === 'stop_market' ? 'stopLossPrice' : 'takeProfitPrice'] = Number(req.stopPrice);
        if (req.closePosition) params.closePosition = true;
        if (req.workingType) params.workingType = req.workingType;
        r = await this.call('createOrder(algo)', () => this.ex.createOrder(req.symbol, 'market', req.side, qty as number, undefined, params), true);
        return placedAnswer(() => parse.algoOrder(r.info, req.symbol), req);
      }
    }
  }

  /**
   * Regular orders go in batches of at most 5 through ccxt createOrders (POST /fapi/v1/batchOrders), each conditional one
   * alone through createOrder (the algo API has no batch; Binance refuses conditional types in batchOrders with -4120).
   * A batch answers one result per order; a batch request that failed is failed for every order in it (a timeout is
   * `unknown` for each). With `protectiveFirst` the regular orders leave only once every conditional one is placed.
   */
  async createOrders(reqs: OrderRequest[], opts: CreateOrdersOptions = {}): Promise<OrderOutcome[]> {
    const out: OrderOutcome[] = new Array(reqs.length);
    const conditional = (r: OrderRequest) => r.type === 'stop_market' || r.type === 'take_profit_market';
    const cond = reqs.flatMap((r, i) => (conditional(r) ? [i] : []));
    const regular = reqs.flatMap((r, i) => (conditional(r) ? [] : [i]));
    const one = async (i: number) => {
      try {
        out[i] = { status: 'placed', order: await this.createOrder(reqs[i]!) };
      } catch (err) {
        out[i] = outcomeOf(err);
      }
    };
    const chunks: number[][] = [];
    for (let k = 0; k < regular.length; k += 5) chunks.push(regular.slice(k, k + 5));
    const sendRegular = () => Promise.all(chunks.map((c) => (c.length === 1 ? one(c[0]!) : this.batch(reqs, c, out))));
    if (opts.protectiveFirst) {
      await Promise.all(cond.map(one));
      const failed = cond.filter((i) => out[i]!.status !== 'placed');
      if (failed.length) {
        const why = `not sent: protective order ${failed.map((i) => reqs[i]!.clientId).join(', ')} was not placed (${failed.map((i) => out[i]!.status).join(', ')})`;
        for (const i of regular) out[i] = { status: 'not_sent', error: new ExchangeError(why, 'definitive') };
      } else await sendRegular();
    } else {
      await Promise.all([...cond.map(one), sendRegular()]);
    }
    return out;
  }

  /** One POST /fapi/v1/batchOrders for the requests at `idx` (2–5 regular orders); fills `out` for each. */
  private async batch(reqs: OrderRequest[], all: number[], out: OrderOutcome[]): Promise<void> {
    let res: Array<{ info: unknown }>;
    try {
      await this.ensureMarkets();
    } catch (err) {
      for (const i of all) out[i] = outcomeOf(err);
      return;
    }
    const toCcxt = (r: OrderRequest) => {
      const params: Record<string, unknown> = { clientOrderId: r.clientId };
      if (r.reduceOnly) params.reduceOnly = true;
      if (r.timeInForce && r.type === 'limit') params.timeInForce = r.timeInForce;
      return { symbol: r.symbol, type: r.type, side: r.side, amount: Number(r.qty), ...(r.type === 'limit' ? { price: Number(r.price) } : {}), params };
    };
    // ccxt checks each order before sending any (precision, limits) and fails the whole batch on one: check them one by
    // one first, so an order it refuses is refused alone and the others still go.
    const idx: number[] = [];
    for (const i of all) {
      const o = toCcxt(reqs[i]!);
      try {
        this.ex.createOrderRequest(o.symbol, o.type, o.side, o.amount, o.price, o.params);
        idx.push(i);
      } catch (err) {
        out[i] = outcomeOf(toExchangeError(err, classify(err), 'createOrders', true));
      }
    }
    if (idx.length === 1) return this.createOrder(reqs[idx[0]!]!).then((order) => void (out[idx[0]!] = { status: 'placed', order }), (err: unknown) => void (out[idx[0]!] = outcomeOf(err)));
    if (!idx.length) return;
    try {
      const orders = idx.map((i) => toCcxt(reqs[i]!));
      res = (await this.call('createOrders', () => this.ex.createOrders(orders as Parameters<BosunBinanceUsdm['createOrders']>[0]), true)) as Array<{ info: unknown }>;
    } catch (err) {
      for (const i of idx) out[i] = outcomeOf(err);
      return;
    }
    // ccxt sorts its result by timestamp, so results are matched by client id; an error carries none.
    const placed = new Map<string, unknown>();
    const errors: Array<{ code: number | undefined; msg: string }> = [];
    for (const r of res) {
      const info = (r.info ?? {}) as { code?: number | string; msg?: string; clientOrderId?: string; orderId?: unknown };
      if (info.orderId === undefined && info.code !== undefined) errors.push({ code: Number(info.code), msg: String(info.msg ?? '') });
      else if (info.clientOrderId) placed.set(info.clientOrderId, info);
    }
    const missing: number[] = [];
    for (const i of idx) {
      const info = placed.get(reqs[i]!.clientId);
      if (info === undefined) {
        missing.push(i);
        continue;
      }
      try {
        out[i] = { status: 'placed', order: this.remember(parse.regularOrder(info, reqs[i]!.symbol)) };
      } catch (err) {
        out[i] = { status: 'unknown', error: new ExchangeError(`batch answer for ${reqs[i]!.clientId} unreadable: ${(err as Error).message}`, 'ambiguous') };
      }
    }
    if (!missing.length) return;
    // Orders without a result of their own were answered with the errors (one each); when their codes differ, which
    // error is whose is not known, but none of them is on the venue — unless an error says its outcome is unknown.
    const codes = [...new Set(errors.map((e) => e.code))];
    const maybe = errors.some((e) => e.code !== undefined && UNKNOWN_OUTCOME.has(e.code));
    for (const i of missing) {
      const id = reqs[i]!.clientId;
      if (errors.length !== missing.length || maybe) {
        out[i] = { status: 'unknown', error: new ExchangeError(`batch answer does not settle ${id}: ${errors.map((e) => `${e.code} ${e.msg}`).join('; ') || 'no result for it'}`, 'ambiguous') };
      } else if (codes.length === 1) {
        out[i] = { status: 'rejected', error: new ExchangeError(`createOrders: ${id}: ${errors[0]!.msg}`, 'definitive', codes[0]) };
      } else {
        out[i] = { status: 'rejected', error: new ExchangeError(`createOrders: ${id} refused with one of: ${errors.map((e) => `${e.code} ${e.msg}`).join('; ')}`, 'definitive') };
      }
    }
  }

  async cancelOrder(symbol: string, clientId: string, conditional?: boolean): Promise<ExOrder> {
    await this.ensureMarkets();
    const books = conditional === undefined ? [false, true] : [conditional];
    let last: unknown = null;
    for (const algo of books) {
      try {
        const r = await this.call('cancelOrder', () => this.ex.cancelOrder(undefined as unknown as string, symbol, algo ? { trigger: true, clientOrderId: clientId } : { clientOrderId: clientId }), true);
        if (!algo) return this.remember(parse.regularOrder(r.info, symbol));
        // The algo cancel answer is only { algoId, clientAlgoId, code, msg }: read the order back.
        return (await this.fetchOrderByClientId(symbol, clientId)) ?? parse.algoOrder({ ...(r.info as object), algoStatus: 'CANCELED' }, symbol);
      } catch (err) {
        last = err;
        if (!(err instanceof ExchangeError && classify(err.cause).notFound)) throw err;
      }
    }
    throw last;
  }

  async fetchOrderByClientId(symbol: string, clientId: string): Promise<ExOrder | null> {
    await this.ensureMarkets();
    const get = (algo: boolean) =>
      this.call(algo ? 'fetchOrder(algo)' : 'fetchOrder', () => this.ex.fetchOrder(undefined as unknown as string, symbol, algo ? { trigger: true, clientOrderId: clientId } : { clientOrderId: clientId }), false).then(
        (o) => o as CcxtOrder,
        (err: unknown) => {
          if (err instanceof ExchangeError && classify(err.cause).notFound) return null;
          throw err;
        },
      );
    const [regular, algo] = await Promise.all([get(false), get(true)]);
    if (algo) return parse.algoOrder(algo.info, symbol);
    return regular ? this.remember(parse.regularOrder(regular.info, symbol)) : null;
  }

  /**
   * Own fills since `since`, oldest first. Binance serves userTrades in windows of at most 7 days and 1000 rows, and
   * keeps a limited history: we look back at most `FILL_LOOKBACK_MS` before the market clock's now.
   */
  async fetchFills(symbol: string, since: number): Promise<ExFill[]> {
    await this.ensureMarkets();
    const id = this.ex.market(symbol).id;
    const now = this.o.now();
    const out = new Map<string, ExFill>();
    let from = Math.max(since, now - FILL_LOOKBACK_MS);
    for (let guard = 0; from <= now + WEEK && guard < 1000; guard++) {
      const to = from + WEEK - 1;
      const rows = (await this.call('fetchMyTrades', () => this.ex.fapiPrivateGetUserTrades({ symbol: id, startTime: from, endTime: to, limit: 1000 }), false)) as unknown as Array<{ id: number; orderId: number; time: number }>;
      for (const t of rows) {
        if (!out.has(String(t.id))) out.set(String(t.id), parse.userTrade(t, symbol, await this.clientIdOf(symbol, String(t.orderId))));
      }
      if (rows.length >= 1000) from = Math.max(from + 1, Math.max(...rows.map((t) => Number(t.time))));
      else if (to >= now) break;
      else from = to + 1;
    }
    return [...out.values()].sort((a, b) => a.ts - b.ts || Number(a.tradeId) - Number(b.tradeId));
  }

  /** Funding payments (income type FUNDING_FEE) since `since`, oldest first, paged 1000 at a time. */
  async fetchFunding(symbol: string, since: number): Promise<FundingPayment[]> {
    await this.ensureMarkets();
    const id = this.ex.market(symbol).id;
    const out = new Map<string, FundingPayment>();
    let from = Math.max(since, this.o.now() - FILL_LOOKBACK_MS);
    for (let guard = 0; guard < 100; guard++) {
      const rows = (await this.call('fetchFunding', () => this.ex.fapiPrivateGetIncome({ symbol: id, incomeType: 'FUNDING_FEE', startTime: from, limit: 1000 }), false)) as unknown as Array<{ income: string; asset: string; time: number; tranId: number | string }>;
      for (const p of parse.income(rows, symbol)) out.set(p.tranId, p);
      if (rows.length < 1000) break;
      from = Math.max(from + 1, Math.max(...rows.map((r) => Number(r.time))));
    }
    return [...out.values()].sort((a, b) => a.ts - b.ts);
  }

  /** Exchange order id → the forced kind its NEW event named (insurance / adl win over the liquidation a fill implies). */
  private readonly forcedKinds = new Map<string, ForcedKind>();

  private forcedKindOf(orderId: string, seen: ForcedKind | undefined): ForcedKind | undefined {
    const known = this.forcedKinds.get(orderId);
    if (seen && (seen === 'adl' || seen === 'insurance' || !known)) {
      this.forcedKinds.set(orderId, seen);
      if (this.forcedKinds.size > 10_000) this.forcedKinds.delete(this.forcedKinds.keys().next().value!);
      return seen;
    }
    return known ?? seen;
  }

  /** The client id of an order id (trades carry only the order id); cached, asked once per order. */
  private async clientIdOf(symbol: string, orderId: string): Promise<string | null> {
    const known = this.clientIds.get(orderId);
    if (known) return known;
    const o = await this.call('fetchOrder', () => this.ex.fetchOrder(orderId, symbol), false).catch(() => null);
    const id = (o?.info as { clientOrderId?: string } | undefined)?.clientOrderId ?? null;
    if (id) this.clientIds.set(orderId, id);
    return id;
  }

  async fetchOhlcv(symbol: string, tf: Timeframe, since: number, limit: number): Promise<Candle[]> {
    await this.ensureMarkets();
    const askedAt = this.o.now();
    const id = this.ex.market(symbol).id;
    const rows = (await this.call('fetchOHLCV', () => this.ex.fapiPublicGetKlines({ symbol: id, interval: tf, startTime: since, limit: Math.min(1500, limit) }), false, false)) as unknown[];
    return rows.map((r) => parse.kline(r, symbol, tf, askedAt)).filter((c) => c.openTime >= since - (since % TIMEFRAME_MS[tf]));
  }

  async fetchServerTime(): Promise<number> {
    return this.call('fetchTime', () => this.ex.fetchTime(), false, false) as Promise<number>;
  }

  async fetchMarkPrice(symbol: string): Promise<MarkPrice> {
    await this.ensureMarkets();
    const id = this.ex.market(symbol).id;
    return parse.premiumIndex(await this.call('premiumIndex', () => this.ex.fapiPublicGetPremiumIndex({ symbol: id }), false, false), symbol);
  }

  /**
   * 5-minute statistics rows from `since` (at most 500 periods): open interest (ccxt fetchOpenInterestHistory), all
   * accounts' long/short ratio (fetchLongShortRatioHistory), top traders' account and position ratios and taker volume
   * (Binance's /futures/data endpoints through ccxt's implicit API), merged by period. Invalid values are dropped, counted.
   */
  async fetchDerivativesMetrics(symbol: string, since: number, limit: number): Promise<{ rows: DerivativesMetrics[]; dropped: number }> {
    await this.ensureMarkets();
    const id = this.ex.market(symbol).id;
    const n = Math.max(1, Math.min(500, limit));
    const start = Math.ceil(since / PERIOD_MS) * PERIOD_MS;
    const until = start + (n - 1) * PERIOD_MS;
    const q = { symbol: id, period: '5m', startTime: start, endTime: until, limit: n };
    const [oi, global, topAccount, topPosition, taker] = await Promise.all([
      this.call('fetchOpenInterestHistory', () => this.ex.fetchOpenInterestHistory(symbol, '5m', start, n, { until }), false, false),
      this.call('fetchLongShortRatioHistory', () => this.ex.fetchLongShortRatioHistory(symbol, '5m', start, n, { until }), false, false),
      this.call('topLongShortAccountRatio', () => this.ex.fapiDataGetTopLongShortAccountRatio(q), false, false),
      this.call('topLongShortPositionRatio', () => this.ex.fapiDataGetTopLongShortPositionRatio(q), false, false),
      this.call('takerlongshortRatio', () => this.ex.fapiDataGetTakerlongshortRatio(q), false, false),
    ]);
    const info = (rows: unknown) => (Array.isArray(rows) ? rows.map((r: { info?: unknown }) => r.info) : rows);
    return mergeMetrics(symbol, { openInterest: info(oi), global: info(global), topAccount, topPosition, taker });
  }

  /** Open interest now (ccxt fetchOpenInterest), or null when the answer does not validate. */
  async fetchOpenInterest(symbol: string): Promise<OpenInterestSample | null> {
    await this.ensureMarkets();
    const r = await this.call('fetchOpenInterest', () => this.ex.fetchOpenInterest(symbol), false, false);
    return parseOpenInterest(symbol, r.info);
  }

  /** Settled funding rates from `since`, oldest first, at most 1000 (ccxt fetchFundingRateHistory). */
  async fetchFundingHistory(symbol: string, since: number, limit: number): Promise<{ rows: FundingSettlement[]; dropped: number }> {
    await this.ensureMarkets();
    const rows = await this.call('fetchFundingRateHistory', () => this.ex.fetchFundingRateHistory(symbol, since, Math.max(1, Math.min(1000, limit))), false, false);
    return parseFunding(symbol, rows.map((r) => r.info));
  }

  async setLeverage(symbol: string, leverage: number): Promise<void> {
    await this.ensureMarkets();
    await this.call('setLeverage', () => this.ex.setLeverage(leverage, symbol), false);
  }

  /** The account's position mode (GET /fapi/v1/positionSide/dual). */
  async fetchPositionMode(): Promise<PositionMode> {
    return parse.positionMode(await this.call('positionSide/dual', () => this.ex.fapiPrivateGetPositionSideDual(), false));
  }

  /** Leverage brackets of these symbols (GET /fapi/v1/leverageBracket), by unified symbol. */
  async fetchLeverageBrackets(symbols: string[]): Promise<Map<string, LeverageBracket[]>> {
    await this.ensureMarkets();
    const out = new Map<string, LeverageBracket[]>();
    for (const symbol of symbols) {
      const id = this.ex.market(symbol).id!;
      const byId = parse.leverageBrackets(await this.call('leverageBracket', () => this.ex.fapiPrivateGetLeverageBracket({ symbol: id }), false));
      const b = byId.get(id);
      if (!b) throw new ExchangeError(`the exchange sent no leverage brackets for ${symbol}`, 'retryable');
      out.set(symbol, b);
    }
    return out;
  }

  /**
   * Sets the symbol's margin type (POST /fapi/v1/marginType). "No need to change margin type" (-4046) is success; a change
   * refused because a position or order is open (-4047 / -4048) throws, definitive.
   */
  async setMarginType(symbol: string, type: MarginType): Promise<void> {
    await this.ensureMarkets();
    const id = this.ex.market(symbol).id;
    try {
      await this.call('setMarginType', () => this.ex.fapiPrivatePostMarginType({ symbol: id, marginType: type === 'isolated' ? 'ISOLATED' : 'CROSSED' }), false);
    } catch (err) {
      if (err instanceof ExchangeError && (err.code === -4046 || /-4046|No need to change margin type/.test(err.message))) return;
      throw err;
    }
  }

  async subscribeUserData(listener: (e: UserEvent) => void): Promise<UserDataSubscription> {
    await this.ensureMarkets();
    const u = this.o.userStream;
    const stream = new UserStream({
      wsBase: this.wsBase,
      createKey: async () => ((await this.call('listenKey', () => this.ex.fapiPrivatePostListenKey(), false, false)) as { listenKey: string }).listenKey,
      keepAlive: async () => void (await this.call('listenKey keep-alive', () => this.ex.fapiPrivatePutListenKey(), false, false)),
      keepAliveMs: u.keepAliveMs, pingIntervalMs: u.pingIntervalMs, pongTimeoutMs: u.pongTimeoutMs, reconnectInitialMs: u.reconnectInitialMs, reconnectMaxMs: u.reconnectMaxMs,
      log: this.o.log,
      onStatus: (up, reason) => listener({ kind: 'status', up, reason }),
      onMalformed: (error) => {
        this.stats.userFramesDropped++;
        this.stats.lastDroppedFrame = error.slice(0, 200);
      },
      onFrame: (f) => {
        if (f.kind === 'order') {
          const symbol = this.symbolOf(f.venueSymbol);
          // NEW_INSURANCE / NEW_ADL come on the order's NEW event: its later fills carry the same kind.
          const forced = this.forcedKindOf(f.order.exchangeId, f.order.forced);
          const order = { ...f.order, symbol, ...(forced ? { forced } : {}) };
          if (!order.conditional) this.clientIds.set(order.exchangeId, order.clientId);
          listener({ kind: 'order', order, fill: f.fill ? { ...f.fill, symbol, ...(forced ? { forced } : {}) } : null, ts: f.ts });
        } else {
          listener({ kind: 'account', reason: f.reason, balances: f.balances, positions: f.positions.map(({ venueSymbol, ...p }) => ({ ...p, symbol: this.symbolOf(venueSymbol) })), ts: f.ts });
        }
      },
    });
    stream.start();
    return {
      get up() {
        return stream.up;
      },
      close: () => stream.stop(),
    };
  }

  async close(): Promise<void> {
    await this.ex.close?.().catch(() => undefined);
  }
}
