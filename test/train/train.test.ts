// Training → ONNX → inference: both model kinds trained in TypeScript on generated candles, written by our encoder,
// run by onnxruntime-node through the analytics pool (the daemon's path) and equal to the TypeScript model to 1e-6;
// the dataset has no look-ahead; `bosun train` writes a model analytics loads.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { engineParams } from '../../src/analytics/params.js';
import { AnalyticsPool } from '../../src/analytics/pool.js';
import { readMetadata } from '../../src/analytics/ml/onnx-proto.js';
import { buildDataset, subset } from '../../src/train/dataset.js';
import { modelScores } from '../../src/train/evaluate.js';
import { logit, predict } from '../../src/train/model.js';
import { checkParity, modelToOnnx } from '../../src/train/onnx.js';
import { trainModel } from '../../src/train/train.js';
import { tempDir, testConfig, writeConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cliAsync } from '../helpers/daemon.js';
import { synthCandles } from '../helpers/market-data.js';

const dir = tempDir('train');
const config = testConfig({}, 'default');
const tc = config.backtest.train;
const candles = synthCandles(6 * 1440);
const ds = buildDataset(candles, engineParams(config.analytics), tc);
let pool: AnalyticsPool;
let db: TestDb;
test.before(async () => {
  pool = new AnalyticsPool(1);
  db = await createTestDb('train');
});
test.after(async () => {
  await pool.close();
  await db.drop();
});

test('the dataset has no look-ahead: a row is the same whatever candles come after it', () => {
  const cut = candles.length - 1440;
  const early = buildDataset(candles.slice(0, cut), engineParams(config.analytics), tc);
  assert.ok(early.ts.length > 500, `rows ${early.ts.length}`);
  const byTs = new Map(ds.ts.map((t, i) => [t, i]));
  for (let i = 0; i < early.ts.length; i++) {
    const j = byTs.get(early.ts[i]!)!;
    assert.equal(Array.from(early.x[i]!), Array.from(ds.x[j]!), `features at ${new Date(early.ts[i]!).toISOString()}`);
    assert.is(early.y[i], ds.y[j]);
  }
  // Labels read the close `horizon` later, and only rows whose label is inside the data exist.
  const close = new Map(candles.map((c) => [c.openTime + 60_000, c.close]));
  for (let i = 0; i < ds.ts.length; i += 97) {
    assert.is(ds.labelTs[i], ds.ts[i]! + tc.horizonMin * 60_000);
    assert.is(ds.y[i], close.get(ds.labelTs[i]!)! > close.get(ds.ts[i]!)! ? 1 : 0);
  }
  assert.equal(ds.features, tc.features);
});

for (const kind of ['logistic', 'gbdt'] as const) {
  test(`${kind}: trained in TypeScript, exported to ONNX, onnxruntime (analytics pool) equals it to 1e-6`, async () => {
    const train = subset(ds, (i) => i < ds.ts.length * 0.7);
    const held = subset(ds, (i) => i >= ds.ts.length * 0.7);
    const model = trainModel(train, { ...tc, model: kind });
    const s = modelScores(model, held.x, held.y);
    assert.ok(s.balancedAccuracy > 0.53, `${kind} learns the generated market (held-out balanced accuracy ${s.balancedAccuracy})`);
    if (kind === 'gbdt') assert.ok(model.kind === 'gbdt' && model.trees.length === tc.gbdt.trees);
    const file = join(dir, `${kind}.onnx`);
    const bytes = modelToOnnx(model, { 'bosun.name': `test-${kind}` });
    writeFileSync(file, bytes);
    assert.equal(modelToOnnx(model, { 'bosun.name': `test-${kind}` }), bytes, 'same model, same bytes');
    assert.is(readMetadata(bytes)['bosun.features'], tc.features.join(','));
    const info = await pool.loadModel(file);
    assert.equal(info.features, tc.features);
    assert.is(info.inputType, 'float64');
    let worst = 0;
    const rows = held.x.slice(0, 300);
    for (const x of rows) {
      const p = await pool.infer(file, Array.from(x), 5000);
      worst = Math.max(worst, Math.abs(p - predict(model, x)));
    }
    assert.ok(worst <= 1e-6, `max |Δp_up| ${worst}`);
    const batch = await checkParity(model, bytes, held.x);
    assert.ok(batch.ok && batch.maxAbsDiff <= 1e-6, `batch parity ${batch.maxAbsDiff}`);
    console.log(`${kind}: held-out balanced accuracy ${(s.balancedAccuracy * 100).toFixed(1)} %, onnxruntime vs TypeScript max |Δp_up| ${Math.max(worst, batch.maxAbsDiff).toExponential(2)}`);
  });
}

test('a tree split decides exactly as onnxruntime on values at and around its threshold', async () => {
  const model = trainModel(subset(ds, (i) => i < 2000), { ...tc, model: 'gbdt', gbdt: { ...tc.gbdt, trees: 5 } });
  if (model.kind !== 'gbdt') throw new Error('expected trees');
  const split = model.trees[0]!.find((n) => 'threshold' in n) as { feature: number; threshold: number };
  const base = Array.from(ds.x[0]!);
  // The next float64 above the threshold: goes right in float64, would go left if compared in float32.
  const up = (x: number) => {
    const f = new Float64Array([x]);
    const i = new BigInt64Array(f.buffer);
    i[0] = i[0]! + (x >= 0 ? 1n : -1n);
    return f[0]!;
  };
  const rows = [split.threshold, split.threshold - 1e-12, split.threshold + 1e-12, up(split.threshold)].map((v) => base.map((x, j) => (j === split.feature ? v : x)));
  const parity = await checkParity(model, modelToOnnx(model), rows);
  assert.ok(parity.ok, `max |Δp_up| ${parity.maxAbsDiff} at the threshold`);
  assert.ok(logit(model, rows[0]!) !== logit(model, rows[3]!), 'the rows straddle the split');
});

test('bosun train writes a model analytics loads, after the parity check', async () => {
  const csv = join(dir, 'synth.csv');
  writeFileSync(csv, `open_time,open,high,low,close,volume\n${candles.slice(0, 4 * 1440).map((c) => `${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`);
  const cfg = writeConfig(dir, { db: { url: db.url } }, 'paper');
  const out = join(dir, 'cli.onnx');
  const r = await cliAsync(['train', '--config', cfg, '--data', csv, '--model', 'logistic', '--out', out]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /onnxruntime parity: max \|Δp_up\| [0-9.e+-]+ ≤ 0\.000001 on \d+ rows/);
  const info = await pool.loadModel(out);
  assert.is(info.name, 'cli');
  assert.match(readMetadata(readFileSync(out))['bosun.trained_on']!, /^synth\.csv sha256 [0-9a-f]{64} /);
  const bad = await cliAsync(['train', '--config', cfg, '--data', csv, '--model', 'forest', '--out', out]);
  assert.is(bad.code, 64, 'an unknown model kind is a usage error');
  assert.match(bad.stderr, /--model forest: use logistic or gbdt/);
});

test.run();
