import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { analyticsMachine } from '../../machines/analytics.machine.js';
import { synthCandle } from '../../src/market/synthetic.js';
import { SimClock } from '../../src/clock/clock.js';
import { engineParams } from '../../src/analytics/params.js';
import type { Candle, Snapshot } from '../../src/protocol/index.js';
import { testConfig } from '../helpers/config.js';

const synth = { seed: 7, startPrice: 30000, volatility: 0.0012, regimeMinutes: 240, baseVolume: 25 };
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** Closed 1m candles of the seeded synthetic market (what the venue serves), `n` minutes from `from`. */
function synthetic(from: number, n: number): Candle[] {
  const out: Candle[] = [];
  let prev = synth.startPrice;
  for (let i = 0; i < n; i++) {
    const c = synthCandle(synth, 'BTC/USDT:USDT', from + i * 60_000, prev);
    prev = c.close;
    out.push(c);
  }
  return out;
}

test('analytics: warming until indicators are warm, then a snapshot per candle, full on the period boundary', () => {
  const clock = new SimClock(T0 + 20 * 60_000);
  const candles = synthetic(T0 - 30 * 60_000, 50);
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
