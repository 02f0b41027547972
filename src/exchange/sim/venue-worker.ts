// Worker-thread entry of the venue embedded in a paper daemon: runs the loopback server on its own thread so
// matching, market generation and streams never compete with the supervisor's event loop.
// Guarantees: it posts `listening` with its URL once it accepts requests; `stop` closes it and the thread exits 0.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../config/schema.js';
import { createLogger } from '../../log/logger.js';
import { createPool } from '../../store/pool.js';
import { venueServerFor } from './from-config.js';

export interface VenueWorkerData {
  config: Config;
  dbUrl: string;
  apiKey: string;
  apiSecret: string;
  startAt: number | null;
}

export type VenueWorkerMessage = { kind: 'listening'; url: string } | { kind: 'failed'; error: string } | { kind: 'stopped' };

const d = workerData as VenueWorkerData;
const port = parentPort!;
const log = createLogger({ level: d.config.log.level, name: 'venue' });
const pool = createPool({ url: d.dbUrl, connectTimeoutMs: d.config.db.connectTimeoutMs, poolSize: 3 });
try {
  const server = await venueServerFor(d.config, { pool, log, apiKey: d.apiKey, apiSecret: d.apiSecret, ...(d.startAt !== null ? { venue: { startAt: d.startAt } } : {}) });
  const { url } = await server.start();
  port.postMessage({ kind: 'listening', url } satisfies VenueWorkerMessage);
  port.on('message', (m: { kind: string }) => {
    if (m.kind !== 'stop') return;
    void server
      .stop()
      .then(() => pool.end())
      .finally(() => {
        port.postMessage({ kind: 'stopped' } satisfies VenueWorkerMessage);
        log.flush();
        setTimeout(() => process.exit(0), 20);
      });
  });
} catch (err) {
  port.postMessage({ kind: 'failed', error: (err as Error).message } satisfies VenueWorkerMessage);
  log.flush();
  setTimeout(() => process.exit(1), 20);
}
