// Sanity of every number that comes from the exchange (REST answers and stream frames): zod pieces the parsers share.
// Guarantees: a value passes only if it is a plain decimal (or a JSON number) that is finite as a float64, of the
// required sign and within what the database stores (DECIMAL(30,12): prices and sizes below 1e12, amounts below 1e15);
// decimal strings stay exact (canonical form), so nothing non-finite, zero, negative or absurd slips through.
import { z } from 'zod';
import { str } from '../../domain/decimal.js';

/** Binance's decimals: an optional sign, digits, an optional fraction (no exponent, no spaces). */
const DECIMAL = /^[-+]?\d+(\.\d+)?$/;

export type Sign = 'pos' | 'nonneg' | 'any';

/** Prices and sizes (signed 'pos' / 'nonneg') stay below this; signed amounts (fees, PnL, balances) below MAX_AMOUNT. */
export const MAX_SIZE = 1e12;
export const MAX_AMOUNT = 1e15;

const WHY: Record<Sign, string> = { pos: `must be a finite number > 0 and < ${MAX_SIZE}`, nonneg: `must be a finite number ≥ 0 and < ${MAX_SIZE}`, any: `must be a finite number within ±${MAX_AMOUNT}` };

function check(v: string | number, sign: Sign): number | null {
  if (typeof v === 'string' && (v.length > 64 || !DECIMAL.test(v))) return null;
  const x = Number(v);
  if (!Number.isFinite(x)) return null;
  if (Math.abs(x) >= (sign === 'any' ? MAX_AMOUNT : MAX_SIZE)) return null;
  if (sign === 'pos' && !(x > 0)) return null;
  if (sign === 'nonneg' && !(x >= 0)) return null;
  return x;
}

/** A number (decimal string or JSON number) → float64, finite and of the given sign. */
export const num = (sign: Sign = 'any') =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const x = check(v, sign);
    if (x === null) {
      ctx.addIssue({ code: 'custom', message: `${WHY[sign]}, got ${JSON.stringify(v).slice(0, 40)}` });
      return z.NEVER;
    }
    return x === 0 ? 0 : x; // never -0
  });

/** A decimal (string or JSON number) → its exact canonical string, finite and of the given sign. */
export const decimal = (sign: Sign = 'any') =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const x = check(v, sign);
    if (x === null) {
      ctx.addIssue({ code: 'custom', message: `${WHY[sign]}, got ${JSON.stringify(v).slice(0, 40)}` });
      return z.NEVER;
    }
    return str(typeof v === 'number' ? x : v);
  });

/** A time in ms since the epoch (or an id): a non-negative safe integer, as number or digit string. */
export const ms = z.union([z.number(), z.string().regex(/^\d{1,16}$/)]).transform((v, ctx) => {
  const x = Number(v);
  if (!Number.isSafeInteger(x) || x < 0) {
    ctx.addIssue({ code: 'custom', message: `must be a non-negative integer, got ${JSON.stringify(v).slice(0, 40)}` });
    return z.NEVER;
  }
  return x;
});

/** Whether a candle's prices are positive and finite and its high and low bracket its open and close. */
export function consistentCandle(c: { open: number; high: number; low: number; close: number; volume: number }): string | null {
  for (const k of ['open', 'high', 'low', 'close'] as const) if (!(Number.isFinite(c[k]) && c[k] > 0)) return `${k} must be a finite number > 0`;
  if (!(Number.isFinite(c.volume) && c.volume >= 0)) return 'volume must be a finite number ≥ 0';
  if (c.high < Math.max(c.open, c.close, c.low) || c.low > Math.min(c.open, c.close)) return 'high/low inconsistent with open/close';
  return null;
}
