// Worker-thread entry of the venue embedded in a paper daemon: runs the loopback server on its own thread so
// matching, market generation and streams never compete with the supervisor's event loop.
// Guarantees: it posts `listening` with its URL once it accepts requests; `stop` closes it and the thread exits 0.
import { parentPort, workerData } from 'node:worker_threads';
import { LockstepCell } from '../../clock/lockstep.js';
import type { Config } from '../../config/schema.js';
import { createLogger } from '../../log/logger.js';
import { createPool } from '../../store/pool.js';
import { venueServerFor } from './from-config.js';
import { startStepper, type Stepper } from './lockstep-stepper.js';

export interface VenueWorkerData {
  config: Config;
  dbUrl: string;
  apiKey: string;
  apiSecret: string;
  startAt: number | null;
  /** Lockstep replay: the shared clock cell; this thread steps it (src/exchange/sim/lockstep-stepper.ts). */
  lockstep?: SharedArrayBuffer;
}

export type VenueWorkerMessage = { kind: 'listening'; url: string } | { kind: 'failed'; error: string } | { kind: 'stopped' };

const d = workerData as VenueWorkerData;
const port = parentPort!;
const log = createLogger({ level: d.config.log.level, name: 'venue' });
const pool = createPool({ url: d.dbUrl, connectTimeoutMs: d.config.db.connectTimeoutMs, poolSize: 3 });
const cell = d.lockstep ? new LockstepCell(d.lockstep) : null;
let stepper: Stepper | null = null;
try {
  const venue = { ...(d.startAt !== null ? { startAt: d.startAt } : {}), ...(cell ? { lockstep: cell } : {}) };
  const server = await venueServerFor(d.config, { pool, log, apiKey: d.apiKey, apiSecret: d.apiSecret, venue });
  const { url } = await server.start();
  if (cell) stepper = startStepper(server.venue, cell, log);
  port.postMessage({ kind: 'listening', url } satisfies VenueWorkerMessage);
  port.on('message', (m: { kind: string }) => {
    if (m.kind !== 'stop') return;
    stepper?.stop();
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
