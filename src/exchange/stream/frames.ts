// Validation of Binance USD-M WebSocket frames (combined market streams and the user-data stream) with zod.
// Guarantees: a frame either parses into a typed event, is recognised and ignored (an event kind we do not use),
// or is reported malformed — it never throws, never yields a half-valid event, and never a non-finite, zero or
// negative price or quantity where one must be positive (sane.ts); klines are self-consistent.
import { z } from 'zod';
import { str } from '../../domain/decimal.js';
import type { BookTop, Candle, Liquidation, MarkPrice, Trade } from '../../protocol/index.js';
import type { AccountPosition, Balance, ExFill, ExOrder } from '../types.js';
import { algoStatus, forcedKind, statusOf, typeOf } from '../binance/parse.js';
import { consistentCandle, decimal, num } from '../binance/sane.js';

/** Prices (and quantities that must exist) are finite and > 0; sizes that may be empty ≥ 0; rates any finite number. */
const price = num('pos');
const size = num('nonneg');
const rate = num('any');
const ms = z.number().int().nonnegative();

const aggTrade = z.looseObject({ e: z.literal('aggTrade'), E: ms, s: z.string(), a: z.number().int(), p: price, q: price, T: ms, m: z.boolean() });
const kline = z.looseObject({
  e: z.literal('kline'), E: ms, s: z.string(),
  k: z.looseObject({ t: ms, T: ms, s: z.string(), i: z.string(), o: price, c: price, h: price, l: price, v: size, V: size.optional(), x: z.boolean() }),
});
const bookTicker = z.looseObject({ e: z.literal('bookTicker'), u: z.number().int(), E: ms.optional(), T: ms.optional(), s: z.string(), b: price, B: size, a: price, A: size });
const markPrice = z.looseObject({ e: z.literal('markPriceUpdate'), E: ms, s: z.string(), p: price, i: price.optional(), r: rate.optional(), T: ms.optional() });
const level = z.tuple([price, size]);
const depth = z.looseObject({ e: z.literal('depthUpdate'), E: ms, T: ms.optional(), s: z.string(), b: z.array(level), a: z.array(level) });
// A forced liquidation: price, average price and quantity must be positive (a zero would be a made-up liquidation).
const forceOrder = z.looseObject({
  e: z.literal('forceOrder'), E: ms,
  o: z.looseObject({ s: z.string(), S: z.enum(['BUY', 'SELL']), o: z.string(), q: price, p: price, ap: price, X: z.string(), l: size.optional(), z: size.optional(), T: ms }),
});
const marketData = z.discriminatedUnion('e', [aggTrade, kline, bookTicker, markPrice, depth, forceOrder]);
const KNOWN_MARKET = new Set(['aggTrade', 'kline', 'bookTicker', 'markPriceUpdate', 'depthUpdate', 'forceOrder']);

export type MarketEvent =
  | { kind: 'trade'; venueSymbol: string; trade: Trade }
  | { kind: 'kline'; venueSymbol: string; candle: Omit<Candle, 'symbol'>; eventTime: number }
  | { kind: 'book'; venueSymbol: string; book: Omit<BookTop, 'symbol'> }
  | { kind: 'mark'; venueSymbol: string; mark: Omit<MarkPrice, 'symbol'> }
  | { kind: 'liquidation'; venueSymbol: string; liquidation: Omit<Liquidation, 'symbol'> };

export type Parsed<T> = { ok: true; event: T } | { ok: false; ignored: true } | { ok: false; ignored: false; error: string };

const issues = (e: z.ZodError) => e.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

function safeJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
}

