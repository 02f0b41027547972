// A loopback venue (the real VenueServer) in the test process, on a throwaway database, and CcxtGateways for it.
// Guarantees every test talks to the venue through real HTTP, WebSocket, HMAC signing and ccxt.
import type { Config } from '../../src/config/schema.js';
import { CcxtGateway, type CcxtGatewayOptions } from '../../src/exchange/ccxt-gateway.js';
import { venueServerFor } from '../../src/exchange/sim/from-config.js';
import type { VenueServer } from '../../src/exchange/sim/server/server.js';
import type { VenueOptions } from '../../src/exchange/sim/venue.js';
import { createLogger } from '../../src/log/logger.js';
import { testConfig } from './config.js';
import { createTestDb, type TestDb } from './db.js';

export const KEYS = { apiKey: 'test-api-key-0123456789', apiSecret: 'test-api-secret-0123456789' };
export const quietLog = createLogger({ level: process.env.BOSUN_TEST_LOG ?? 'fatal', sync: true });

export interface TestVenue {
  server: VenueServer;
  db: TestDb;
  config: Config;
  url: string;
  gateway(o?: Partial<CcxtGatewayOptions>): CcxtGateway;
  stop(): Promise<void>;
}

export async function startTestVenue(tag: string, overrides: Record<string, unknown> = {}, venue: Partial<VenueOptions> = {}): Promise<TestVenue> {
  const db = await createTestDb(tag);
  let config: Config;
  let server: Awaited<ReturnType<typeof venueServerFor>>;
  let url: string;
  try {
    config = testConfig({ symbols: ['BTC/USDT:USDT', 'ETH/USDT:USDT'], clock: { speed: 60 }, ...overrides });
    server = await venueServerFor(config, { pool: db.pool, log: quietLog, ...KEYS, port: 0, venue: { historyMinutes: 120, ...venue } });
    ({ url } = await server.start());
  } catch (err) {
    await db.drop().catch(() => undefined); // a venue that never started leaves no database behind
    throw err;
  }
  const gws: CcxtGateway[] = [];
  return {
    server, db, config, url,
    gateway: (o = {}) => {
      const g = new CcxtGateway({
        environment: 'paper', url, apiKey: KEYS.apiKey, secret: KEYS.apiSecret, recvWindowMs: 1000, timeoutMs: 1500,
        retry: { maxAttempts: 4, baseMs: 20, maxMs: 200 },
        userStream: { keepAliveMs: 60_000, pollMs: 200, pingIntervalMs: 200, pongTimeoutMs: 300, reconnectInitialMs: 50, reconnectMaxMs: 400 },
        now: () => server.venue.now(), log: quietLog, ...o,
      });
      gws.push(g);
      return g;
    },
    stop: async () => {
      for (const g of gws) await g.close();
      await server.stop();
      await db.drop();
    },
  };
}
