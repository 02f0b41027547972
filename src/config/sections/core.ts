// Schema of the core config sections: mode, symbols, clock, db, control, log.
// Guarantees every field is typed and unknown keys are rejected (strict objects).
import { z } from 'zod';

export const modeSchema = z.enum(['paper', 'testnet', 'mainnet']);
export type Mode = z.infer<typeof modeSchema>;

export const clockSchema = z.strictObject({
  /** 1 = wall clock. Above 1, simulated time runs this many times faster (paper only). */
  speed: z.number().min(1).max(100_000),
  /**
   * 'scaled': simulated time follows the wall clock (× speed). 'lockstep' (paper replays with the embedded venue and
   * `venue.matching: "bars"`): time does not follow the wall at all; the venue trades the next bar only once every actor
   * has finished reacting to the previous one, and every thread reads that stepped time (no wall-time latency, as in a
   * backtest). `speed` then only converts wall-denominated durations (watchdogs, retries) into clock time.
   */
  pace: z.enum(['scaled', 'lockstep']).default('scaled'),
});

export const dbSchema = z.strictObject({
  /** mariadb://user[:password]@host:port/database — overridden by BOSUN_DB_URL. */
  url: z.string().regex(/^mariadb:\/\/[^/]+\/[A-Za-z0-9_]+$/, 'expected mariadb://user@host:port/database'),
  connectTimeoutMs: z.number().int().min(100).max(60_000),
  poolSize: z.number().int().min(1).max(50),
});

export const controlSchema = z.strictObject({
  /** Unix socket for `bosun status` and friends; created with mode 0600. Relative to the project root. */
  socketPath: z.string().min(1),
});

export const logSchema = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
});
