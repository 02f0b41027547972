// Schema of the market-data section: symbols' timeframes and the seeded synthetic market.
// Guarantees the synthetic market is fully determined by its seed and parameters.
import { z } from 'zod';

export const syntheticSchema = z.strictObject({
  seed: z.number().int(),
  startPrice: z.number().positive(),
  /** Start price per symbol where it differs from startPrice (an ETH-like market near 2,000, not 30,000). */
  startPrices: z.record(z.string(), z.number().positive()),
  /** Per-minute log-return volatility in the calm regime. */
  volatility: z.number().positive().max(0.1),
  /** Mean length of a regime in minutes before the generator may switch. */
  regimeMinutes: z.number().int().min(1),
  baseVolume: z.number().positive(),
});

/** Derivatives data the market feed polls (Binance's statistics have 5-minute periods) and streams (forceOrder). */
export const derivativesFeedSchema = z.strictObject({
  enabled: z.boolean(),
  /** Clock-seconds between polls of the 5-minute statistics (open interest history, long/short ratios, taker volume). */
  pollSec: z.number().int().min(60).max(86_400),
  /** Each poll runs this many clock-seconds after a period boundary (the exchange publishes a period a little after it ends). */
  lagSec: z.number().int().min(0).max(600),
  /** Clock-seconds between reads of the current open interest (GET /fapi/v1/openInterest, weight 1); 0 = never. */
  openInterestSec: z.number().int().min(0).max(86_400),
  /** Clock-seconds between reads of the funding history. */
  fundingSec: z.number().int().min(60).max(86_400),
  /** On start, missing history is fetched back to at most this many days (Binance keeps 30 days of statistics). */
  maxBackfillDays: z.number().int().min(0).max(30),
  /** Forced liquidations are published in batches at most this often (wall ms). */
  liquidationsBatchMs: z.number().int().min(10).max(60_000),
});

export const marketSchema = z.strictObject({
  timeframes: z.array(z.enum(['1m', '5m', '15m', '1h', '4h'])).min(1),
  /** Candles are written to MariaDB in batches of this size (or at the flush interval). */
  persistBatch: z.number().int().min(1).max(1000),
  persistFlushMs: z.number().int().min(10),
  synthetic: syntheticSchema,
  derivatives: derivativesFeedSchema,
});

export type MarketConfig = z.infer<typeof marketSchema>;
