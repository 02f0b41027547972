// The flow view worked by hand (seed 003): crowd bias from funding, trade flow, liquidation map and sentiment;
// trap index; warnings; risk score as the weighted mean of the components with data; max ages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeFlow, type FlowInputs } from '../../src/analytics/flow.js';
import { emptyManual } from '../../src/analytics/manual-inputs.js';
import { engineParams } from '../../src/analytics/params.js';
import type { Microstructure, TimeframeState } from '../../src/protocol/index.js';
import { testConfig } from '../helpers/config.js';

const p = engineParams(testConfig({}, 'default').analytics).flow;
const T = Date.UTC(2024, 2, 12, 12);
const tf = (over: Partial<TimeframeState>): TimeframeState => ({ close: 100, structure: 'UNKNOWN', momentum: 'CHOPPY', momentumScore: 0, atr: 1, atrRegime: 'normal', atrRatio: 1, ...over });
const micro = (over: Partial<Microstructure>): Microstructure => ({ cvd: null, vpin: null, ofi: null, obi: null, whaleBuyNotional: null, whaleSellNotional: null, fairValue: null, ...over });
const near = (a: number | null | undefined, b: number, what: string) => assert.ok(a != null && Math.abs(a - b) < 1e-12, `${what}: ${a} ≠ ${b}`);

test('crowd, trap and risk from every input, by hand', () => {
  const x: FlowInputs = {
    ts: T, price: 60_000,
    funding: { rate: 0.00025, ts: T - 1000 },
    micro: micro({ ofi: 0.3, vpin: 0.55 }),
    regime: { label: 'TRENDING_DOWN', confidence: 0.8 },
    tf: tf({ momentumScore: -0.6, atrRatio: 1.4 }),
    manual: {
      sentiment: { id: 1, kind: 'sentiment', asOf: T - 3_600_000, receivedAt: T, data: { score: 1, comment: '' } },
      etfFlow: null,
      liquidations: { id: 2, kind: 'liquidations', asOf: T - 3_600_000, receivedAt: T, data: { asOf: '', clusters: [
        { price: 59_000, side: 'long', notionalUsd: 3e7 }, { price: 61_000, side: 'short', notionalUsd: 1e7 }, { price: 40_000, side: 'long', notionalUsd: 9e9 },
      ] } },
    },
  };
  const f = computeFlow(x, p)!;
  // Crowd: funding 0.00025/0.0005 = 0.5, OFI 0.3, liquidations near (3e7 − 1e7)/4e7 = 0.5, sentiment 1/2 = 0.5.
  near(f.crowdScore, (0.5 + 0.3 + 0.5 + 0.5) / 4, 'crowd score');
  assert.is(f.crowdBias, 'long');
  // Trap: 0.45 × (0.5 + 0.5 × 0.6), price falling against a long crowd.
  near(f.trapIndex, 0.45 * 0.8, 'trap index');
  assert.equal(f.liquidations, { longNotionalNear: 3e7, shortNotionalNear: 1e7, nearestLong: 59_000, nearestShort: 61_000 });
  assert.is(f.fundingExtreme, false);
  assert.is(f.oiChangePct, null);
  // Risk: volatility (1.4 − 0.8)/1.2 = 0.5, vpin (0.55 − 0.3)/0.5 = 0.5, funding 0.5, trap 0.36, sentiment 0.5, liquidations 4e7/1e8 = 0.4.
  const w = p.riskWeights;
  const expected = (w.volatility * 0.5 + w.vpin * 0.5 + w.funding * 0.5 + w.trap * 0.36 + w.sentiment * 0.5 + w.liquidations * 0.4) / (w.volatility + w.vpin + w.funding + w.trap + w.sentiment + w.liquidations);
  near(f.riskScore, expected, 'risk score');
  assert.equal(Object.keys(f.riskComponents!).sort(), ['funding', 'liquidations', 'sentiment', 'trap', 'volatility', 'vpin']);
  assert.equal(f.warnings, []);
});

test('extremes raise warnings; stale funding and expired manual inputs stop counting', () => {
  const base: FlowInputs = { ts: T, price: 60_000, funding: { rate: -0.0007, ts: T }, micro: micro({ vpin: 0.8 }), regime: { label: 'VOLATILE', confidence: 0.6 }, tf: tf({ atrRatio: 2.5 }), manual: emptyManual() };
  const f = computeFlow({ ...base, manual: { ...emptyManual(), etfFlow: { id: 1, kind: 'etf_flow', asOf: T - 1000, receivedAt: T, data: { asOf: '', asset: 'BTC', totalNetFlowUsd: -6e8 } } } }, p)!;
  // Shorts paying the maximum: the crowd is short (−1) with nothing yet pushing against it → trap 0.5.
  assert.equal(f.warnings.sort(), ['crowd_short_trap', 'etf_outflow_large', 'funding_extreme_shorts_pay', 'volatile_regime', 'vpin_high']);
  assert.is(f.trapIndex, 0.5);
  assert.is(f.crowdBias, 'short');
  assert.is(f.riskComponents!.volatility, 1);
  const stale = computeFlow({ ...base, funding: { rate: -0.0007, ts: T - p.fundingMaxAgeSec * 1000 - 1 }, manual: { ...emptyManual(), sentiment: { id: 1, kind: 'sentiment', asOf: T - p.maxAge.sentimentSec * 1000 - 1, receivedAt: T, data: { score: 2, comment: '' } } } }, p)!;
  assert.is(stale.fundingRate, null);
  assert.is(stale.fundingExtreme, null);
  assert.is(stale.sentiment, null);
  assert.ok(stale.warnings.includes('manual_stale:sentiment'));
  // An input dated after the snapshot (a replay) does not count either: no look-ahead.
  const future = computeFlow({ ...base, manual: { ...emptyManual(), sentiment: { id: 1, kind: 'sentiment', asOf: T + 60_000, receivedAt: T, data: { score: 2, comment: '' } } } }, p)!;
  assert.is(future.sentiment, null);
});

test('no volatility reading yet: no flow at all rather than a risk score without its main component', () => {
  assert.is(computeFlow({ ts: T, price: 1, funding: null, micro: null, regime: null, tf: tf({ atrRatio: null }), manual: emptyManual() }, p), null);
});

test.run();
