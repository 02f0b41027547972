// Schema of the exchange section: which venue and environment the daemon trades on, and how it talks to it.
// Guarantees the environment matches the mode (paper→sim, testnet→demo|testnet, mainnet→mainnet) and that every
// timeout, retry and stream setting is explicit (values in config/default.json).
import { z } from 'zod';

const ms = z.number().int().min(0);

export const exchangeSchema = z.strictObject({
  venue: z.enum(['sim', 'binanceusdm']),
  environment: z.enum(['paper', 'demo', 'testnet', 'mainnet']),
  recvWindowMs: z.number().int().min(1000).max(60_000),
  /** Paper only: URL of an external loopback venue (`bosun venue`); null runs the venue inside the daemon. */
  url: z.string().regex(/^https?:\/\/[^/]+$/, 'expected http://host:port').nullable(),
  /** One REST request may take this long before it counts as timed out (ambiguous for orders). */
  timeoutMs: z.number().int().min(100).max(120_000),
  retry: z.strictObject({
    /** Attempts for one call (the first included) on retryable errors. */
    maxAttempts: z.number().int().min(1).max(20),
    baseMs: ms,
    maxMs: ms,
  }),
  stream: z.strictObject({
    /** Wall-clock ms without any market frame before the feed counts as stale (then reconnects). */
    staleAfterMs: z.number().int().min(100),
    reconnectInitialMs: ms,
    reconnectMaxMs: ms,
    /** Reconnect before Binance's 24 h connection limit (wall-clock ms). */
    rotateAfterMs: z.number().int().min(1000),
    /** Wall-clock ms between client pings on the user-data stream; no pong within pongTimeoutMs = dead. */
    pingIntervalMs: z.number().int().min(100),
    pongTimeoutMs: z.number().int().min(100),
    /** Aggregated trades are published in batches at most this often (wall-clock ms). */
    tradesBatchMs: z.number().int().min(1),
    /** Book tops are published at most this often per symbol (wall-clock ms). */
    bookThrottleMs: z.number().int().min(0),
    book: z.enum(['bookTicker', 'depth5']),
  }),
  /**
   * The account's request limits as Binance sets them (exchangeInfo rateLimits): weight per minute, orders per minute and
   * per 10 s. From `slowAtFraction` of a limit (X-MBX-USED-WEIGHT-1M, X-MBX-ORDER-COUNT-*) requests are slowed.
   */
  rateLimit: z.strictObject({
    weightPerMinute: z.number().int().positive(),
    ordersPerMinute: z.number().int().positive(),
    ordersPer10s: z.number().int().positive(),
    slowAtFraction: z.number().positive().max(1),
  }),
  userStream: z.strictObject({
    /** listenKey keep-alive period (Binance expires a key 60 min after the last keep-alive). */
    keepAliveMs: z.number().int().min(1000),
    /** REST polling period for fills and orders while the user-data stream is down. */
    pollMs: z.number().int().min(100),
  }),
});
