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
  /** Open orders on the exchange that the DB does not know: adopt them into the ledger, or cancel them. Never ignored. */
  foreignOrders: z.enum(['adopt', 'cancel']),
  /** A drift seen by the periodic check is confirmed by a second look this much later (a fill in flight is not drift). */
  confirmMs: z.number().int().min(0).max(60_000),
});

export { notifierSchema } from './notifier.js';
