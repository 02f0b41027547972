// Derivatives in the flow view and the signals, worked by hand: what a snapshot at time t may see (nothing stamped after
// t, nothing older than the max age), open-interest change over the window, forced liquidations in theirs, the crowd
// from the accounts' ratio, and the sources that vote on them (derivatives, ofi_contrarian, funding_rate).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DerivativesState } from '../../src/analytics/derivatives.js';
import { computeFlow } from '../../src/analytics/flow.js';
import { emptyManual } from '../../src/analytics/manual-inputs.js';
import { engineParams } from '../../src/analytics/params.js';
import { runSignal } from '../../src/decision/signals/registry.js';
import type { DerivativesMetrics, TimeframeState } from '../../src/protocol/index.js';
import { testConfig } from '../helpers/config.js';
import { BTC, bullish } from '../helpers/snapshots.js';

const config = testConfig({}, 'default');
const fp = engineParams(config.analytics).flow;
const dp = fp.derivatives;
const M5 = 300_000;
const T0 = Date.UTC(2024, 2, 12, 12);
const row = (k: number, oi: number, over: Partial<DerivativesMetrics> = {}): DerivativesMetrics => ({
  symbol: BTC, ts: T0 + k * M5, openInterest: oi, openInterestValue: oi * 60_000, topTraderAccountRatio: 1.1, topTraderPositionRatio: 0.9, longShortRatio: 1.5, takerBuySellRatio: 1.5, ...over,
});
const near = (a: number | null | undefined, b: number, what: string) => assert.ok(a != null && Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

test('a row stamped T is seen from T on, not a millisecond before; the OI change is against the row one window earlier', () => {
  const s = new DerivativesState(dp);
  const n = dp.oiWindowSec / 300;
  // OI 100 … then 103 one window later; the price (value / OI) from 60 000 to 60 600.
  s.onUpdate({ symbol: BTC, metrics: [row(0, 100), ...Array.from({ length: n - 1 }, (_, i) => row(i + 1, 101)), row(n, 103, { openInterestValue: 103 * 60_600 })], openInterest: null, funding: [] });
  const at = T0 + n * M5;
  const before = s.view(at - 1)!;
  assert.is(before.metricsTs, at - M5, 'the last row before T');
  assert.is(before.openInterest, 101);
  const v = s.view(at)!;
  assert.is(v.metricsTs, at);
  assert.is(v.openInterest, 103);
  near(v.oiChangePct, 3, 'OI change');
  near(v.oiPriceChangePct, 1, 'price change over the window');
  assert.equal([v.longShortRatio, v.topTraderAccountRatio, v.topTraderPositionRatio, v.takerBuySellRatio], [1.5, 1.1, 0.9, 1.5]);
  near(v.takerImbalance, 0.2, 'taker imbalance (1.5 − 1) / (1.5 + 1)');
  assert.is(v.forcedLiquidations, null, 'no liquidation source: null, not zero');
  // A live sample newer than the last row is "now"; the change is still against the row a window before it.
  s.onUpdate({ symbol: BTC, metrics: [], openInterest: { symbol: BTC, ts: at + 60_000, openInterest: 104 }, funding: [] });
  assert.is(s.view(at)!.openInterest, 103, 'the sample is not seen before its time');
  near(s.view(at + 60_000)!.oiChangePct, 4, 'sample 104 against the last row at or before T + 1 min − window (100)');
});

test('stale: a row older than maxAgeSec no longer counts (each field null); the flow warns derivatives_stale', () => {
  const s = new DerivativesState(dp);
  s.onUpdate({ symbol: BTC, metrics: [row(0, 100)], openInterest: null, funding: [] });
  assert.ok(s.view(T0 + dp.maxAgeSec * 1000));
  const late = T0 + dp.maxAgeSec * 1000 + 1;
  assert.is(s.view(late), null);
  const tf: TimeframeState = { close: 100, structure: 'UNKNOWN', momentum: 'CHOPPY', momentumScore: 0, atr: 1, atrRegime: 'normal', atrRatio: 1 };
  const f = computeFlow({ ts: late, price: 60_000, funding: null, micro: null, regime: null, tf, manual: emptyManual(), derivatives: s.view(late), derivativesSeen: s.seen }, fp)!;
  assert.ok(f.warnings.includes('derivatives_stale'));
  assert.is(f.derivatives, null);
  assert.is(f.oiChangePct, null);
});

test('forced liquidations: summed over the window once the stream covers it (zero is a real zero then); the flow warns on large ones', () => {
  const s = new DerivativesState(dp);
  const t = T0 + 3_600_000;
  s.onLiquidations({ symbol: BTC, liquidations: [], coverageFrom: T0 });
  assert.equal(s.view(t)!.forcedLiquidations, { windowSec: dp.liqWindowSec, longUsd: 0, shortUsd: 0, count: 0 });
  const liq = (dt: number, side: 'buy' | 'sell', notional: number) => ({ symbol: BTC, ts: t + dt, side, price: 60_000, avgPrice: 60_000, qty: notional / 60_000, notional });
  s.onLiquidations({ symbol: BTC, liquidations: [liq(-dp.liqWindowSec * 1000, 'sell', 1e6), liq(-1000, 'sell', 6e6), liq(-500, 'sell', 5e6), liq(0, 'buy', 2e6), liq(1000, 'buy', 9e9)] });
  // The one at exactly t − window is out; the one after t is not seen yet.
  assert.equal(s.view(t)!.forcedLiquidations, { windowSec: dp.liqWindowSec, longUsd: 11e6, shortUsd: 2e6, count: 3 });
  const tf: TimeframeState = { close: 100, structure: 'UNKNOWN', momentum: 'CHOPPY', momentumScore: 0, atr: 1, atrRegime: 'normal', atrRatio: 1 };
  const f = computeFlow({ ts: t, price: 60_000, funding: null, micro: null, regime: null, tf, manual: emptyManual(), derivatives: s.view(t), derivativesSeen: true }, fp)!;
  assert.ok(f.warnings.includes('liquidations_longs_large') && !f.warnings.includes('liquidations_shorts_large'));
  near(f.riskComponents!.liquidations, 1, 'liquidation risk saturates at liqLargeUsd');
});

test('flow: the accounts\' long/short ratio joins the crowd score; rising open interest adds to the trap; settled funding stands in for a live rate', () => {
  const s = new DerivativesState(dp);
  const n = dp.oiWindowSec / 300;
  const t = T0 + n * M5;
  s.onUpdate({ symbol: BTC, metrics: [row(0, 100, { longShortRatio: 2 }), row(n, 100 * (1 + dp.oiLargePct / 100), { longShortRatio: dp.longShortFull })], openInterest: null, funding: [{ symbol: BTC, ts: t - 3_600_000, rate: 0.0003, intervalHours: 8, markPrice: null }] });
  const tf: TimeframeState = { close: 100, structure: 'UNKNOWN', momentum: 'CHOPPY', momentumScore: -1, atr: 1, atrRegime: 'normal', atrRatio: 1 };
  const f = computeFlow({ ts: t, price: 60_000, funding: null, micro: null, regime: null, tf, manual: emptyManual(), derivatives: s.view(t), derivativesSeen: true }, fp)!;
  assert.is(f.fundingRate, 0.0003, 'settled funding when no live rate');
  // Crowd: funding 0.0003 / 0.0005 = 0.6 and the ratio at longShortFull = 1.
  near(f.crowdScore, (0.6 + 1) / 2, 'crowd score');
  // Trap: 0.8 × (0.5 + 0.5 × 1) × (1 + 0.5 × 1): capped at 1.
  near(f.trapIndex, 1, 'trap index');
  near(f.oiChangePct, dp.oiLargePct, 'OI change');
  assert.ok(f.warnings.includes('oi_surge'));
  // A fresh live rate wins over the settled one.
  const live = computeFlow({ ts: t, price: 60_000, funding: { rate: -0.0001, ts: t - 1000 }, micro: null, regime: null, tf, manual: emptyManual(), derivatives: s.view(t), derivativesSeen: true }, fp)!;
  assert.is(live.fundingRate, -0.0001);
});

test('signals: derivatives follows a move open interest is behind, fades a trapped crowd; ofi_contrarian reads taker volume without trades', () => {
  const sp = config.decision.signals;
  const d = (oi: number, px: number, over: Record<string, unknown> = {}) =>
    bullish(T0, { micro: null, flow: { fundingExtreme: false, crowdBias: 'neutral', trapIndex: 0.1, derivatives: { oiChangePct: oi, oiPriceChangePct: px, takerImbalance: 0.7 }, ...over } });
  const up = runSignal('derivatives', d(2.5, 0.8), null, sp);
  assert.equal('dir' in up && [up.dir, up.strength], [1, 2.5 / sp.derivatives.oiFullPct]);
  const down = runSignal('derivatives', d(2.5, -0.8), null, sp);
  assert.ok('dir' in down && down.dir === -1);
  const closing = runSignal('derivatives', d(-2.5, 0.8), null, sp);
  assert.ok('dir' in closing && closing.dir === 0, 'positions closing: no vote');
  const trapped = runSignal('derivatives', d(2.5, 0.8, { crowdBias: 'long', trapIndex: 0.9 }), null, sp);
  assert.ok('dir' in trapped && trapped.dir === -1 && trapped.strength === 0.9, 'a trapped long crowd is faded first');
  assert.ok('unavailable' in runSignal('derivatives', bullish(T0, { flow: { crowdBias: null, derivatives: null } }), null, sp));
  // Without micro (no trade stream), the taker imbalance 0.7 is an extreme flow: faded.
  const ofi = runSignal('ofi_contrarian', d(0, 0), null, sp);
  assert.ok('dir' in ofi && ofi.dir === -1 && /taker volume/.test(ofi.note), JSON.stringify(ofi));
  assert.ok('unavailable' in runSignal('ofi_contrarian', bullish(T0, { micro: null, flow: { derivatives: null } }), null, sp));
  // With trades, their OFI is used.
  const trades = runSignal('ofi_contrarian', bullish(T0, { micro: { ofi: -0.9 }, flow: { derivatives: { takerImbalance: 0.9 } } }), null, sp);
  assert.ok('dir' in trades && trades.dir === 1 && /OFI/.test(trades.note));
});

test('the engine: derivatives messages reach the snapshot; the state survives the thread move (structured clone + restoreInto)', async () => {
  const { SymbolEngine } = await import('../../src/analytics/engine.js');
  const { restoreInto } = await import('../../src/analytics/state.js');
  const { synthCandles } = await import('../helpers/market-data.js');
  const params = engineParams(config.analytics);
  const e = new SymbolEngine(BTC, params);
  const cs = synthCandles(3000);
  for (const c of cs) e.update(c);
  const end = cs.at(-1)!.openTime + 60_000;
  e.onDerivatives({ symbol: BTC, metrics: [row(0, 100, { ts: end - 3_600_000 }), row(0, 110, { ts: end })], openInterest: null, funding: [] });
  e.onLiquidations({ symbol: BTC, liquidations: [{ symbol: BTC, ts: end - 1000, side: 'buy', price: 1, avgPrice: 1, qty: 5, notional: 5 }], coverageFrom: end - 3_600_000 });
  const snap = e.snapshot('full', { available: false, reason: 'none' });
  assert.ok(snap.flow, 'warm enough for a flow view');
  near(snap.flow!.oiChangePct, 10, 'OI change in the snapshot');
  assert.equal(snap.flow!.derivatives!.forcedLiquidations, { windowSec: dp.liqWindowSec, longUsd: 0, shortUsd: 5, count: 1 });
  const moved = new SymbolEngine(BTC, params);
  restoreInto(moved, structuredClone(e));
  assert.equal(moved.snapshot('full', { available: false, reason: 'none' }).flow, snap.flow);
});

test.run();
