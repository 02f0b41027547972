// Schema of the ops section: Prometheus metrics endpoint, stale-data watch, doctor limits, the logs table.
// Guarantees the metrics endpoint can only bind a loopback address; the HTTP API binds loopback unless configured
// (and then only with a strong token, checked at start: `src/api/token.ts`).
import { z } from 'zod';

export const opsSchema = z.strictObject({
  metrics: z.strictObject({
    enabled: z.boolean(),
    /** Loopback only: metrics are not authenticated. */
    host: z.enum(['127.0.0.1', '::1']),
    /** 0 picks a free port (tests); `bosun status` shows the URL. */
    port: z.number().int().min(0).max(65_535),
  }),
  /** The operator's HTTP API and web dashboard (`src/api/`): bearer token from BOSUN_API_TOKEN only. */
  api: z.strictObject({
    enabled: z.boolean(),
    /** 127.0.0.1 by default; anything beyond loopback needs BOSUN_API_TOKEN of at least 32 characters. */
    host: z.string().min(1).max(255),
    /** 0 picks a free port (tests); `bosun status` shows the URL. 8080 paper, 8081 testnet, 8082 mainnet. */
    port: z.number().int().min(0).max(65_535),
    /** Paper mode without BOSUN_API_TOKEN: a generated token is written here (mode 0600), relative to the project root. */
    tokenFile: z.string().min(1),
    /** Failed authentications allowed per client address per minute before it gets 429. */
    authFailuresPerMin: z.number().int().min(1).max(1000),
    /** How often (wall ms) the live feed looks for new rows in MariaDB while a WebSocket client is connected. */
    livePollMs: z.number().int().min(100).max(60_000),
    /** Largest accepted request body, bytes (liquidation maps are the largest). */
    bodyLimitBytes: z.number().int().min(1024).max(10_000_000),
  }),
  /** Market data counts as stale when market-feed publishes nothing for this many wall seconds. */
  staleMarketSec: z.number().int().min(1),
  /** `bosun doctor` fails when the exchange clock differs from ours by more than this. */
  maxClockOffsetMs: z.number().int().min(1),
  /** Log lines at this level and above are also written to the `logs` table. */
  dbLogLevel: z.enum(['warn', 'error', 'fatal']),
});
