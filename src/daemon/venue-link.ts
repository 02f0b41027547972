// The paper daemon's link to its venue: starts the embedded one (a worker thread) or uses an external one, and adopts
// the venue's clock. Guarantees every actor runs on the venue's simulated time (candle times are the venue's), and the
// daemon stops (to be restarted on the new clock) if the venue re-anchors its clock while it runs.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ScaledClockSpec } from '../clock/clock.js';
import type { Config } from '../config/schema.js';
import { BosunError } from '../errors.js';
import type { VenueWorkerData, VenueWorkerMessage } from '../exchange/sim/venue-worker.js';
import type { Logger } from '../log/logger.js';
import { distRoot } from '../paths.js';

export interface VenueClock extends ScaledClockSpec {
  epoch: number;
  now: number;
  venueId: string;
}

export interface EmbeddedVenue {
  url: string;
  /** Resolves when the venue thread ends (stop() or a crash). */
  exited: Promise<number>;
  stop(): Promise<void>;
}

/** Paper keys for the embedded venue: from the environment if set, else random for this run (shared with workers via env). */
export function ensurePaperKeys(env: NodeJS.ProcessEnv = process.env): { apiKey: string; apiSecret: string } {
  env.BOSUN_API_KEY ??= `paper-${randomBytes(12).toString('hex')}`;
  env.BOSUN_API_SECRET ??= randomBytes(24).toString('hex');
  return { apiKey: env.BOSUN_API_KEY, apiSecret: env.BOSUN_API_SECRET };
}

/**
 * The venue thread's young generation (MB): V8's default lets each thread's new space grow to tens of MB that stay
 * resident; the venue's garbage is short-lived and small (as the actors', whose limits are in supervisor.config.json).
 */
const VENUE_YOUNG_MB = 8;

export async function startEmbeddedVenue(config: Config, keys: { apiKey: string; apiSecret: string }, startAt: number | null, log: Logger, lockstep?: SharedArrayBuffer): Promise<EmbeddedVenue> {
  const data: VenueWorkerData = { config, dbUrl: config.venue.dbUrl ?? config.db.url, apiKey: keys.apiKey, apiSecret: keys.apiSecret, startAt, ...(lockstep ? { lockstep } : {}) };
  const worker = new Worker(pathToFileURL(`${distRoot}/src/exchange/sim/venue-worker.js`), { workerData: data, name: 'venue', resourceLimits: { maxYoungGenerationSizeMb: VENUE_YOUNG_MB } });
  const exited = new Promise<number>((r) => worker.once('exit', r));
  const url = await new Promise<string>((resolve, reject) => {
    worker.on('message', (m: VenueWorkerMessage) => {
      if (m.kind === 'listening') resolve(m.url);
      if (m.kind === 'failed') reject(new BosunError(`the embedded paper venue could not start: ${m.error}`));
    });
    worker.once('error', (err) => reject(new BosunError(`the embedded paper venue crashed: ${err.message}`)));
    void exited.then((code) => reject(new BosunError(`the embedded paper venue exited (${code}) before listening`)));
  });
  log.info({ url, threadId: worker.threadId }, 'embedded paper venue listening');
  return {
    url,
    exited,
    stop: async () => {
      worker.postMessage({ kind: 'stop' });
      const t = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function fetchVenueClock(url: string, attempts = 20): Promise<VenueClock> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const r = await fetch(`${url}/bosun/v1/clock`, { signal: AbortSignal.timeout(2000) });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const c = (await r.json()) as VenueClock;
      if (![c.simStart, c.wallStart, c.speed, c.epoch].every(Number.isFinite)) throw new Error(`bad clock ${JSON.stringify(c)}`);
      return c;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new BosunError(`cannot read the venue's clock at ${url}/bosun/v1/clock: ${(last as Error).message}. Is the venue running (bosun venue) and exchange.url right?`);
}

export const sameClock = (a: VenueClock, b: VenueClock): boolean => a.simStart === b.simStart && a.wallStart === b.wallStart && a.speed === b.speed && a.epoch === b.epoch;
