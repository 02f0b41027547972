// Trials across machines on a BullMQ queue (Redis): the run's context is stored once under its key, each trial is a
// job (id: run + trial number); `bosun worker` processes run them. A worker killed mid-trial stops renewing its lock,
// the job is moved back and run elsewhere; the coordinator takes each trial's first result only.
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { runTrial, type RunContext, type TrialResult, type TrialTask } from './evaluate.js';
import type { Executor } from './search.js';

export interface QueueSettings {
  name: string;
  lockMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  attempts: number;
}

interface JobData {
  runKey: string;
  task: TrialTask;
}

const ctxKey = (runKey: string) => `bosun:optimize:ctx:${runKey}`;
const CTX_TTL_SEC = 7 * 86_400;

export const redisFor = (url: string): Redis => new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });

export class QueueExecutor implements Executor {
  private readonly conn: Redis;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly eventsConn: Redis;
  private ready: Promise<void> | null = null;
  constructor(private readonly url: string, private readonly s: QueueSettings, private readonly ctx: RunContext, private readonly runKey: string, private readonly runTag: string) {
    this.conn = redisFor(url);
    this.queue = new Queue(s.name, { connection: this.conn });
    this.eventsConn = redisFor(url);
    this.events = new QueueEvents(s.name, { connection: this.eventsConn });
  }

  private async prepare(): Promise<void> {
    this.ready ??= (async () => {
      await this.conn.set(ctxKey(this.runKey), JSON.stringify(this.ctx), 'EX', CTX_TTL_SEC);
      await this.events.waitUntilReady();
    })();
    return this.ready;
  }

  async run(tasks: TrialTask[], onResult: (r: TrialResult) => Promise<void>): Promise<void> {
    await this.prepare();
    await Promise.all(tasks.map(async (task) => {
      const job = await this.queue.add('trial', { runKey: this.runKey, task } satisfies JobData, {
        jobId: `${this.runTag}-${task.number}`, attempts: this.s.attempts, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 },
      });
      const r = (await job.waitUntilFinished(this.events)) as TrialResult;
      await onResult(r);
    }));
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.events.close();
    // Connections passed in are ours to end (BullMQ leaves shared ones open).
    this.conn.disconnect();
    this.eventsConn.disconnect();
  }
}

export interface WorkerHandle {
  worker: Worker;
  /** Trials this process finished. */
  done: () => number;
  close(): Promise<void>;
}

/** A queue worker running trials in this process (`bosun worker`). Contexts are read once per run key and kept. */
export function startQueueWorker(url: string, s: QueueSettings, o: { concurrency: number; onTrial?: (r: TrialResult, job: Job) => void }): WorkerHandle {
  const conn = redisFor(url);
  const cache = new Map<string, Promise<RunContext>>();
  const ctxOf = (runKey: string): Promise<RunContext> => {
    let p = cache.get(runKey);
    if (!p) {
      p = conn.get(ctxKey(runKey)).then((raw) => {
        if (!raw) throw new Error(`no context stored for run ${runKey.slice(0, 12)} (expired or never written)`);
        return JSON.parse(raw) as RunContext;
      });
      p.catch(() => cache.delete(runKey));
      cache.set(runKey, p);
      // Keep the two latest runs' contexts.
      while (cache.size > 2) cache.delete(cache.keys().next().value!);
    }
    return p;
  };
  let done = 0;
  const workerConn = redisFor(url);
  const worker = new Worker(s.name, async (job: Job<JobData>) => {
    const ctx = await ctxOf(job.data.runKey);
    const r = await runTrial(ctx, job.data.task);
    done++;
    o.onTrial?.(r, job);
    return r;
  }, { connection: workerConn, concurrency: o.concurrency, lockDuration: s.lockMs, stalledInterval: s.stalledIntervalMs, maxStalledCount: s.maxStalledCount });
  return {
    worker, done: () => done,
    async close() {
      await worker.close();
      conn.disconnect();
      workerConn.disconnect();
    },
  };
}
