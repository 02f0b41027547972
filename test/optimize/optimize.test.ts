// `bosun optimize` on generated candles: one worker thread, and two killed midway then resumed from MariaDB, give the
// same trials and the same best; a run killed midway resumes from MariaDB to the same result with every trial recorded once; trials that cannot win are
// pruned on the first window; the CLI writes the report (best, IS/OOS, DSR, PBO), the HTML and a loadable best config;
// the promotion gate refuses an optimized config whose run fails maxPbo / minDeflatedSharpe.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configIdentity } from '../../src/backtest/config-hash.js';
import { evaluateGate } from '../../src/backtest/promotion.js';
import { loadConfig } from '../../src/config/load.js';
import type { RunContext } from '../../src/optimize/evaluate.js';
import { PoolExecutor } from '../../src/optimize/executors.js';
import { runOptimize, type OptimizeReport } from '../../src/optimize/run.js';
import type { Executor } from '../../src/optimize/search.js';
import { latestRunForConfig } from '../../src/optimize/store.js';
import { tempDir } from '../helpers/config.js';
import { cliAsync } from '../helpers/daemon.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { essence, optimizeSetup } from '../helpers/optimize.js';

const dir = tempDir('optimize');
let db: TestDb;
let setup: ReturnType<typeof optimizeSetup>;
let reference: OptimizeReport;
test.before(async () => {
  db = await createTestDb('optimize');
  setup = optimizeSetup(dir, db.url);
});
test.after(async () => db.drop());

test('the reference run (one worker thread, no database): trials pruned on the first window, the report complete', async () => {
  const one = await runOptimize(setup.input(), { pool: null, executor: (c) => new PoolExecutor(c, 1) });
  reference = one;
  assert.is(one.trials.total, 8);
  assert.ok(one.best, 'a best trial');
  assert.ok(one.trials.pruned > 0, `pruned ${one.trials.pruned}`);
  for (const t of one.trialList.filter((x) => x.state === 'pruned')) assert.ok(t.number >= 4, 'nothing is pruned before the pruner has its startup trials');
  assert.is(one.windows.length, 6);
  assert.is(one.oos.windows.length, 6);
  assert.ok(one.oos.pooled && one.oos.pooled.hours > 0);
  assert.type(one.deflatedSharpe, 'number');
  assert.type(one.pbo, 'number');
  assert.is(one.cscv!.combinations, 12870);
  const imp = Object.values(one.importance).reduce((a, v) => a + v, 0);
  assert.ok(Math.abs(imp - 1) < 1e-9 || imp === 0, `importance sums to ${imp}`);
});

test('two worker threads, killed after five trials, resumed from MariaDB: the reference result, every trial recorded once', async () => {
  let n = 0;
  const dying = (c: RunContext): Executor => {
    const inner = new PoolExecutor(c, 2);
    return {
      run: (tasks, onResult) => inner.run(tasks, async (r) => {
        if (++n > 5) throw new Error('killed');
        await onResult(r);
      }),
      close: () => inner.close(),
    };
  };
  await runOptimize(setup.input(), { pool: db.pool, executor: dying }).then(() => assert.unreachable('should die'), (e: Error) => assert.match(e.message, 'killed'));
  const [row] = await db.pool.query<Array<{ n: bigint }>>('SELECT COUNT(*) AS n FROM optimize_trials');
  assert.is(Number(row!.n), 5);
  const resumed = await runOptimize(setup.input(), { pool: db.pool, executor: (c) => new PoolExecutor(c, 2) });
  assert.is(resumed.run.resumedTrials, 5);
  assert.is(essence(resumed), essence(reference));
  const [c] = await db.pool.query<Array<{ n: bigint; d: bigint; runs: bigint }>>('SELECT COUNT(*) AS n, COUNT(DISTINCT number) AS d, COUNT(DISTINCT run_id) AS runs FROM optimize_trials');
  assert.equal([Number(c!.n), Number(c!.d), Number(c!.runs)], [8, 8, 1]);
  const [run] = await db.pool.query<Array<{ status: string; best_trial: number }>>('SELECT status, best_trial FROM optimize_runs');
  assert.is(run!.status, 'done');
  assert.is(run!.best_trial, reference.best!.number);
});

test('the CLI: JSON with best params, IS and OOS metrics, deflatedSharpe and pbo; HTML; a best config promote can find', async () => {
  const out = join(dir, 'out.json');
  const html = join(dir, 'out.html');
  const best = join(dir, 'best.json');
  const r = await cliAsync(['optimize', '-c', setup.cfgFile, '--data', `BTC/USDT:USDT=${setup.csv}`, '--space', setup.spaceFile, '--trials', '4', '--seed', '5', '--workers', '2', '--json', out, '--html', html, '--best-config', best, '--fresh']);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(out, 'utf8')) as OptimizeReport;
  assert.ok(j.best && Object.keys(j.best.params).length === 4);
  assert.type(j.best.inSample.sharpe === null ? 0 : j.best.inSample.sharpe, 'number');
  assert.ok(j.oos.pooled);
  assert.type(j.deflatedSharpe, 'number');
  assert.type(j.pbo, 'number');
  // The first four trials are the reference's first four: same seed, same batch.
  assert.equal(j.trialList.map((t) => t.params), reference.trialList.slice(0, 4).map((t) => t.params));
  const page = readFileSync(html, 'utf8');
  assert.ok(page.includes('Parameter importance') && page.includes('id="scatter"') && page.includes('id="oos"'));
  const loaded = loadConfig(best, {}).config;
  assert.is(configIdentity(loaded).hash, j.bestConfig!.hash);
  assert.is(loaded.analytics.emaFast, j.best.params['analytics.emaFast']);
  const row = await latestRunForConfig(db.pool, j.bestConfig!.hash);
  assert.ok(row && row.id === j.run.id, 'promote finds the run by the best config\'s hash');
  assert.match(r.stdout, /deflated Sharpe ratio/);
});

test('the gate: an optimized config is refused when its run\'s PBO or DSR fails, and not judged on them otherwise', () => {
  const { config } = loadConfig(setup.cfgFile, {});
  const base = { target: 'testnet' as const, hash: 'h'.repeat(64), gate: config.backtest.gate, trackGate: config.backtest.trackRecord, now: 0, backtest: null, walkforward: null, otherBacktest: null, trackRecords: [] };
  const bad = evaluateGate({ ...base, optimizeRun: { id: 9, pbo: 0.8, deflated_sharpe: 0.2 } });
  assert.ok(bad.reasons.some((x) => /optimize run #9.*probability of backtest overfitting 0\.800 > 0\.5/.test(x)), bad.reasons.join('\n'));
  assert.ok(bad.reasons.some((x) => /deflated Sharpe ratio 0\.200 < 0\.9/.test(x)));
  const good = evaluateGate({ ...base, optimizeRun: { id: 9, pbo: 0.1, deflated_sharpe: 0.97 } });
  assert.ok(!good.reasons.some((x) => x.includes('optimize')));
  assert.ok(good.checks.some((x) => x.includes('PBO 0.100')));
  const none = evaluateGate(base);
  assert.ok(!none.reasons.some((x) => x.includes('optimize')) && !none.checks.some((x) => x.includes('optimize')));
});

test.run();
