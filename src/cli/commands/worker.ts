// `bosun worker --queue redis://HOST:6379`: runs optimize trials from the BullMQ queue until stopped (any number of
// these, on any machine that has bosun). Guarantees a trial taken and not finished (the process killed) goes back to
// the queue when its lock lapses, and SIGINT/SIGTERM finish the trials in hand before leaving.
import type { Command } from 'commander';
import { configFor, UsageError } from '../../backtest/cli-support.js';
import type { CliContext } from '../shared.js';

type Opts = { queue: string; config?: string; concurrency: string; queueName?: string; quiet?: boolean };

export function register(program: Command, _ctx: CliContext): void {
  program
    .command('worker')
    .description('run `bosun optimize --queue` trials from a Redis (BullMQ) queue until stopped')
    .requiredOption('--queue <redis-url>', 'the Redis the trials are queued on, e.g. redis://127.0.0.1:6379')
    .option('-c, --config <file>', 'config (queue name and lock timings in backtest.optimize.queue)')
    .option('--queue-name <name>', 'queue name (default: backtest.optimize.queue.name)')
    .option('--concurrency <n>', 'trials at once in this process', '1')
    .option('-q, --quiet', 'no line per trial')
    .action(async (o: Opts) => {
      if (!/^rediss?:\/\//.test(o.queue)) throw new UsageError(`--queue ${o.queue}: expected a Redis URL like redis://127.0.0.1:6379`);
      const concurrency = Number(o.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${o.concurrency}: expected an integer ≥ 1`);
      const { config } = configFor({ ...(o.config !== undefined ? { config: o.config } : {}) });
      const s = { ...config.backtest.optimize.queue, ...(o.queueName ? { name: o.queueName } : {}) };
      const { startQueueWorker } = await import('../../optimize/queue.js');
      const w = startQueueWorker(o.queue, s, {
        concurrency,
        onTrial: (r, job) => {
          if (!o.quiet) process.stdout.write(`trial ${r.number} (job ${job.id}, attempt ${job.attemptsMade + 1}): ${r.state}${r.value !== null ? ` ${r.value.toFixed(4)}` : ''}\n`);
        },
      });
      await w.worker.waitUntilReady();
      process.stdout.write(`worker ${process.pid} on ${o.queue} queue ${s.name}, ${concurrency} at a time\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await w.close();
      process.stdout.write(`worker ${process.pid} stopped after ${w.done()} trial(s)\n`);
    });
}
