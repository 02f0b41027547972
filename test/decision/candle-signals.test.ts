// Point of control, swing failure and fair value gap against hand-computed cases (seed 004's volume_profile, sfp, fvg).
// Each row states its inputs and the number worked out by hand in the comment beside it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { binMid, binOf, VolumeProfile } from '../../src/analytics/volume-profile.js';
import { fvg, sfp } from '../../src/decision/signals/candles.js';
import { volumeProfile } from '../../src/decision/signals/technical.js';
import { isVote } from '../../src/decision/signals/types.js';
import type { Candle, Snapshot, TimeframeState } from '../../src/protocol/index.js';
import { engineParams } from '../../src/analytics/params.js';
import { TimeframeEngine } from '../../src/analytics/timeframe.js';
import { testConfig } from '../helpers/config.js';

const MIN = 60_000;
const close = (a: number | null, b: number, tol: number, what: string) => assert.ok(a !== null && Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (±${tol})`);

// ---- point of control
const vp = (windowMinutes = 60, binPct = 0.001) => new VolumeProfile({ windowMinutes, binPct });

test('POC: the price with the most volume; a bin is 0.1 % wide, so the POC is within 0.1 % of it', () => {
  const p = vp();
  assert.is(p.poc, null, 'no volume: no POC');
  // Point candles (low = high): 100 × 5 + 101 × 3 + 100 × 2 → 7 at 100, 3 at 101.
  p.onCandle(0, 100, 100, 5);
  p.onCandle(MIN, 101, 101, 3);
  p.onCandle(2 * MIN, 100, 100, 2);
  close(p.poc, 100, 0.1, 'POC at 100');
  assert.is(binOf(p.poc!, 0.001), binOf(100, 0.001), 'the POC is the middle of 100\'s bin');
});

test('POC: a candle spreads its volume over its range; a small volume at one price on top of it wins', () => {
  const p = vp();
  // 10 over 100–110: each 0.1 % bin gets 10 × ln(1.001) / ln(1.1) ≈ 0.105; 1.5 more at 105 → 1.605 there.
  p.onCandle(0, 100, 110, 10);
  p.onCandle(MIN, 105, 105, 1.5);
  close(p.poc, 105, 0.11, 'POC at 105');
  // The spread conserves the candle's volume.
  const q = vp();
  q.onCandle(0, 100, 110, 10);
  close([...q.total.values()].reduce((a, v) => a + v, 0), 10, 1e-9, 'volume conserved');
});

test('POC: a minute with trades counts its trades, not its candle', () => {
  const p = vp();
  // Trades of minute 0: 4 at 200, 1 at 210. Its candle (100–300, 5) is ignored; minute 1 has no trades: its candle counts.
  p.onTrade(10_000, 200, 4);
  p.onTrade(20_000, 210, 1);
  p.onCandle(0, 100, 300, 5);
  p.onCandle(MIN, 150, 150, 3);
  close(p.poc, 200, 0.2, 'POC at the trades\' 200');
  assert.is(p.total.size, 3, 'three bins: 200, 210 and 150 (nothing spread from minute 0\'s candle)');
});

test('POC: minutes older than the window leave it; ties go to the lower price', () => {
  const p = vp(2);
  // Window of 2 minutes: 10 at 100, then 1 at 110, then 2 at 120 → minute 0 leaves: POC 120.
  p.onCandle(0, 100, 100, 10);
  p.onCandle(MIN, 110, 110, 1);
  close(p.poc, 100, 0.1, 'both minutes in the window');
  p.onCandle(2 * MIN, 120, 120, 2);
  close(p.poc, 120, 0.12, 'minute 0 left the window');
  const t = vp();
  t.onCandle(0, 120, 120, 2);
  t.onCandle(MIN, 110, 110, 2);
  assert.is(t.poc, binMid(binOf(110, 0.001), 0.001), 'a tie goes to the lower bin');
});

// ---- snapshots for the signals
const snap = (tf: Partial<TimeframeState>, ind: Snapshot['ind'] = { emaFast: null, emaSlow: null, rsi: null, atr: null }, price = 100): Snapshot => ({
  symbol: 'BTC/USDT:USDT', ts: 0, kind: 'full', price, ind, mtfAlignment: null, session: 'us', hourUtc: 12, regime: null, micro: null, flow: null,
  ml: { available: false, reason: 'test' },
  tf: { '5m': { close: price, structure: 'UNKNOWN', momentum: 'CHOPPY', momentumScore: 0, atr: 5, atrRegime: null, ...tf } },
});
const bar = (high: number, low: number, close: number, open = close) => ({ openTime: 0, open, high, low, close });
const SFP = { timeframe: '5m' as const };
const FVG = { timeframe: '5m' as const, minAtr: 0.25, fullAtr: 1 };

test('volume_profile: far from the POC it votes for the return (minAtr 1, fullAtr 3)', () => {
  const params = { minAtr: 1, fullAtr: 3 };
  // Price 106, POC 100, ATR 3: 2 ATR above → sell, strength 2 / 3.
  const r = volumeProfile(snap({}, { emaFast: null, emaSlow: null, rsi: null, atr: 3, poc: 100 }, 106), null, params);
  assert.ok(isVote(r));
  if (isVote(r)) {
    assert.is(r.dir, -1);
    close(r.strength, 2 / 3, 1e-12, 'strength');
  }
  const near = volumeProfile(snap({}, { emaFast: null, emaSlow: null, rsi: null, atr: 3, poc: 100 }, 102), null, params);
  assert.ok(isVote(near) && near.dir === 0, '0.67 ATR: no vote');
  assert.not.ok(isVote(volumeProfile(snap({}, { emaFast: null, emaSlow: null, rsi: null, atr: 3, poc: null }), null, params)), 'no POC: unavailable');
});

test('sfp: a bar through the swing that closes back inside votes against the sweep; strength = the share of its range rejected', () => {
  const rows: Array<[what: string, b: ReturnType<typeof bar>, dir: -1 | 0 | 1, strength: number]> = [
    // swing high 100, swing low 90
    ['failed high: 102 → close 99, range 97–102', bar(102, 97, 99), -1, (102 - 99) / (102 - 97)], // 0.6
    ['failed low: 88 → close 92, range 88–93', bar(93, 88, 92), 1, (92 - 88) / (93 - 88)], // 0.8
    ['broke the high and held above it', bar(102, 99, 101), 0, 0],
    ['swept both swings', bar(101, 89, 95), 0, 0],
    ['inside the swings', bar(98, 92, 95), 0, 0],
  ];
  for (const [what, b, dir, strength] of rows) {
    const r = sfp(snap({ bars: [b], priorSwingHigh: 100, priorSwingLow: 90 }), null, SFP);
    assert.ok(isVote(r), what);
    if (!isVote(r)) continue;
    assert.is(r.dir, dir, what);
    close(r.strength, strength, 1e-12, what);
  }
  assert.not.ok(isVote(sfp(snap({ bars: [bar(102, 97, 99)], priorSwingHigh: null, priorSwingLow: null }), null, SFP)), 'no swing yet: unavailable');
  assert.not.ok(isVote(sfp(snap({}), null, SFP)), 'no bars: unavailable');
  assert.not.ok(isVote(sfp({ ...snap({}), tf: {} }, null, SFP)), 'no 5m state: unavailable');
});

test('fvg: three bars leaving a gap vote toward its fill; strength = gap / ATR / fullAtr, nothing under minAtr', () => {
  const rows: Array<[what: string, bars: Array<ReturnType<typeof bar>>, atr: number, dir: -1 | 0 | 1, strength: number]> = [
    // first high 100, third low 103: a 3-point bullish gap, ATR 6 → 0.5 ATR → down toward the fill, strength 0.5
    ['bullish gap 100–103', [bar(100, 95, 99), bar(104, 99, 103), bar(108, 103, 107)], 6, -1, 0.5],
    // first low 100, third high 96: a 4-point bearish gap, ATR 8 → 0.5 ATR → up, strength 0.5
    ['bearish gap 96–100', [bar(105, 100, 101), bar(101, 95, 96), bar(96, 92, 93)], 8, 1, 0.5],
    // a 9-point gap with ATR 6: 1.5 ATR, strength capped at 1
    ['large bullish gap', [bar(100, 95, 99), bar(110, 99, 109), bar(115, 109, 112)], 6, -1, 1],
    // a 1-point gap with ATR 8: 0.125 ATR < minAtr 0.25
    ['gap under minAtr', [bar(100, 95, 99), bar(102, 99, 101), bar(104, 101, 103)], 8, 0, 0],
    ['overlapping bars', [bar(100, 95, 99), bar(102, 97, 101), bar(103, 99, 102)], 6, 0, 0],
  ];
  for (const [what, bars, atr, dir, strength] of rows) {
    const r = fvg(snap({ bars, atr }), null, FVG);
    assert.ok(isVote(r), what);
    if (!isVote(r)) continue;
    assert.is(r.dir, dir, what);
    close(r.strength, strength, 1e-12, what);
  }
  assert.not.ok(isVote(fvg(snap({ bars: [bar(100, 95, 99), bar(104, 99, 103)] }), null, FVG)), 'two bars: unavailable');
  assert.not.ok(isVote(fvg(snap({ bars: [bar(100, 95, 99), bar(104, 99, 103), bar(108, 103, 107)], atr: null }), null, FVG)), 'no ATR: unavailable');
});

test('a timeframe keeps its last three bars and the swing confirmed before the last one (what sfp and fvg read)', () => {
  const p = engineParams(testConfig().analytics).timeframe;
  assert.is(p.swingBars, 2);
  const e = new TimeframeEngine('5m', p);
  const c = (k: number, high: number, low: number, close: number): Candle => ({ symbol: 'BTC/USDT:USDT', tf: '5m', openTime: k * 300_000, open: close, high, low, close, volume: 1, closed: true });
  // Highs 10, 11, 15, 11, 10: 15 is a swing high once two lower bars follow it.
  [[10, 8, 9], [11, 9, 10], [15, 10, 12], [11, 9, 10], [10, 8, 9]].forEach(([h, l, cl], k) => e.update(c(k, h!, l!, cl!)));
  assert.is(e.swings.lastHigh, 15);
  // The next bar trades to 16 and closes at 14: the swing it sweeps is the one confirmed before it.
  e.update(c(5, 16, 13, 14));
  assert.is(e.priorSwingHigh, 15);
  assert.equal(e.recent.map((b) => b.high), [11, 10, 16]);
  const r = sfp(snap({ bars: e.recent, priorSwingHigh: e.priorSwingHigh, priorSwingLow: e.priorSwingLow }), null, SFP);
  assert.ok(isVote(r) && r.dir === -1, 'a bearish swing failure');
});

test.run();
