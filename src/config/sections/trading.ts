// Schema of the trading sections: analytics, decision, risk, execution, reconciler, notifier.
// Guarantees numeric limits are in range before any actor reads them.
import { z } from 'zod';

export { decisionSchema, riskSchema } from './decision.js';

const fraction = z.number().min(0).max(1);

export { analyticsSchema } from './analytics.js';

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
