// Stale market data: one alert per silence longer than the limit (also when the feed is down), one recovery.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StaleWatch } from '../../src/ops/stale-watch.js';

test('silence beyond the limit raises stale once; data flowing again recovers once', () => {
  const w = new StaleWatch(10_000, 0);
  assert.is(w.observe(1000, 5, true), null);
  assert.is(w.observe(9000, 9, true), null);
  assert.is(w.observe(19_000, 9, true), null, 'exactly at the limit is not stale yet');
  assert.equal(w.observe(19_001, 9, true), { kind: 'stale', silentMs: 10_001 });
  assert.is(w.observe(30_000, 9, true), null, 'one alert per outage');
  assert.equal(w.observe(31_000, 10, true), { kind: 'recovered' });
  assert.is(w.observe(32_000, 11, true), null);
});

test('a feed that is not running is stale even if its last count differs', () => {
  const w = new StaleWatch(1000, 0);
  assert.is(w.observe(500, 3, true), null);
  assert.is(w.observe(1200, 0, false), null);
  assert.equal(w.observe(1600, 0, false), { kind: 'stale', silentMs: 1100 });
  assert.equal(w.observe(1700, 1, true), { kind: 'recovered' });
});

test.run();