/** One combined-stream frame (`{ stream, data }`) or a raw market event. */
export function parseMarketFrame(text: string): Parsed<MarketEvent> {
  const j = safeJson(text);
  if (!j.ok) return { ok: false, ignored: false, error: j.error };
  const v = j.value as { data?: unknown; e?: unknown; result?: unknown; id?: unknown };
  if (v && typeof v === 'object' && 'result' in v && 'id' in v) return { ok: false, ignored: true };
  const data = v && typeof v === 'object' && 'data' in v ? v.data : v;
  const e = (data as { e?: unknown } | null)?.e;
  if (typeof e === 'string' && !KNOWN_MARKET.has(e)) return { ok: false, ignored: true };
  const r = marketData.safeParse(data);
  if (!r.success) return { ok: false, ignored: false, error: issues(r.error) };
  const d = r.data;
  switch (d.e) {
    case 'aggTrade':
      return { ok: true, event: { kind: 'trade', venueSymbol: d.s, trade: { id: String(d.a), ts: d.T, price: d.p, qty: d.q, side: d.m ? 'sell' : 'buy' } } };
    case 'kline': {
      const k = d.k;
      if (k.i !== '1m') return { ok: false, ignored: true };
      // Every price is finite and > 0 (schema). A closed kline becomes a stored candle: it must also be self-consistent.
      // A running one only proves the stream is alive (Binance's own documented example of one is not consistent).
      const bad = k.x ? consistentCandle({ open: k.o, high: k.h, low: k.l, close: k.c, volume: k.v }) : null;
      if (bad) return { ok: false, ignored: false, error: `kline ${bad}` };
      return { ok: true, event: { kind: 'kline', venueSymbol: d.s, eventTime: d.E, candle: { tf: '1m', openTime: k.t, open: k.o, high: k.h, low: k.l, close: k.c, volume: k.v, ...(k.V !== undefined ? { takerBuyVolume: k.V } : {}), closed: k.x } } };
    }
    case 'bookTicker':
      if (d.b > d.a) return { ok: false, ignored: false, error: 'bid above ask' };
      return { ok: true, event: { kind: 'book', venueSymbol: d.s, book: { ts: d.T ?? d.E ?? 0, bids: [[d.b, d.B]], asks: [[d.a, d.A]] } } };
    case 'depthUpdate':
      return { ok: true, event: { kind: 'book', venueSymbol: d.s, book: { ts: d.T ?? d.E, bids: d.b, asks: d.a } } };
    case 'forceOrder': {
      const o = d.o;
      // The filled quantity when the frame has one (z: accumulated), else the order's quantity.
      const qty = o.z !== undefined && o.z > 0 ? o.z : o.q;
      const notional = o.ap * qty;
      if (!Number.isFinite(notional) || notional <= 0) return { ok: false, ignored: false, error: 'forceOrder notional is not finite and positive' };
      return { ok: true, event: { kind: 'liquidation', venueSymbol: o.s, liquidation: { ts: o.T, side: o.S === 'BUY' ? 'buy' : 'sell', price: o.p, avgPrice: o.ap, qty, notional } } };
    }
    case 'markPriceUpdate':
      return {
        ok: true,
        event: { kind: 'mark', venueSymbol: d.s, mark: { ts: d.E, markPrice: d.p, ...(d.i !== undefined ? { indexPrice: d.i } : {}), ...(d.r !== undefined ? { fundingRate: d.r } : {}), ...(d.T ? { nextFundingTime: d.T } : {}) } },
      };
  }
}

// ---------------------------------------------------------------- user-data stream

/** Exact decimals: quantities and prices of orders are ≥ 0 (0 = none: a market order's price); fees and PnL any finite. */
const qtyDec = decimal('nonneg');
const anyDec = decimal('any');

const orderUpdate = z.looseObject({
  e: z.literal('ORDER_TRADE_UPDATE'), E: ms, T: ms,
  o: z.looseObject({
    s: z.string(), c: z.string(), S: z.enum(['BUY', 'SELL']), o: z.string(), q: qtyDec, p: qtyDec, ap: qtyDec, sp: qtyDec, x: z.string(), X: z.string(), i: z.number().int(),
    l: qtyDec, z: qtyDec, L: qtyDec, N: z.string().nullable().optional(), n: anyDec.optional(), T: ms, t: z.number().int(), m: z.boolean(), R: z.boolean(), cp: z.boolean().optional(), rp: anyDec.optional(),
  }),
});
const algoUpdate = z.looseObject({
  e: z.literal('ALGO_UPDATE'), E: ms, T: ms,
  o: z.looseObject({ caid: z.string(), aid: z.number().int(), o: z.string(), s: z.string(), S: z.enum(['BUY', 'SELL']), q: qtyDec, X: z.string(), aq: qtyDec.optional(), ap: qtyDec.optional(), tp: qtyDec.optional(), cp: z.boolean().optional(), R: z.boolean().optional(), tt: ms.optional() }),
});
const accountUpdate = z.looseObject({
  e: z.literal('ACCOUNT_UPDATE'), E: ms, T: ms,
  a: z.looseObject({
    m: z.string(),
    B: z.array(z.looseObject({ a: z.string(), wb: anyDec, cw: anyDec })),
    P: z.array(z.looseObject({ s: z.string(), pa: anyDec, ep: qtyDec, ps: z.enum(['BOTH', 'LONG', 'SHORT']) })),
  }),
});
const listenKeyExpired = z.looseObject({ e: z.literal('listenKeyExpired') });
const userData = z.discriminatedUnion('e', [orderUpdate, algoUpdate, accountUpdate, listenKeyExpired]);
const KNOWN_USER = new Set(['ORDER_TRADE_UPDATE', 'ALGO_UPDATE', 'ACCOUNT_UPDATE', 'listenKeyExpired']);

