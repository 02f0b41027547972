// Where trials run on this machine: a piscina pool (one thread per core by default) holding the run's context, or
// inline in this thread. Guarantees each task's result is reported once, whatever order the threads finish in.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { runTrial, type RunContext, type TrialResult, type TrialTask } from './evaluate.js';
import type { Executor } from './search.js';

export const defaultWorkers = (): number => Math.max(1, availableParallelism());

export class PoolExecutor implements Executor {
  private readonly pool: Piscina;
  constructor(ctx: RunContext, readonly workers: number) {
    this.pool = new Piscina({ filename: new URL('./pool-worker.js', import.meta.url).href, minThreads: workers, maxThreads: workers, idleTimeout: 60_000, workerData: { ctx } });
  }
  async run(tasks: TrialTask[], onResult: (r: TrialResult) => Promise<void>): Promise<void> {
    await Promise.all(tasks.map(async (t) => onResult((await this.pool.run(t)) as TrialResult)));
  }
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

export class InlineExecutor implements Executor {
  constructor(private readonly ctx: RunContext) {}
  async run(tasks: TrialTask[], onResult: (r: TrialResult) => Promise<void>): Promise<void> {
    for (const t of tasks) await onResult(await runTrial(this.ctx, t));
  }
  async close(): Promise<void> {}
}
