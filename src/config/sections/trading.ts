// Schema of the trading sections: analytics, decision, risk, execution, reconciler, notifier.
// Guarantees numeric limits are in range before any actor reads them.
import { z } from 'zod';

export { decisionSchema, riskSchema } from './decision.js';

const fraction = z.number().min(0).max(1);

export { analyticsSchema } from './analytics.js';

export const executionSchema = z.strictObject({
  /** The execution loop: protection, trailing, entry chase and max-hold are checked this often (wall ms: IO). */
  loopMs: z.number().int().min(100).max(10_000),
  /** The loop while flat and healthy (leftover orders are cleaned up; nothing to protect). */
  idleLoopMs: z.number().int().min(100),
  /** Reconciliation at start must finish within this many (wall) milliseconds or trading halts and alerts. */
  reconcileTimeoutMs: z.number().int().min(1000),
  /** After any fill the position has its stop-loss and take-profit on the exchange within this many ms. */
  protectWithinMs: z.number().int().min(100),
  takerFee: fraction,
  makerFee: fraction,
  /** Balance of a fresh paper account, in the quote currency. */
  paperStartingBalance: z.number().positive(),
  entry: z.strictObject({
    /** A resting entry limit is re-priced (cancel confirmed, then a new client id) after this long unfilled. */
    chaseAfterMs: z.number().int().min(100),
    /** Replacements of the entry limit after the first order. */
    maxReplacements: z.number().int().min(0).max(50),
    /** The limit never chases further than this fraction from the intent's reference price (and never out of its zone). */
    maxChasePct: fraction,
    /** After the last replacement, the rest is taken at market when the intent allows it and slippage is within limits. */
    marketFallback: z.boolean(),
    /**
     * An entry order goes out only with its stop confirmed live on the exchange, and must be taken there within this long
     * (wall ms) of that check: it is sent with the recvWindow left, so one held up in flight past it is refused by the
     * exchange (not placed; the stop is read again before the next attempt). Binance's recvWindow is at most 60 s.
     */
    sendWithinMs: z.number().int().min(50).max(60_000),
  }),
  protection: z.strictObject({
    /** Trailing stop (seeds 000/001): once the best price is activationPct in profit, the stop gives back givebackPct of that profit. */
    trailing: z.strictObject({ enabled: z.boolean(), activationPct: fraction, givebackPct: fraction }),
    /** Breakeven: once the best price is triggerR × the initial risk in profit, the stop moves to entry ± offsetPct (fees). */
    breakeven: z.strictObject({
      enabled: z.boolean(), triggerR: z.number().positive(), offsetPct: fraction,
      /** Also to breakeven once the first of several take-profit legs has filled (seeds 003/004's partial exits). */
      afterFirstTarget: z.boolean(),
    }),
    /** Chandelier exit: stop at best price − atrMult × ATR(atrPeriod) of 1m candles. */
    chandelier: z.strictObject({ enabled: z.boolean(), atrPeriod: z.number().int().min(2), atrMult: z.number().positive() }),
    /** A stop is moved only when the new level is at least this fraction tighter (no churn). */
    minMovePct: fraction,
    /** A position older than this is closed at market (0: never). */
    maxHoldMs: z.number().int().min(0),
    /** Stop distance (fraction of entry) for a position with no stop known (imported, or opened by a fill of no intent of ours). */
    defaultStopPct: z.number().positive().max(0.5),
    /** Take-profit distance (fraction of entry) for a position with no target known. */
    defaultTakeProfitPct: z.number().positive().max(5),
  }),
});

export const reconcilerSchema = z.strictObject({
  intervalSec: z.number().int().min(1),
  /** Open orders on the exchange that the DB does not know: adopt them into the ledger, or cancel them. Never ignored. */
  foreignOrders: z.enum(['adopt', 'cancel']),
  /** A drift seen by the periodic check is confirmed by a second look this much later (a fill in flight is not drift). */
  confirmMs: z.number().int().min(0).max(60_000),
});

export { notifierSchema } from './notifier.js';
