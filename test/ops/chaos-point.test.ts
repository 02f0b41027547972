// Kill points: a real process that reaches chaosPoint(name) dies by SIGKILL at the n-th time only when told to, from a
// worker thread too; without the environment (or without test hooks) the calls do nothing.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseChaosPoint } from '../../src/ops/chaos-point.js';

const MODULE = new URL('../../src/ops/chaos-point.js', import.meta.url).href;
/** Reaches `order.written` three times, printing before each; in a worker thread when `worker`. */
const script = (worker: boolean) => {
  const body = `const { chaosPoint } = await import(${JSON.stringify(MODULE)}); for (let i = 1; i <= 3; i++) { console.log('at ' + i); chaosPoint('fill.recorded'); chaosPoint('order.written'); } console.log('done');`;
  return worker
    ? `const { Worker } = await import('node:worker_threads'); const w = new Worker(${JSON.stringify(body)}, { eval: true }); await new Promise((r) => w.once('exit', r)); console.log('main done');`
    : body;
};
const run = (env: Record<string, string>, worker = false) => {
  const { BOSUN_CHAOS_POINT: _a, BOSUN_TEST_HOOKS: _b, ...clean } = process.env;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script(worker)], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 20_000 });
};

test('BOSUN_CHAOS_POINT=name:n kills the process at the n-th time, with SIGKILL (nothing after it runs)', () => {
  const r = run({ BOSUN_CHAOS_POINT: 'order.written:2', BOSUN_TEST_HOOKS: '1' });
  assert.is(r.signal, 'SIGKILL');
  assert.equal(r.stdout.trim().split('\n'), ['at 1', 'at 2']);
});

test('from a worker thread it kills the whole process', () => {
  const r = run({ BOSUN_CHAOS_POINT: 'order.written', BOSUN_TEST_HOOKS: '1' }, true);
  assert.is(r.signal, 'SIGKILL');
  assert.not.match(r.stdout, 'main done');
});

test('a no-op without the variable, or without test hooks (a production process never dies by it)', () => {
  for (const env of [{}, { BOSUN_CHAOS_POINT: 'order.written' }] as Array<Record<string, string>>) {
    const r = run(env);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, 'done');
  }
});

test('a bad spec names the points it accepts', () => {
  assert.equal(parseChaosPoint('reconcile.step:3'), { name: 'reconcile.step', n: 3 });
  assert.throws(() => parseChaosPoint('nowhere'), /order\.written/);
  assert.throws(() => parseChaosPoint('order.written:0'), /N ≥ 1/);
});

test.run();
