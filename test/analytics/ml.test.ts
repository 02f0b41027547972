// ML inference with onnxruntime-node in the piscina pool on a tiny logistic model written by our own ONNX
// encoder: p_up equals σ(w·x + b) computed by hand; snapshots carry it in candle order; without a usable
// model the signal reports itself unavailable with the reason, never a number.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { analyticsMachine, type InferenceRequest } from '../../machines/analytics.machine.js';
import { featureVector } from '../../src/analytics/ml/features.js';
import { logisticModel, readMetadata } from '../../src/analytics/ml/onnx-proto.js';
import { engineParams } from '../../src/analytics/params.js';
import { AnalyticsPool } from '../../src/analytics/pool.js';
import { SimClock } from '../../src/clock/clock.js';
import type { MlSignal, Snapshot } from '../../src/protocol/index.js';
import { tempDir, testConfig } from '../helpers/config.js';
import { BTC, synthCandles } from '../helpers/market-data.js';

const dir = tempDir('ml');
const FEATURES = ['rsi', 'ema_spread_atr', 'adx', 'mtf_alignment', 'hour_sin'];
const W = [1.5, -0.8, 2.25, 0.5, -0.125];
const B = -0.75;
const modelFile = join(dir, 'logistic.onnx');
writeFileSync(modelFile, logisticModel(W, B, { 'bosun.features': FEATURES.join(','), 'bosun.name': 'logistic-test' }));
const f32 = (x: number) => Math.fround(x);
/** σ(w·x + b) by hand, in float32 inputs/weights as the model stores them. */
const byHand = (x: number[]) => 1 / (1 + Math.exp(-(x.reduce((a, v, i) => a + f32(v) * f32(W[i]!), 0) + f32(B))));

async function rejects(fn: () => Promise<unknown>, re: RegExp): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.match((err as Error).message, re);
    return (err as Error).message;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
  return '';
}

let pool: AnalyticsPool;
test.before(() => {
  pool = new AnalyticsPool(1);
});
test.after(async () => pool.close());

test('our ONNX encoder writes a model onnxruntime accepts, with its metadata; p_up = σ(w·x + b)', async () => {
  assert.equal(readMetadata(logisticModel([1], 0, { a: 'b', 'bosun.features': 'rsi' })), { a: 'b', 'bosun.features': 'rsi' });
  const info = await pool.loadModel(modelFile);
  assert.equal(info.features, FEATURES);
  assert.is(info.name, 'logistic-test');
  for (const x of [[0.5, 1.2, 0.3, -0.4, 0.9], [0, 0, 0, 0, 0], [0.9, -3, 0.6, 1, -1]]) {
    const p = await pool.infer(modelFile, x, 2000);
    assert.ok(Math.abs(p - byHand(x)) < 1e-6, `p_up ${p} vs hand ${byHand(x)}`);
  }
});

test('snapshots carry p_up from the pool, in candle order, computed on their own features', async () => {
  const candles = synthCandles(4320 + 20);
  const snaps: Snapshot[] = [];
  const requests: InferenceRequest[] = [];
  const actor = createActor(analyticsMachine.provide({ actions: { requestInference: (_, r: InferenceRequest) => requests.push(r) } }), {
    clock: new SimClock(candles[0]!.openTime),
    input: { symbols: [BTC], params: engineParams(testConfig({}, 'default').analytics), fullSnapshotSec: 300, catchUpMs: null, ml: { kind: 'model', name: 'logistic-test', features: FEATURES } },
  });
  actor.on('analytics.snapshot', (e) => snaps.push(e.payload));
  actor.start();
  actor.send({ type: 'analytics.warmup', candles: candles.slice(0, 4320) });
  for (const c of candles.slice(4320)) actor.send({ type: 'analytics.candle', candle: c });
  assert.is(snaps.length, 0, 'nothing leaves before its inference is answered');
  assert.is(requests.length, 20);
  // Answer in reverse order: snapshots still leave in candle order.
  const answers = await Promise.all(requests.map((r) => pool.infer(modelFile, r.values, 2000)));
  for (let i = requests.length - 1; i >= 0; i--) actor.send({ type: 'analytics.ml_result', seq: requests[i]!.seq, ml: { available: true, pUp: answers[i]!, model: 'logistic-test' } });
  assert.is(snaps.length, 20);
  assert.equal(snaps.map((s) => s.ts), candles.slice(4320).map((c) => c.openTime + 60_000));
  for (const s of snaps) {
    const fv = featureVector(s, FEATURES);
    assert.ok('values' in fv);
    const ml = s.ml as Extract<MlSignal, { available: true }>;
    assert.ok(ml.available);
    assert.ok(Math.abs(ml.pUp - byHand(fv.values)) < 1e-6);
  }
});

test('no usable model: the ML signal is unavailable with the reason, never a made-up number', async () => {
  await rejects(() => pool.loadModel(join(dir, 'missing.onnx')), /cannot read model .*ENOENT/);
  writeFileSync(join(dir, 'nometa.onnx'), logisticModel([1], 0));
  await rejects(() => pool.loadModel(join(dir, 'nometa.onnx')), /no "bosun.features" metadata/);
  writeFileSync(join(dir, 'unknown.onnx'), logisticModel([1, 2], 0, { 'bosun.features': 'rsi,lunar_phase' }));
  await rejects(() => pool.loadModel(join(dir, 'unknown.onnx')), /unknown features: lunar_phase/);
  writeFileSync(join(dir, 'garbage.onnx'), 'this is not protobuf at all');
  console.log('garbage model:', await rejects(() => pool.loadModel(join(dir, 'garbage.onnx')), /./));
  writeFileSync(join(dir, 'wrongwidth.onnx'), logisticModel([1, 2, 3], 0, { 'bosun.features': 'rsi,adx' }));
  console.log('wrong width:', await rejects(() => pool.loadModel(join(dir, 'wrongwidth.onnx')), /does not run on its 2 declared features: .*invalid dimensions/s));
  // A snapshot whose model feature has no data yet says which one.
  const candles = synthCandles(200);
  const snaps: Snapshot[] = [];
  const actor = createActor(analyticsMachine, {
    clock: new SimClock(candles[0]!.openTime),
    input: { symbols: [BTC], params: engineParams(testConfig({}, 'default').analytics), fullSnapshotSec: 300, catchUpMs: null, ml: { kind: 'model', name: 'm', features: ['mom_4h'] } },
  });
  actor.on('analytics.snapshot', (e) => snaps.push(e.payload));
  actor.start();
  for (const c of candles) actor.send({ type: 'analytics.candle', candle: c });
  assert.ok(snaps.length > 100);
  for (const s of snaps) assert.equal(s.ml, { available: false, reason: 'feature mom_4h is not available yet' });
});

test.run();
