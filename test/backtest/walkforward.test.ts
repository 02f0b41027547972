// Walk-forward on generated candles: a model trained on the real labels is kept, models trained on shuffled labels are
// demoted; `bosun walkforward` records the run and the ML weight in MariaDB, where the decision engine reads it (seed
// 001: the ML signal demoted to 0.03), and a later passing run re-elevates it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configIdentity } from '../../src/backtest/config-hash.js';
import { walkforward } from '../../src/backtest/walkforward.js';
import { decide } from '../../src/decision/engine.js';
import { restoreDecisionState } from '../../src/decision/host-effects.js';
import { loadConfig } from '../../src/config/load.js';
import type { Snapshot } from '../../src/protocol/index.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cliAsync } from '../helpers/daemon.js';
import { synthCandles } from '../helpers/market-data.js';
import { bullish } from '../helpers/snapshots.js';

const dir = tempDir('walkforward');
const WF = { trainDays: 3, testDays: 1, stepDays: 1, minWindows: 3 };
const candles = synthCandles(10 * 1440);
const csv = join(dir, 'synth.csv');
writeFileSync(csv, `open_time,open,high,low,close,volume\n${candles.map((c) => `${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`);
let db: TestDb;
let cfgFile: string;
test.before(async () => {
  db = await createTestDb('walkforward');
  cfgFile = writeConfig(dir, { db: { url: db.url }, decision: { strategy: 'voting13' }, backtest: { walkforward: WF } }, 'paper');
});
test.after(async () => db.drop());

test('real labels: kept (out-of-sample better than chance); shuffled labels: demoted, whatever the seed', async () => {
  const config = loadConfig(cfgFile, {}).config;
  const identity = configIdentity(config);
  const real = await walkforward({ config, identity, candles });
  assert.is(real.windows.length, 6);
  assert.ok(!real.demoted, real.reason);
  assert.ok(real.oos.balancedAccuracy > 0.55 && real.oos.logLoss < real.baselineLogLoss, real.reason);
  assert.is(real.mlMultiplier, 1);
  for (const w of real.windows) {
    assert.ok(w.testFrom === w.trainTo && w.testTo - w.testFrom === 86_400_000);
    assert.ok(w.trainRows > 600 && w.test.n > 250, `window ${w.window}: ${w.trainRows} training rows, ${w.test.n} test rows`);
  }
  for (const seed of [100, 107, 114]) {
    const placebo = await walkforward({ config, identity, candles, shuffleSeed: seed });
    assert.ok(placebo.demoted, `seed ${seed}: ${placebo.reason}`);
    assert.is(placebo.mlMultiplier, config.backtest.walkforward.demotedMultiplier);
    console.log(`shuffled ${seed}: ${placebo.reason}`);
  }
  console.log(`real labels: ${real.reason}`);
});

const mlSnapshot = (ts: number, pUp: number): Snapshot => bullish(ts, { ml: { available: true, pUp, model: 'test' } });

test('bosun walkforward records the demotion where the decision engine reads it; a passing run re-elevates', async () => {
  const placebo = await cliAsync(['walkforward', '--config', cfgFile, '--data', csv, '--shuffle-labels', '100', '--no-strategy-metrics']);
  assert.is(placebo.code, 0, placebo.stderr);
  assert.match(placebo.stdout, /ML weight ×0\.3 \(demoted\)/);
  assert.match(placebo.stdout, /voting13 ml weight ×1 \(none set\) → ×0\.3; no daemon running/);
  const [run] = await db.pool.query<Array<{ id: number; demoted: number; windows: number; oos_balanced_accuracy: number; config_hash: string }>>('SELECT * FROM walkforward_runs');
  assert.is(run!.demoted, 1);
  assert.is(run!.windows, 6);
  const config = loadConfig(cfgFile, {}).config;
  assert.is(run!.config_hash, configIdentity(config).hash);
  // The decision engine, restored from MariaDB as the worker does, applies ml ×0.3: weight 0.10 → 0.03.
  const restored = await restoreDecisionState(db.pool, config, Date.now());
  assert.equal(restored.overrides, { ml: 0.3 });
  const s = mlSnapshot(Date.UTC(2026, 0, 20, 12), 0.9);
  const demoted = decide(s, { risk: restored.risk, fallbackEquity: 10_000, prev: null, prevDir: null, learning: restored.learning, overrides: restored.overrides }, restored.cfg);
  const vote = demoted.decision.detail!.votes.find((v) => v.source === 'ml')!;
  assert.ok(Math.abs(vote.weight - 0.03) < 1e-12, `ml weight ${vote.weight}`);
  assert.ok(Math.abs(vote.contribution - 0.03 * 0.8) < 1e-12, `ml contribution ${vote.contribution}`);

  const real = await cliAsync(['walkforward', '--config', cfgFile, '--data', csv]);
  assert.is(real.code, 0, real.stderr);
  assert.match(real.stdout, /ML weight ×1\n/);
  assert.match(real.stdout, /ml weight ×0\.3 → ×1/);
  assert.match(real.stdout, /trades, WR/, 'strategy metrics per window');
  const history = await db.pool.query<Array<{ old_multiplier: string | null; new_multiplier: string; origin: string; reason: string }>>('SELECT * FROM signal_weight_override_history ORDER BY id');
  assert.equal(history.map((h) => [h.old_multiplier === null ? null : Number(h.old_multiplier), Number(h.new_multiplier), h.origin]), [[null, 0.3, 'walkforward'], [0.3, 1, 'walkforward']]);
  const after = await restoreDecisionState(db.pool, config, Date.now());
  const kept = decide(s, { risk: after.risk, fallbackEquity: 10_000, prev: null, prevDir: null, learning: after.learning, overrides: after.overrides }, after.cfg);
  assert.ok(Math.abs(kept.decision.detail!.votes.find((v) => v.source === 'ml')!.weight - 0.1) < 1e-12);
});

test.run();
