// Binance USD-M REST payloads (the raw `info` under ccxt's structures) → the product's types, validated with zod.
// Guarantees: decimals stay exact strings; every number is finite and of its sign (prices and fill quantities > 0,
// sizes ≥ 0: sane.ts); a conditional (algo) order reports its triggered order's fill; a payload that does not match
// is an ExchangeError naming what is wrong (a failed call), never a silently wrong order, candle, balance or position.
import { z } from 'zod';
import { str } from '../../domain/decimal.js';
import { TIMEFRAME_MS } from '../../domain/timeframes.js';
import type { Candle, Timeframe } from '../../protocol/index.js';
import { ExchangeError } from '../errors.js';
import type { Balance, ExFill, ExOrder, ExOrderStatus, ForcedKind, FundingPayment, LeverageBracket, MarkPrice, MarginType, OrderType, PositionMode } from '../types.js';
import { consistentCandle, decimal, ms, num } from './sane.js';

const dstr = z.union([z.string().min(1).max(64), z.number()]).transform((v) => String(v));
const qty = decimal('nonneg');

/**
 * Binance's order statuses. NEW_INSURANCE (a liquidation taken over by the insurance fund) and NEW_ADL (auto-deleveraging)
 * are the exchange's own new orders that close a position: `new`, marked forced (forcedKind).
 */
const STATUS: Record<string, ExOrderStatus> = {
  NEW: 'new', PARTIALLY_FILLED: 'partially_filled', FILLED: 'filled', CANCELED: 'cancelled', REJECTED: 'rejected', EXPIRED: 'expired', EXPIRED_IN_MATCH: 'expired',
  NEW_INSURANCE: 'new', NEW_ADL: 'new',
};
const TYPES: Record<string, OrderType> = { MARKET: 'market', LIMIT: 'limit', STOP_MARKET: 'stop_market', TAKE_PROFIT_MARKET: 'take_profit_market' };

export const typeOf = (t: string): OrderType => TYPES[t] ?? (t.toLowerCase() as OrderType);
export const statusOf = (s: string): ExOrderStatus => STATUS[s] ?? 'new';

/** Which of the exchange's own closing orders this is, from its status, client id (Binance's prefixes) or execution type. */
export function forcedKind(clientId: string, status?: string, execType?: string): ForcedKind | null {
  if (status === 'NEW_ADL' || clientId.startsWith('adl_autoclose')) return 'adl';
  if (status === 'NEW_INSURANCE') return 'insurance';
  if (clientId.startsWith('settlement_autoclose')) return 'settlement';
  if (clientId.startsWith('autoclose-') || execType === 'CALCULATED') return 'liquidation';
  return null;
}

const regularSchema = z.looseObject({
  orderId: dstr, clientOrderId: z.string(), status: z.string(), side: z.string(), type: z.string(), origQty: qty, executedQty: qty,
  avgPrice: qty.optional(), price: qty.optional(), stopPrice: qty.optional(), reduceOnly: z.boolean().optional(), closePosition: z.boolean().optional(),
  time: ms.optional(), updateTime: ms.optional(),
});

const algoSchema = z.looseObject({
  algoId: dstr, clientAlgoId: z.string(), algoStatus: z.string().optional(), side: z.string().optional(), orderType: z.string().optional(), type: z.string().optional(),
  quantity: qty.optional(), actualQty: z.union([qty, z.literal('')]).optional(), actualPrice: z.union([qty, z.literal('')]).optional(), triggerPrice: qty.optional(), reduceOnly: z.boolean().optional(),
  closePosition: z.boolean().optional(), createTime: ms.optional(), updateTime: ms.optional(),
});

const zeroToNull = (v: string | undefined): string | null => (v === undefined || v === '' || Number(v) === 0 ? null : str(v));

