import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { analyticsMachine } from '../../machines/analytics.machine.js';
import { marketFeedMachine } from '../../machines/market-feed.machine.js';
import { SimClock } from '../../src/clock/clock.js';
import { engineParams } from '../../src/analytics/params.js';
import type { Candle, Snapshot } from '../../src/protocol/index.js';
import { testConfig } from '../helpers/config.js';

const synthetic = { seed: 7, startPrice: 30000, volatility: 0.0012, regimeMinutes: 240, baseVolume: 25 };
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function runFeed(clock: SimClock, last: { openTime: number; close: number } | null) {
  const persisted: Candle[] = [];
  const emitted: Candle[] = [];
  const actor = createActor(marketFeedMachine.provide({ actions: { persistCandle: (_, c: Candle) => persisted.push(c) } }), {
    clock,
    input: { symbols: ['BTC/USDT:USDT'], synthetic, now: () => clock.now(), maxBackfillMinutes: 1440, initialHistoryMinutes: 30 },
  });
  actor.on('market.candle', (e) => emitted.push(e.payload));
  actor.start();
  actor.send({ type: 'feed.loaded', last: { 'BTC/USDT:USDT': last } });
  return { actor, persisted, emitted };
}

test('market-feed: on an empty DB it generates history, then one candle per clock minute at its close', () => {
  const clock = new SimClock(T0 + 30_000);
  const { actor, persisted, emitted } = runFeed(clock, null);
  clock.advance(0);
  for (let i = 0; i < 40 && actor.getSnapshot().value !== 'streaming'; i++) clock.advance(0);
  assert.is(actor.getSnapshot().value, 'streaming');
  assert.is(emitted.length, 30);
  assert.is(emitted.at(-1)!.openTime, T0 - 60_000);
  clock.advanceTo(T0 + 59_999);
  assert.is(emitted.length, 30);
  clock.advanceTo(T0 + 60_000);
  assert.is(emitted.length, 31);
  assert.is(emitted.at(-1)!.openTime, T0);
  assert.equal(persisted, emitted);
  for (let i = 1; i < emitted.length; i++) {
    assert.is(emitted[i]!.openTime - emitted[i - 1]!.openTime, 60_000);
    assert.is(emitted[i]!.open, emitted[i - 1]!.close);
    assert.ok(emitted[i]!.high >= Math.max(emitted[i]!.open, emitted[i]!.close) && emitted[i]!.low <= Math.min(emitted[i]!.open, emitted[i]!.close));
  }
});

test('market-feed: a restart resumes after the last stored candle and reproduces the same market', () => {
  const c1 = new SimClock(T0 + 1000);
  const a = runFeed(c1, null);
  for (let i = 0; i < 40; i++) c1.advance(0);
  c1.advanceTo(T0 + 10 * 60_000 + 1000);
  const all = a.emitted.slice();
  const cut = all[15]!;
  const c2 = new SimClock(T0 + 10 * 60_000 + 1000);
  const b = runFeed(c2, { openTime: cut.openTime, close: cut.close });
  for (let i = 0; i < 40; i++) c2.advance(0);
  assert.equal(b.emitted, all.slice(16));
});

test('analytics: warming until indicators are warm, then a snapshot per candle, full on the period boundary', () => {
  const clock = new SimClock(T0);
  const feed = runFeed(clock, null);
  for (let i = 0; i < 40; i++) clock.advance(0);
  clock.advanceTo(T0 + 20 * 60_000);
  const candles = feed.emitted;
  const persisted: Snapshot[] = [];
  const snaps: Snapshot[] = [];
  const actor = createActor(analyticsMachine.provide({ actions: { persistSnapshot: (_, s: Snapshot) => persisted.push(s) } }), {
    clock,
    input: { symbols: ['BTC/USDT:USDT'], params: engineParams(testConfig({ analytics: { emaFast: 3, emaSlow: 5, rsiPeriod: 5, atrPeriod: 5 } }).analytics), fullSnapshotSec: 300, ml: { kind: 'none', reason: 'no model configured' }, catchUpMs: null },
  });
  actor.on('analytics.snapshot', (e) => snaps.push(e.payload));
  actor.start();
  assert.is(actor.getSnapshot().value, 'warming');
  actor.send({ type: 'analytics.warmup', candles: candles.slice(0, 3) });
  assert.is(actor.getSnapshot().value, 'warming');
  for (const c of candles.slice(3)) actor.send({ type: 'analytics.candle', candle: c });
  assert.is(actor.getSnapshot().value, 'ready');
  assert.ok(snaps.length >= candles.length - 8);
  for (const s of snaps) {
    assert.ok(s.ind.rsi! >= 0 && s.ind.rsi! <= 100);
    assert.ok(s.ind.atr! > 0);
    assert.is(s.kind, s.ts % 300_000 === 0 ? 'full' : 'fast');
  }
  assert.equal(persisted, snaps.filter((s) => s.kind === 'full'));
  const n = snaps.length;
  actor.send({ type: 'analytics.candle', candle: candles.at(-1)! });
  assert.is(snaps.length, n, 'a replayed candle is ignored');
});

test.run();
