import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ScaledClock, SimClock } from '../../src/clock/clock.js';

test('SimClock fires timers in due order, each at its own due time, including timers set while firing', () => {
  const c = new SimClock(1000);
  const seen: Array<[string, number]> = [];
  c.setTimeout(() => seen.push(['b', c.now()]), 200);
  c.setTimeout(() => {
    seen.push(['a', c.now()]);
    c.setTimeout(() => seen.push(['a2', c.now()]), 50);
  }, 100);
  const cancelled = c.setTimeout(() => seen.push(['x', c.now()]), 120);
  c.clearTimeout(cancelled);
  c.advance(1000);
  assert.equal(seen, [['a', 1100], ['a2', 1150], ['b', 1200]]);
  assert.is(c.now(), 2000);
  assert.throws(() => c.advanceTo(10), /cannot go back/);
});

test('SimClock keeps FIFO order for timers due at the same time', () => {
  const c = new SimClock(0);
  const seen: number[] = [];
  for (let i = 0; i < 5; i++) c.setTimeout(() => seen.push(i), 10);
  c.advance(10);
  assert.equal(seen, [0, 1, 2, 3, 4]);
});

test('ScaledClock runs speed× faster than the wall and shrinks timer delays by the same factor', async () => {
  const wall = Date.now();
  const c = new ScaledClock({ simStart: 1_000_000, wallStart: wall, speed: 100 });
  const t0 = c.now();
  assert.ok(t0 >= 1_000_000 && t0 < 1_000_000 + 5000);
  const started = Date.now();
  await new Promise<void>((r) => c.setTimeout(r, 3000)); // 30 ms of wall time
  const waited = Date.now() - started;
  assert.ok(waited >= 25 && waited < 500, `waited ${waited} ms`);
  assert.ok(c.now() - t0 >= 2500);
});

test.run();
