// Lockstep replay clock: a SharedClock in another thread fires its timers only when the stepper moves the shared time,
// each at its own due time, and quiet() waits for everything those timers started; the config refuses lockstep where
// nothing steps it.
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LockstepCell, waitAsync } from '../../src/clock/lockstep.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir, writeConfig } from '../helpers/config.js';

const lib = (m: string) => JSON.stringify(new URL(`../../src/clock/${m}.js`, import.meta.url).href);

/** A thread with a SharedClock: records [tag, now()] into `out` (out[0] = count) from its timers. */
const THREAD = `
const { workerData } = require('node:worker_threads');
(async () => {
  const { LockstepCell, lockstepWork } = await import(${lib('lockstep')});
  const { SharedClock } = await import(${lib('shared-clock')});
  const cell = new LockstepCell(workerData.sab);
  lockstepWork.install(cell);
  const out = new Int32Array(workerData.out);
  // Atomics.waitAsync holds no handle: the thread is kept alive as a daemon's workers are (ports, pools, heartbeats).
  setInterval(() => undefined, 1000);
  const clock = new SharedClock(cell);
  const rec = (tag) => { const n = out[0]; out[1 + 2 * n] = tag; out[2 + 2 * n] = clock.now(); Atomics.store(out, 0, n + 1); };
  clock.setTimeout(() => rec(2), 100);
  clock.setTimeout(() => { rec(3); clock.setTimeout(() => rec(4), 50); }, 100);
  const gone = clock.setTimeout(() => rec(99), 120);
  clock.clearTimeout(gone);
  // A reaction that outlives the timer (an effect taking 80 ms of wall time), counted until it settles.
  clock.setTimeout(() => { rec(5); lockstepWork.track(new Promise((r) => setTimeout(r, 80))).then(() => rec(6)); }, 300);
  Atomics.store(out, 63, 1);
  Atomics.notify(out, 63);
})();
`;

const seen = (out: Int32Array): Array<[number, number]> => Array.from({ length: out[0]! }, (_, i) => [out[1 + 2 * i]!, out[2 + 2 * i]!]);

test('a SharedClock in another thread fires at the stepped time, in due order, and quiet() waits for its reactions', async () => {
  const sab = LockstepCell.create(0);
  const cell = new LockstepCell(sab);
  const outBuf = new SharedArrayBuffer(64 * 4);
  const out = new Int32Array(outBuf);
  const w = new Worker(THREAD, { eval: true, workerData: { sab, out: outBuf } });
  try {
    while (Atomics.load(out, 63) === 0) {
      const r = waitAsync(out, 63, 0, 5000);
      if (r.async) await r.value;
    }
    await cell.quiet();
    assert.equal(seen(out), [], 'nothing fires while time stands still');
    cell.advance(99);
    await cell.quiet();
    assert.equal(seen(out), [], 'nothing is due by 99');
    cell.advance(200);
    await cell.quiet();
    // Each at its own due time (FIFO on ties), including the timer set while firing; the cancelled one never.
    assert.equal(seen(out), [[2, 100], [3, 100], [4, 150]]);
    assert.is(cell.now(), 200);
    cell.advance(300);
    await cell.quiet();
    assert.equal(seen(out), [[2, 100], [3, 100], [4, 150], [5, 300], [6, 300]], 'quiet() resolved only after the tracked effect settled');
    assert.is(cell.inflight, 0);
  } finally {
    await w.terminate();
  }
});

test('a lockstep clock is refused where nothing would step it: outside paper, off the embedded venue, with tick matching', () => {
  const dir = tempDir('lockstep');
  const errorOf = (overrides: Record<string, unknown>, base = 'paper'): string => {
    try {
      loadConfig(writeConfig(dir, overrides, base), {});
    } catch (e) {
      assert.instance(e, ConfigError);
      return (e as Error).message;
    }
    return '';
  };
  const bars = { matching: 'bars' };
  assert.match(errorOf({ clock: { speed: 1, pace: 'lockstep' }, venue: bars }, 'testnet'), 'a lockstep clock needs paper mode');
  assert.match(errorOf({ clock: { speed: 400, pace: 'lockstep' }, venue: { matching: 'ticks' } }), 'venue.matching "bars"');
  assert.match(errorOf({ clock: { speed: 400, pace: 'lockstep' }, venue: bars, exchange: { url: 'http://127.0.0.1:9' } }), 'embedded venue');
  assert.match(errorOf({ clock: { speed: 1, pace: 'lockstep' }, venue: bars }), 'raise clock.speed');
  assert.is(errorOf({ clock: { speed: 400, pace: 'lockstep' }, venue: bars }), '');
  assert.is(loadConfig(writeConfig(dir, {}, 'paper'), {}).config.clock.pace, 'scaled');
});

test.run();