function parse<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ExchangeError(`unexpected ${what} payload: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'retryable');
  return r.data;
}

export function regularOrder(raw: unknown, symbol: string): ExOrder {
  const o = parse(regularSchema, raw, 'order');
  const forced = forcedKind(o.clientOrderId, o.status);
  return {
    symbol, clientId: o.clientOrderId, exchangeId: o.orderId, side: o.side === 'BUY' ? 'buy' : 'sell', type: typeOf(o.type), status: statusOf(o.status),
    qty: o.origQty, filledQty: o.executedQty, avgPrice: zeroToNull(o.avgPrice), price: zeroToNull(o.price), stopPrice: zeroToNull(o.stopPrice),
    reduceOnly: !!o.reduceOnly, closePosition: !!o.closePosition, conditional: false, createdAt: o.time ?? o.updateTime ?? 0, updatedAt: o.updateTime ?? o.time ?? 0,
    ...(forced ? { forced } : {}),
  };
}

/** Algo statuses → product statuses: FINISHED is filled when its triggered order executed, else expired. */
export function algoStatus(s: string | undefined, filled: string): ExOrderStatus {
  switch (s) {
    case 'NEW':
      return 'new';
    case 'TRIGGERING':
    case 'TRIGGERED':
      return Number(filled) > 0 ? 'partially_filled' : 'new';
    case 'FINISHED':
      return Number(filled) > 0 ? 'filled' : 'expired';
    case 'CANCELED':
      return 'cancelled';
    case 'REJECTED':
      return 'rejected';
    case 'EXPIRED':
      return 'expired';
    default:
      return 'new';
  }
}

export function algoOrder(raw: unknown, symbol: string): ExOrder {
  const o = parse(algoSchema, raw, 'algo order');
  const filled = str(o.actualQty || '0');
  return {
    symbol, clientId: o.clientAlgoId, exchangeId: o.algoId, side: o.side === 'BUY' ? 'buy' : 'sell', type: typeOf(o.orderType ?? o.type ?? ''),
    status: algoStatus(o.algoStatus, filled), qty: o.quantity ?? '0', filledQty: filled, avgPrice: zeroToNull(o.actualPrice), price: null,
    stopPrice: zeroToNull(o.triggerPrice), reduceOnly: !!o.reduceOnly || !!o.closePosition, closePosition: !!o.closePosition, conditional: true,
    createdAt: o.createTime ?? 0, updatedAt: o.updateTime ?? o.createTime ?? 0,
  };
}

const tradeSchema = z.looseObject({
  id: dstr, orderId: dstr, side: z.enum(['BUY', 'SELL']), price: decimal('pos'), qty: decimal('pos'), realizedPnl: decimal('any'), commission: decimal('any'), commissionAsset: z.string(), time: ms, maker: z.boolean(),
});

/** One own trade (GET /fapi/v1/userTrades): price and quantity > 0. `clientId`'s prefix marks the exchange's own closes. */
export function userTrade(raw: unknown, symbol: string, clientId: string | null): ExFill {
  const t = parse(tradeSchema, raw, 'user trade');
  const forced = clientId ? forcedKind(clientId) : null;
  return {
    symbol, tradeId: t.id, clientId, exchangeOrderId: t.orderId, side: t.side === 'BUY' ? 'buy' : 'sell', qty: t.qty, price: t.price,
    fee: t.commission, feeAsset: t.commissionAsset, realizedPnl: t.realizedPnl, isMaker: t.maker, ts: t.time, ...(forced ? { forced } : {}),
  };
}

const px = num('pos');
const klineSchema = z.tuple([ms, px, px, px, px, num('nonneg'), ms]).rest(z.unknown());

/** A raw kline array; `closed` only if it ended before `askedAt` (the venue's time when the request was sent). Consistent or refused. */
export function kline(raw: unknown, symbol: string, tf: Timeframe, askedAt: number): Candle {
  const k = parse(klineSchema, raw, 'kline');
  const bad = consistentCandle({ open: k[1], high: k[2], low: k[3], close: k[4], volume: k[5] });
  if (bad) throw new ExchangeError(`unexpected kline payload: ${bad}`, 'retryable');
  const tb = Array.isArray(raw) && raw[9] !== undefined ? num('nonneg').safeParse(raw[9]) : null;
  return {
    symbol, tf, openTime: k[0], open: k[1], high: k[2], low: k[3], close: k[4], volume: k[5],
    ...(tb?.success ? { takerBuyVolume: tb.data } : {}), closed: k[0] + TIMEFRAME_MS[tf] <= askedAt,
  };
}

const balanceSchema = z.looseObject({ asset: z.string().min(1), balance: decimal('any'), availableBalance: decimal('any'), crossUnPnl: decimal('any').optional() });

/** GET /fapi/v2/balance rows: every amount finite. */
export function balances(raw: unknown): Balance[] {
  return parse(z.array(balanceSchema), raw, 'balance').map((r) => ({ asset: r.asset, total: r.balance, free: r.availableBalance, unrealizedPnl: r.crossUnPnl ?? '0' }));
}

const positionRiskSchema = z.looseObject({
  symbol: z.string().min(1), positionAmt: decimal('any'), entryPrice: qty, markPrice: qty, unRealizedProfit: decimal('any'), leverage: num('pos').optional(),
  liquidationPrice: qty.optional(), positionSide: z.enum(['BOTH', 'LONG', 'SHORT']).optional(), updateTime: ms.optional(), marginType: z.string().optional(),
});

export interface PositionRiskRow {
  venueSymbol: string;
  side: 'long' | 'short' | null;
  qty: string;
  entryPrice: string;
  markPrice: string;
  unrealizedPnl: string;
  leverage: number;
  liquidationPrice: string | null;
  positionSide: 'BOTH' | 'LONG' | 'SHORT';
  marginType: string | null;
  updatedAt: number;
}

/** GET /fapi/v2/positionRisk rows (hedge-mode legs included, named by positionSide); an open position has an entry price > 0. */
export function positionRisk(raw: unknown): PositionRiskRow[] {
  const rows = parse(z.array(positionRiskSchema), raw, 'position risk');
  return rows.map((r) => {
    const amt = Number(r.positionAmt);
    if (amt !== 0 && !(Number(r.entryPrice) > 0)) throw new ExchangeError(`unexpected position risk payload: ${r.symbol} holds ${r.positionAmt} at entry price ${r.entryPrice}`, 'retryable');
    return {
      venueSymbol: r.symbol, side: amt > 0 ? 'long' : amt < 0 ? 'short' : null, qty: r.positionAmt.replace('-', ''), entryPrice: r.entryPrice, markPrice: r.markPrice,
      unrealizedPnl: r.unRealizedProfit, leverage: r.leverage ?? 0, liquidationPrice: zeroToNull(r.liquidationPrice), positionSide: r.positionSide ?? 'BOTH',
      marginType: r.marginType ?? null, updatedAt: r.updateTime ?? 0,
    };
  });
}

const premiumSchema = z.looseObject({ markPrice: num('pos'), indexPrice: num('pos').optional(), lastFundingRate: num('any').optional(), nextFundingTime: ms.optional(), time: ms });

/** GET /fapi/v1/premiumIndex for one symbol: a mark price > 0. */
export function premiumIndex(raw: unknown, symbol: string): MarkPrice {
  const r = parse(premiumSchema, raw, 'premium index');
  return { symbol, ts: r.time, markPrice: r.markPrice, ...(r.indexPrice !== undefined ? { indexPrice: r.indexPrice } : {}), ...(r.lastFundingRate !== undefined ? { fundingRate: r.lastFundingRate } : {}), ...(r.nextFundingTime ? { nextFundingTime: r.nextFundingTime } : {}) };
}

const incomeSchema = z.looseObject({ income: decimal('any'), asset: z.string().min(1), time: ms, tranId: dstr });

/** GET /fapi/v1/income rows (funding payments): amounts finite. */
export function income(raw: unknown, symbol: string): FundingPayment[] {
  return parse(z.array(incomeSchema), raw, 'income').map((r) => ({ symbol, tranId: r.tranId, amount: r.income, asset: r.asset, ts: r.time }));
}

const bracketSchema = z.looseObject({
  symbol: z.string().min(1),
  brackets: z.array(z.looseObject({ bracket: z.number().int(), initialLeverage: num('pos'), notionalCap: num('pos'), notionalFloor: num('nonneg'), maintMarginRatio: num('nonneg') })).min(1),
});

/** GET /fapi/v1/leverageBracket: per venue symbol, its brackets by notional (each with a leverage maximum ≥ 1). */
export function leverageBrackets(raw: unknown): Map<string, LeverageBracket[]> {
  const rows = parse(z.array(bracketSchema), Array.isArray(raw) ? raw : [raw], 'leverage bracket');
  return new Map(rows.map((r) => [r.symbol, r.brackets.map((b) => ({ bracket: b.bracket, maxLeverage: b.initialLeverage, notionalFloor: b.notionalFloor, notionalCap: b.notionalCap, maintMarginRatio: b.maintMarginRatio })).sort((a, b) => a.notionalFloor - b.notionalFloor)]));
}

/** GET /fapi/v1/positionSide/dual: true = hedge mode. */
export function positionMode(raw: unknown): PositionMode {
  const r = parse(z.looseObject({ dualSidePosition: z.union([z.boolean(), z.enum(['true', 'false'])]) }), raw, 'position mode');
  return r.dualSidePosition === true || r.dualSidePosition === 'true' ? 'hedge' : 'one_way';
}

export const marginTypeOf = (s: string | null): MarginType | null => (s === null ? null : s.toLowerCase() === 'isolated' ? 'isolated' : s.toLowerCase() === 'cross' || s.toLowerCase() === 'crossed' ? 'cross' : null);

const marketSchema = z.looseObject({
  id: z.string().min(1), symbol: z.string().min(1), base: z.string(), quote: z.string(),
  info: z.looseObject({ filters: z.array(z.looseObject({ filterType: z.string() })).optional() }).optional(),
});
const filterNums = { tickSize: decimal('pos'), stepSize: decimal('pos'), minQty: decimal('nonneg'), notional: decimal('nonneg') };

/** One market's filters from exchangeInfo: tick and step > 0, minimums ≥ 0. */
export function marketFilters(raw: unknown): { tickSize: string; qtyStep: string; minQty: string; minNotional: string } {
  const m = parse(marketSchema, raw, 'market');
  const f = (t: string) => (m.info?.filters?.find((x) => x.filterType === t) ?? {}) as Record<string, unknown>;
  const one = <K extends keyof typeof filterNums>(k: K, v: unknown): string => {
    const r = filterNums[k].safeParse(v);
    if (!r.success) throw new ExchangeError(`unexpected market payload: ${m.symbol} ${k}: ${r.error.issues[0]?.message ?? 'invalid'}`, 'retryable');
    return r.data;
  };
  return { tickSize: one('tickSize', f('PRICE_FILTER').tickSize), qtyStep: one('stepSize', f('LOT_SIZE').stepSize), minQty: one('minQty', f('LOT_SIZE').minQty ?? '0'), minNotional: one('notional', f('MIN_NOTIONAL').notional ?? '0') };
}
