// Trials across processes on the real Redis (127.0.0.1:6379) with BullMQ: two `bosun worker` processes run a search
// and give the same trials and best as the local pool; one of them killed (SIGKILL) in the middle of a trial, the
// trial goes back to the queue, the run completes, and no trial is counted twice (MariaDB holds each number once).
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Queue } from 'bullmq';
import { PoolExecutor } from '../../src/optimize/executors.js';
import { QueueExecutor, redisFor } from '../../src/optimize/queue.js';
import { runOptimize, type OptimizeReport } from '../../src/optimize/run.js';
import { tempDir } from '../helpers/config.js';
import { BOSUN } from '../helpers/daemon.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { essence, optimizeSetup } from '../helpers/optimize.js';
import { waitFor } from '../helpers/wait.js';

const REDIS = process.env.BOSUN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NAME = `bosun-optimize-test-${process.pid}`;
const QUEUE = { name: NAME, lockMs: 3000, stalledIntervalMs: 1000, maxStalledCount: 10, attempts: 3 };
const dir = tempDir('optimize-queue');
let db: TestDb;
let setup: ReturnType<typeof optimizeSetup>;
const workers: Array<{ p: ChildProcess; out: string }> = [];

function startWorker(): { p: ChildProcess; out: string } {
  const w = { p: spawn(process.execPath, [BOSUN, 'worker', '--queue', REDIS, '-c', setup.cfgFile], { stdio: ['ignore', 'pipe', 'pipe'] }), out: '' };
  w.p.stdout!.on('data', (c) => (w.out += c));
  w.p.stderr!.on('data', (c) => (w.out += c));
  workers.push(w);
  return w;
}

test.before(async () => {
  db = await createTestDb('optqueue');
  setup = optimizeSetup(dir, db.url, { queue: QUEUE });
});
test.after(async () => {
  for (const w of workers) if (w.p.exitCode === null) w.p.kill('SIGKILL');
  const conn = redisFor(REDIS);
  const q = new Queue(NAME, { connection: conn });
  await q.obliterate({ force: true }).catch(() => undefined);
  await q.close();
  conn.disconnect();
  await db.drop();
});

test('two bosun workers, one killed mid-trial: the run completes with the local result, each trial counted once', async () => {
  const local: OptimizeReport = await runOptimize(setup.input(), { pool: null, executor: (c) => new PoolExecutor(c, 2) });
  const a = startWorker();
  const b = startWorker();
  await waitFor('both workers ready', () => a.out.includes(`queue ${NAME}`) && b.out.includes(`queue ${NAME}`), 60_000);
  let killed = false;
  let tag = '';
  const remote = await runOptimize(setup.input(), {
    pool: db.pool,
    executor: (c, key, id) => {
      tag = `${key.slice(0, 16)}-r${id}`;
      return new QueueExecutor(REDIS, QUEUE, c, key, tag);
    },
    onTrial: () => {
      // After a's first trial it has taken the next job at once: kill it in the middle of that one.
      if (!killed && /trial \d+/.test(a.out)) {
        killed = true;
        a.p.kill('SIGKILL');
      }
    },
  });
  assert.ok(killed, 'worker a was killed during the run');
  assert.is(essence(remote), essence(local));
  const [c] = await db.pool.query<Array<{ n: bigint; d: bigint }>>('SELECT COUNT(*) AS n, COUNT(DISTINCT number) AS d FROM optimize_trials');
  assert.equal([Number(c!.n), Number(c!.d)], [8, 8]);
  // The job a held was retried: some job of the run stalled once and completed on b.
  const conn = redisFor(REDIS);
  const q = new Queue(NAME, { connection: conn });
  const jobs = await Promise.all(Array.from({ length: 8 }, (_, n) => q.getJob(`${tag}-${n}`)));
  await q.close();
  conn.disconnect();
  const stalled = jobs.filter((j) => j && (j.stalledCounter ?? 0) > 0);
  const done = jobs.filter((j) => j?.finishedOn);
  assert.is(done.length, 8);
  assert.ok(stalled.length >= 1, `a job was retried after the kill (stalled counters ${jobs.map((j) => j?.stalledCounter).join(',')}); worker a said:\n${a.out}`);
  assert.ok(b.out.includes('trial'), 'worker b ran trials');
});

test.run();
