// Schema of the market-data section: symbols' timeframes and the seeded synthetic market.
// Guarantees the synthetic market is fully determined by its seed and parameters.
import { z } from 'zod';

export const syntheticSchema = z.strictObject({
  seed: z.number().int(),
  startPrice: z.number().positive(),
  /** Per-minute log-return volatility in the calm regime. */
  volatility: z.number().positive().max(0.1),
  /** Mean length of a regime in minutes before the generator may switch. */
  regimeMinutes: z.number().int().min(1),
  baseVolume: z.number().positive(),
});

export const marketSchema = z.strictObject({
  timeframes: z.array(z.enum(['1m', '5m', '15m', '1h', '4h'])).min(1),
  /** Candles are written to MariaDB in batches of this size (or at the flush interval). */
  persistBatch: z.number().int().min(1).max(1000),
  persistFlushMs: z.number().int().min(10),
  synthetic: syntheticSchema,
});
