// Schema of the ops section: Prometheus metrics endpoint, stale-data watch, doctor limits, the logs table.
// Guarantees the metrics endpoint can only bind a loopback address.
import { z } from 'zod';

export const opsSchema = z.strictObject({
  metrics: z.strictObject({
    enabled: z.boolean(),
    /** Loopback only: metrics are not authenticated. */
    host: z.enum(['127.0.0.1', '::1']),
    /** 0 picks a free port (tests); `bosun status` shows the URL. */
    port: z.number().int().min(0).max(65_535),
  }),
  /** Market data counts as stale when market-feed publishes nothing for this many wall seconds. */
  staleMarketSec: z.number().int().min(1),
  /** `bosun doctor` fails when the exchange clock differs from ours by more than this. */
  maxClockOffsetMs: z.number().int().min(1),
  /** Log lines at this level and above are also written to the `logs` table. */
  dbLogLevel: z.enum(['warn', 'error', 'fatal']),
});