export type UserFrame =
  | { kind: 'order'; venueSymbol: string; order: Omit<ExOrder, 'symbol'>; fill: Omit<ExFill, 'symbol'> | null; ts: number }
  | { kind: 'account'; reason: string; balances: Balance[]; positions: Array<Omit<AccountPosition, 'symbol'> & { venueSymbol: string }>; ts: number }
  | { kind: 'expired' };

const nz = (s: string): string | null => (Number(s) === 0 ? null : str(s));
const forcedOf = (k: ReturnType<typeof forcedKind>) => (k ? { forced: k } : {});

export function parseUserFrame(text: string): Parsed<UserFrame> {
  const j = safeJson(text);
  if (!j.ok) return { ok: false, ignored: false, error: j.error };
  const v = j.value as { data?: unknown };
  const data = v && typeof v === 'object' && 'data' in v && 'stream' in v ? v.data : v;
  const e = (data as { e?: unknown } | null)?.e;
  if (typeof e === 'string' && !KNOWN_USER.has(e)) return { ok: false, ignored: true };
  const r = userData.safeParse(data);
  if (!r.success) return { ok: false, ignored: false, error: issues(r.error) };
  const d = r.data;
  if (d.e === 'listenKeyExpired') return { ok: true, event: { kind: 'expired' } };
  if (d.e === 'ORDER_TRADE_UPDATE') {
    const o = d.o;
    const forced = forcedKind(o.c, o.X, o.x);
    const order: Omit<ExOrder, 'symbol'> = {
      clientId: o.c, exchangeId: String(o.i), side: o.S === 'BUY' ? 'buy' : 'sell', type: typeOf(o.o), status: statusOf(o.X), qty: o.q, filledQty: o.z,
      avgPrice: nz(o.ap), price: nz(o.p), stopPrice: nz(o.sp), reduceOnly: o.R, closePosition: !!o.cp, conditional: false, createdAt: o.T, updatedAt: o.T, ...forcedOf(forced),
    };
    const traded = (o.x === 'TRADE' || o.x === 'CALCULATED') && Number(o.l) > 0;
    // A trade must have a price: a fill at 0 or below never reaches the ledger (the frame is malformed).
    if (traded && !(Number(o.L) > 0)) return { ok: false, ignored: false, error: `o.L: a fill's price must be a finite number > 0, got ${JSON.stringify(o.L)}` };
    const fill: Omit<ExFill, 'symbol'> | null = traded
      ? { tradeId: String(o.t), clientId: o.c, exchangeOrderId: String(o.i), side: order.side, qty: o.l, price: o.L, fee: o.n ?? '0', feeAsset: o.N ?? 'USDT', realizedPnl: o.rp ?? '0', isMaker: o.m, ts: o.T, ...forcedOf(forced) }
      : null;
    return { ok: true, event: { kind: 'order', venueSymbol: o.s, order, fill, ts: d.E } };
  }
  if (d.e === 'ALGO_UPDATE') {
    const o = d.o;
    const filled = o.aq ?? '0';
    const order: Omit<ExOrder, 'symbol'> = {
      clientId: o.caid, exchangeId: String(o.aid), side: o.S === 'BUY' ? 'buy' : 'sell', type: typeOf(o.o), status: algoStatus(o.X, filled), qty: o.q, filledQty: filled,
      avgPrice: nz(o.ap ?? '0'), price: null, stopPrice: nz(o.tp ?? '0'), reduceOnly: !!o.R || !!o.cp, closePosition: !!o.cp, conditional: true, createdAt: d.T, updatedAt: d.T,
    };
    return { ok: true, event: { kind: 'order', venueSymbol: o.s, order, fill: null, ts: d.E } };
  }
  const a = d.a;
  // An open position (non-zero amount) has a positive entry price; 0 or below is not a position we could hold.
  if (a.P.some((p) => Number(p.pa) !== 0 && !(Number(p.ep) > 0))) return { ok: false, ignored: false, error: 'ACCOUNT_UPDATE position open without a positive entry price' };
  return {
    ok: true,
    event: {
      kind: 'account', reason: a.m, ts: d.E,
      balances: a.B.map((b) => ({ asset: b.a, total: b.wb, free: b.cw, unrealizedPnl: '0' })),
      // Hedge-mode legs (LONG / SHORT) are kept and named: a consumer must never read a hedge account as flat.
      positions: a.P.map((p) => ({ venueSymbol: p.s, side: Number(p.pa) > 0 ? 'long' : Number(p.pa) < 0 ? 'short' : null, qty: p.pa.replace('-', ''), entryPrice: p.ep, positionSide: p.ps })),
    },
  };
}
