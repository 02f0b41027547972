// Validation of Binance USD-M derivatives payloads (open interest, long/short ratios, taker volume, funding history)
// with zod, and their merge into 5-minute metrics rows. Guarantees: a value that is not finite, or not positive where it
// must be, is dropped and counted — it never becomes a row, a NaN or a zero.
import { z } from 'zod';
import type { DerivativesMetrics, FundingSettlement, OpenInterestSample } from '../../protocol/index.js';

const num = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const x = typeof v === 'number' ? v : /^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(x)) {
    ctx.addIssue({ code: 'custom', message: `not a finite number: ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return x;
});
const pos = num.refine((x) => x > 0, 'must be positive');
const time = num.refine((x) => Number.isInteger(x) && x > 0, 'must be a time in ms');

export const openInterestSchema = z.looseObject({ openInterest: pos, time });
export const openInterestHistSchema = z.looseObject({ sumOpenInterest: pos, sumOpenInterestValue: pos, timestamp: time });
export const ratioSchema = z.looseObject({ longShortRatio: pos, timestamp: time });
export const takerSchema = z.looseObject({ buySellRatio: pos, timestamp: time });
export const fundingSchema = z.looseObject({ fundingRate: num.refine((x) => Math.abs(x) <= 0.1, 'beyond ±10 %'), fundingTime: time, markPrice: z.union([z.string(), z.number()]).optional() });

/** Rows of one endpoint that validate, and how many did not. */
export function validRows<T>(schema: z.ZodType<T>, rows: unknown): { rows: T[]; dropped: number } {
  if (!Array.isArray(rows)) return { rows: [], dropped: 1 };
  const out: T[] = [];
  let dropped = 0;
  for (const r of rows) {
    const p = schema.safeParse(r);
    if (p.success) out.push(p.data);
    else dropped++;
  }
  return { rows: out, dropped };
}

export interface MetricsParts {
  openInterest: unknown;
  topAccount: unknown;
  topPosition: unknown;
  global: unknown;
  taker: unknown;
}

/** The five statistics endpoints' rows merged by timestamp into metrics rows (a field is null where its endpoint had none). */
export function mergeMetrics(symbol: string, p: MetricsParts): { rows: DerivativesMetrics[]; dropped: number } {
  const byTs = new Map<number, DerivativesMetrics>();
  const at = (ts: number) => {
    let r = byTs.get(ts);
    if (!r) {
      r = { symbol, ts, openInterest: null, openInterestValue: null, topTraderAccountRatio: null, topTraderPositionRatio: null, longShortRatio: null, takerBuySellRatio: null };
      byTs.set(ts, r);
    }
    return r;
  };
  let dropped = 0;
  const oi = validRows(openInterestHistSchema, p.openInterest);
  dropped += oi.dropped;
  for (const r of oi.rows) Object.assign(at(r.timestamp), { openInterest: r.sumOpenInterest, openInterestValue: r.sumOpenInterestValue });
  for (const [rows, key] of [[p.topAccount, 'topTraderAccountRatio'], [p.topPosition, 'topTraderPositionRatio'], [p.global, 'longShortRatio']] as const) {
    const v = validRows(ratioSchema, rows);
    dropped += v.dropped;
    for (const r of v.rows) at(r.timestamp)[key] = r.longShortRatio;
  }
  const tk = validRows(takerSchema, p.taker);
  dropped += tk.dropped;
  for (const r of tk.rows) at(r.timestamp).takerBuySellRatio = r.buySellRatio;
  return { rows: [...byTs.values()].sort((a, b) => a.ts - b.ts), dropped };
}

export function parseOpenInterest(symbol: string, info: unknown): OpenInterestSample | null {
  const r = openInterestSchema.safeParse(info);
  return r.success ? { symbol, ts: r.data.time, openInterest: r.data.openInterest } : null;
}

export function parseFunding(symbol: string, rows: unknown): { rows: FundingSettlement[]; dropped: number } {
  const v = validRows(fundingSchema, rows);
  const out = v.rows.map((r) => {
    const mark = r.markPrice === undefined || r.markPrice === '' ? null : Number(r.markPrice);
    return { symbol, ts: r.fundingTime, rate: r.fundingRate, intervalHours: null, markPrice: mark !== null && Number.isFinite(mark) && mark > 0 ? mark : null };
  });
  return { rows: out.sort((a, b) => a.ts - b.ts), dropped: v.dropped };
}
