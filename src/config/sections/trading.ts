// Schema of the trading sections: analytics, decision, risk, execution, reconciler, notifier.
// Guarantees numeric limits are in range before any actor reads them.
import { z } from 'zod';

const fraction = z.number().min(0).max(1);

export { analyticsSchema } from './analytics.js';

export const decisionSchema = z.strictObject({
  strategy: z.enum(['ema_rsi']),
  rsiLongMax: z.number().min(0).max(100),
  rsiShortMin: z.number().min(0).max(100),
  /** Minimum clock-seconds between two trade intents. */
  cooldownSec: z.number().int().min(0),
  /** A trade intent expires this many clock-seconds after it was made. */
  intentTtlSec: z.number().int().min(1),
});

export const riskSchema = z.strictObject({
  riskPerTrade: fraction,
  leverage: z.number().min(1).max(125),
  maxNotionalPctEquity: z.number().positive().max(10),
  stopAtrMult: z.number().positive(),
  takeProfitAtrMult: z.number().positive(),
  maxSlippage: fraction,
});

export const executionSchema = z.strictObject({
  loopMs: z.number().int().min(100).max(10_000),
  /** Reconciliation at start must finish within this many milliseconds or trading halts. */
  reconcileTimeoutMs: z.number().int().min(1000),
  takerFee: fraction,
  makerFee: fraction,
  /** Balance of a fresh paper account, in the quote currency. */
  paperStartingBalance: z.number().positive(),
});

export const reconcilerSchema = z.strictObject({
  intervalSec: z.number().int().min(1),
});

export { notifierSchema } from './notifier.js';
