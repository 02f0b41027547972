// The shared BTC month replayed through the analytics machine (1m candles only, higher timeframes derived):
// the March 10–11 crash must read TRENDING_DOWN or VOLATILE and the March 13–14 rally TRENDING_UP, and the
// label must not flap (hysteresis).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { analyticsMachine } from '../../machines/analytics.machine.js';
import { engineParams } from '../../src/analytics/params.js';
import { SimClock } from '../../src/clock/clock.js';
import type { Regime, Snapshot } from '../../src/protocol/index.js';
import { testConfig } from '../helpers/config.js';
import { BTC, BTC_FILE, loadBtcCandles, missing } from '../helpers/market-data.js';

const candles = loadBtcCandles();
const day = (d: number) => Date.UTC(2023, 2, d);

if (!candles) {
  console.log(missing(BTC_FILE));
  test.skip('regime over the shared month (../shared/data absent)', () => {});
} else {
  const snaps: Snapshot[] = [];
  const clock = new SimClock(candles[0]!.openTime);
  const actor = createActor(analyticsMachine, {
    clock,
    input: { symbols: [BTC], params: engineParams(testConfig({}, 'default').analytics), fullSnapshotSec: 300, ml: { kind: 'none', reason: 'no model' }, catchUpMs: null },
  });
  actor.on('analytics.snapshot', (e) => snaps.push(e.payload));
  actor.start();
  for (const c of candles) actor.send({ type: 'analytics.candle', candle: c });
  const labelsIn = (from: number, to: number) => snaps.filter((s) => s.ts >= from && s.ts < to).map((s) => s.regime?.label ?? null);
  const share = (ls: Array<Regime | null>, ok: Regime[]) => ls.filter((l) => l !== null && ok.includes(l)).length / ls.length;

  test('the March 10–11 crash reads TRENDING_DOWN or VOLATILE, and the fall itself TRENDING_DOWN', () => {
    const crash = labelsIn(day(10), day(12));
    assert.is(crash.length, 2 * 1440);
    assert.is(share(crash, ['TRENDING_DOWN', 'VOLATILE']), 1, `labels: ${JSON.stringify(count(crash))}`);
    assert.ok(share(labelsIn(day(10), day(10) + 16 * 3_600_000), ['TRENDING_DOWN']) >= 0.9, 'the fall of March 10 (to 19.6k) is a down trend');
  });

  test('the March 13–14 rally reads TRENDING_UP', () => {
    const rally = labelsIn(day(13), day(15));
    assert.ok(share(rally, ['TRENDING_UP']) >= 0.9, `labels: ${JSON.stringify(count(rally))}`);
    assert.is(share(rally, ['TRENDING_DOWN']), 0);
  });

  test('every regime occurs over the month, with confidence in [0, 1], and labels hold (hysteresis)', () => {
    const all = snaps.filter((s) => s.regime);
    assert.ok(all.length > 0.9 * snaps.length, 'the regime is available once 1h history is warm (after ~2 days)');
    assert.equal(new Set(all.map((s) => s.regime!.label)), new Set(['TRENDING_UP', 'TRENDING_DOWN', 'RANGING', 'VOLATILE']));
    for (const s of all) assert.ok(s.regime!.confidence >= 0 && s.regime!.confidence <= 1);
    let changes = 0;
    let shortest = Infinity;
    let since = all[0]!.regime!.since!;
    for (let i = 1; i < all.length; i++) {
      if (all[i]!.regime!.label !== all[i - 1]!.regime!.label) {
        changes++;
        shortest = Math.min(shortest, all[i]!.regime!.since! - since);
        since = all[i]!.regime!.since!;
      }
    }
    console.log(`regime: ${changes} changes over ${((all.at(-1)!.ts - all[0]!.ts) / 86_400_000).toFixed(1)} days; shortest spell ${shortest / 3_600_000} h`);
    assert.ok(changes <= 40, `${changes} label changes: the regime flaps`);
    assert.ok(shortest >= 2 * 3_600_000, 'a label lasts at least confirmBars (2) regime bars');
  });
}

function count(ls: Array<string | null>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of ls) out[String(l)] = (out[String(l)] ?? 0) + 1;
  return out;
}

test.run();
