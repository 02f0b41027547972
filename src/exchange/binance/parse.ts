// Binance USD-M REST payloads (the raw `info` under ccxt's structures) → the product's types, validated with zod.
// Guarantees: decimals stay exact strings; a conditional (algo) order reports its triggered order's fill; a payload
// that does not match the schema is an error naming what is wrong, never a silently wrong order.
import { z } from 'zod';
import { str } from '../../domain/decimal.js';
import { TIMEFRAME_MS } from '../../domain/timeframes.js';
import type { Candle, Timeframe } from '../../protocol/index.js';
import { ExchangeError } from '../errors.js';
import type { ExFill, ExOrder, ExOrderStatus, OrderType } from '../types.js';

const dstr = z.union([z.string(), z.number()]).transform((v) => String(v));
const num = z.union([z.string(), z.number()]).transform(Number);

const STATUS: Record<string, ExOrderStatus> = {
  NEW: 'new', PARTIALLY_FILLED: 'partially_filled', FILLED: 'filled', CANCELED: 'cancelled', REJECTED: 'rejected', EXPIRED: 'expired', EXPIRED_IN_MATCH: 'expired',
};
const TYPES: Record<string, OrderType> = { MARKET: 'market', LIMIT: 'limit', STOP_MARKET: 'stop_market', TAKE_PROFIT_MARKET: 'take_profit_market' };

export const typeOf = (t: string): OrderType => TYPES[t] ?? (t.toLowerCase() as OrderType);
export const statusOf = (s: string): ExOrderStatus => STATUS[s] ?? 'new';

const regularSchema = z.looseObject({
  orderId: dstr, clientOrderId: z.string(), status: z.string(), side: z.string(), type: z.string(), origQty: dstr, executedQty: dstr,
  avgPrice: dstr.optional(), price: dstr.optional(), stopPrice: dstr.optional(), reduceOnly: z.boolean().optional(), closePosition: z.boolean().optional(),
  time: num.optional(), updateTime: num.optional(),
});

const algoSchema = z.looseObject({
  algoId: dstr, clientAlgoId: z.string(), algoStatus: z.string().optional(), side: z.string().optional(), orderType: z.string().optional(), type: z.string().optional(),
  quantity: dstr.optional(), actualQty: dstr.optional(), actualPrice: dstr.optional(), triggerPrice: dstr.optional(), reduceOnly: z.boolean().optional(),
  closePosition: z.boolean().optional(), createTime: num.optional(), updateTime: num.optional(),
});

const zeroToNull = (v: string | undefined): string | null => (v === undefined || Number(v) === 0 ? null : str(v));

function parse<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ExchangeError(`unexpected ${what} payload: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'retryable');
  return r.data;
}

export function regularOrder(raw: unknown, symbol: string): ExOrder {
  const o = parse(regularSchema, raw, 'order');
  return {
    symbol, clientId: o.clientOrderId, exchangeId: o.orderId, side: o.side === 'BUY' ? 'buy' : 'sell', type: typeOf(o.type), status: statusOf(o.status),
    qty: str(o.origQty), filledQty: str(o.executedQty), avgPrice: zeroToNull(o.avgPrice), price: zeroToNull(o.price), stopPrice: zeroToNull(o.stopPrice),
    reduceOnly: !!o.reduceOnly, closePosition: !!o.closePosition, conditional: false, createdAt: o.time ?? o.updateTime ?? 0, updatedAt: o.updateTime ?? o.time ?? 0,
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
    status: algoStatus(o.algoStatus, filled), qty: str(o.quantity ?? '0'), filledQty: filled, avgPrice: zeroToNull(o.actualPrice), price: null,
    stopPrice: zeroToNull(o.triggerPrice), reduceOnly: !!o.reduceOnly || !!o.closePosition, closePosition: !!o.closePosition, conditional: true,
    createdAt: o.createTime ?? 0, updatedAt: o.updateTime ?? o.createTime ?? 0,
  };
}

const tradeSchema = z.looseObject({
  id: dstr, orderId: dstr, side: z.string(), price: dstr, qty: dstr, realizedPnl: dstr, commission: dstr, commissionAsset: z.string(), time: num, maker: z.boolean(),
});

export function userTrade(raw: unknown, symbol: string, clientId: string | null): ExFill {
  const t = parse(tradeSchema, raw, 'user trade');
  return {
    symbol, tradeId: t.id, clientId, exchangeOrderId: t.orderId, side: t.side === 'BUY' ? 'buy' : 'sell', qty: str(t.qty), price: str(t.price),
    fee: str(t.commission), feeAsset: t.commissionAsset, realizedPnl: str(t.realizedPnl), isMaker: t.maker, ts: t.time,
  };
}

const klineSchema = z.tuple([num, num, num, num, num, num, num]).rest(z.unknown());

/** A raw kline array; `closed` only if it ended before `askedAt` (the venue's time when the request was sent). */
export function kline(raw: unknown, symbol: string, tf: Timeframe, askedAt: number): Candle {
  const k = parse(klineSchema, raw, 'kline');
  const takerBuy = Array.isArray(raw) && raw[9] !== undefined ? Number(raw[9]) : undefined;
  return {
    symbol, tf, openTime: k[0], open: k[1], high: k[2], low: k[3], close: k[4], volume: k[5],
    ...(takerBuy !== undefined && Number.isFinite(takerBuy) ? { takerBuyVolume: takerBuy } : {}), closed: k[0] + TIMEFRAME_MS[tf] <= askedAt,
  };
}
