// The seeds' worked examples, table-driven: seed 004 voting and sizing, seed 001 thresholds and hours, seed 000 Kelly.
// Each row is a number printed in a seed; tolerances match how the seed rounds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SourceVote } from '../../src/protocol/index.js';
import { kellyFraction, sizeKelly, sizePosition, strengthMultiplier } from '../../src/decision/sizing.js';
import { effectiveThresholds, imbaTally, verdictOf } from '../../src/decision/voting.js';
import { testConfig } from '../helpers/config.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (±${tol})`);
const v = (source: string, dir: 1 | -1, strength: number, weight: number, regime = 1): SourceVote =>
  ({ source, weight: weight * regime, direction: dir, strength, contribution: dir * strength * weight * regime });

test('seed 004 voting example: BUY 1.54, SELL 0.32, base 1.22, ×1.19 extreme fear → 1.45 → BUY (seed rounds each term to 2 dp)', () => {
  const cfg = testConfig();
  const imba = cfg.decision.presets.imba!;
  assert.is(imba.kind, 'imba');
  if (imba.kind !== 'imba') return;
  const votes = [
    v('vwap_pullback', 1, 0.45, imba.weights.vwap_pullback!),
    v('cvd', 1, 0.85, imba.weights.cvd!),
    v('volume_profile', 1, 0.55, imba.weights.volume_profile!, imba.regimeMultiplier), // the seed's "trend boost!"
    v('rsi_mr', -1, 0.35, imba.weights.rsi_mr!),
  ];
  const rows: Array<{ sentiment: number | null; conf: number; verdict: string }> = [
    { sentiment: -2, conf: 1.45, verdict: 'BUY' }, // extreme fear (F&G ≤ 25 ↔ sentiment ≤ −1)
    { sentiment: -1, conf: 1.45, verdict: 'BUY' },
    { sentiment: 0, conf: 1.22, verdict: 'BUY' },
    { sentiment: null, conf: 1.22, verdict: 'BUY' },
    { sentiment: 2, conf: 0.97, verdict: 'NEUTRAL' }, // extreme greed cuts buys ×0.80 below the 1.2 threshold
  ];
  for (const r of rows) {
    const t = imbaTally(votes, r.sentiment, imba.sentiment);
    close(t.buy, 1.54, 0.01, 'buy votes');
    close(t.sell, 0.32, 0.01, 'sell votes');
    close(t.base, 1.22, 0.01, 'base confidence');
    close(t.confidence, r.conf, 0.01, `confidence at sentiment ${r.sentiment}`);
    assert.is(verdictOf(t.dir * t.confidence, imba.thresholds), r.verdict, `verdict at sentiment ${r.sentiment}`);
  }
  assert.is(imba.thresholds.buy, 1.2, 'the seed threshold 1.2');
});

test('seed 004 sizing example: $10,000, 0.5 % risk, 2 % stop, 5×, strength 0.8 → $2,250 notional, ≈0.019 BTC at $118,000', () => {
  const rows = [
    { strength: 0.8, notional: 2250, qty: 0.019, capped: false },
    { strength: 1.0, notional: 2500, qty: 0.0212, capped: false },
    { strength: 0.0, notional: 1250, qty: 0.0106, capped: false },
    { strength: 1.7, notional: 2500, qty: 0.0212, capped: false }, // clamped to 1.0×
  ];
  for (const r of rows) {
    const s = sizePosition({ equity: 10_000, riskPerTrade: 0.005, entry: 118_000, stop: 118_000 * 0.98, leverage: 5, maxNotionalPctEquity: 0.2, strengthMult: strengthMultiplier(r.strength) });
    close(s.notional, r.notional, 1e-6, `notional at strength ${r.strength}`);
    close(s.qty, r.qty, 0.0005, `qty at strength ${r.strength}`);
    assert.is(s.capped, r.capped);
    close(s.riskAmount, 50, 1e-9, 'risk amount');
  }
  // The round trip counts in the risk: with 0.1 % of costs the loss at the 2 % stop is still $50.
  const withCost = sizePosition({ equity: 10_000, riskPerTrade: 0.005, entry: 118_000, stop: 118_000 * 0.98, leverage: 5, maxNotionalPctEquity: 0.2, strengthMult: 1, costPct: 0.001 });
  close(withCost.notional, 50 / 0.021, 1e-6, 'notional with the round trip');
  close(withCost.notional * (0.02 + 0.001), 50, 1e-9, 'loss at the stop, costs included');
  // The cap: $10k × 0.2 × 5 = $10,000 notional.
  const tight = sizePosition({ equity: 10_000, riskPerTrade: 0.005, entry: 118_000, stop: 118_000 * 0.999, leverage: 5, maxNotionalPctEquity: 0.2, strengthMult: 1 });
  assert.ok(tight.capped);
  close(tight.notional, 10_000, 1e-6, 'capped notional');
});

test('seed 001 thresholds and hour rules: STRONG ≥ 0.28, BUY ≥ 0.20, boosted hours ×0.85 / ×0.92', () => {
  const cfg = testConfig();
  const p = cfg.decision.presets.voting13!;
  if (p.kind !== 'weighted') throw new Error('voting13 is a weighted preset');
  const hours = cfg.decision.hours;
  assert.equal(p.thresholds, { strongBuy: 0.28, buy: 0.2, sell: -0.2, strongSell: -0.28 });
  assert.equal([...hours.blocked].sort((a, b) => a - b), [0, 18, 23]);
  assert.equal([...hours.boosted].sort((a, b) => a - b), [1, 2, 3, 7, 8, 9]);
  const rows: Array<[score: number, hour: number, verdict: string]> = [
    [0.28, 12, 'STRONG_BUY'], [0.279, 12, 'BUY'], [0.2, 12, 'BUY'], [0.199, 12, 'NEUTRAL'], [-0.2, 12, 'SELL'], [-0.28, 12, 'STRONG_SELL'], [-0.199, 12, 'NEUTRAL'],
    // boosted: BUY ≥ 0.17, STRONG ≥ 0.2576
    [0.17, 8, 'BUY'], [0.169, 8, 'NEUTRAL'], [0.26, 8, 'STRONG_BUY'], [0.257, 8, 'BUY'], [-0.17, 2, 'SELL'], [-0.258, 2, 'STRONG_SELL'], [-0.257, 2, 'SELL'],
    [0.17, 12, 'NEUTRAL'], [0.26, 12, 'BUY'],
  ];
  for (const [score, hour, verdict] of rows) assert.is(verdictOf(score, effectiveThresholds(p.thresholds, hour, hours)), verdict, `score ${score} at ${hour}:00`);
});

test('seed 000 Kelly: f = (bp − q)/b; seed 001 bounds 8–20 %; no edge → no bet', () => {
  const rows: Array<[b: number, p: number, f: number]> = [
    [3, 0.5, (3 * 0.5 - 0.5) / 3], // 0.3333
    [3, 0.25, 0], // break-even
    [2.5 / 0.6, 0.3, (4.1667 * 0.3 - 0.7) / 4.1667], // seed 001 TP 2.5 %, SL 0.6 %
    [1, 0.6, 0.2],
    [2, 0.2, -0.2],
  ];
  for (const [b, p, f] of rows) close(kellyFraction(b, p), f, 1e-4, `f(b=${b}, p=${p})`);
  const k = (b: number, p: number) => sizeKelly({ equity: 1000, entry: 30_000, b, p, min: 0.08, max: 0.2, leverage: 5, maxNotionalPctEquity: 1 });
  close(k(3, 0.5)!.notional, 200, 1e-9, 'f 0.333 bounded to 20 %');
  close(k(3, 0.28)!.notional, 80, 1e-9, 'f 0.04 bounded up to 8 %');
  close(k(1, 0.6)!.f, 0.2, 1e-12, 'f 0.2 inside the bounds');
  assert.is(k(3, 0.25), null, 'no edge: no bet');
  assert.is(k(2, 0.2), null, 'negative edge: no bet');
});

/** path inside a preset → value; each row a number a seed prints, and the preset must cite that seed for it. */
const PRESET_ROWS: Array<[preset: string, path: string, value: unknown, seed: string]> = [
  ['voting13', 'timeframe', '1m', 'seed 001'],
  ['voting13', 'weights', {
    whale_flow: 0.12, vpin: 0.11, ml: 0.1, mtf_alignment: 0.1, regime: 0.09, ofi_contrarian: 0.08, vwap: 0.07, funding_rate: 0.06,
    etf_flow: 0.04, as_fair_value: 0.03, hour_seasonality: 0.03, sentiment: 0.02, ai_consensus: 0.1,
  }, 'seed 001'],
  ['voting13', 'thresholds', { strongBuy: 0.28, buy: 0.2, sell: -0.2, strongSell: -0.28 }, 'seed 001'],
  ['voting13', 'gates.minAgreement', 4, 'seed 001'],
  ['voting13', 'gates.mlAgreementMin', 0.4, 'seed 001'],
  ['voting13', 'gates.entryGrades', ['A', 'B'], 'seed 001'],
  ['voting13', 'risk.stopPct', 0.006, 'seed 001'],
  ['voting13', 'risk.takeProfitPct', 0.025, 'seed 001'],
  ['voting13', 'risk.sizing', 'kelly', 'seed 001'],
  ['voting13', 'risk.kelly', { min: 0.08, max: 0.2, priorWinRate: 0.5, priorTrades: 20 }, 'seed 001'],
  ['voting13', 'risk.minRewardRisk', 2, 'seed 001'],
  ['imba', 'weights', {
    bb_squeeze: 0.6, vwap_pullback: 0.7, vwap_bands_mr: 0.7, breakout_retest: 0.65, atr_momentum: 0.7, rsi_mr: 0.9, ema_pinch: 0.55,
    cvd: 0.8, volume_profile: 0.75, obi: 0.6, sfp: 1, fvg: 0.7,
  }, 'seed 004'],
  ['imba', 'regimeMultiplier', 1.3, 'seed 004'],
  ['imba', 'trendSignals', ['breakout_retest', 'atr_momentum'], 'seed 004'],
  ['imba', 'meanReversionSignals', ['vwap_bands_mr', 'rsi_mr'], 'seed 004'],
  ['imba', 'volatileSignals', ['sfp'], 'seed 004'],
  ['imba', 'sentiment', { extremeFear: -1, extremeGreed: 1, boost: 1.19, cut: 0.8 }, 'seed 004'],
  ['imba', 'thresholds', { strongBuy: 1.8, buy: 1.2, sell: -1.2, strongSell: -1.8 }, 'seed 004'],
  ['imba', 'gates.fundingMaxAbs', 0.001, 'seed 004'],
  ['imba', 'gates.volatileMinStrength', 0.8, 'seed 004'],
  ['imba', 'risk.stopPct', 0.02, 'seed 004'],
  ['imba', 'risk.takeProfitPct', 0.06, 'seed 000'],
  ['imba', 'risk.riskPerTrade', 0.005, 'seed 004'],
  ['imba', 'risk.strengthSizing', true, 'seed 004'],
  ['imba', 'risk.maxNotionalPctEquity', 0.2, 'seed 004'],
  ['imba', 'risk.minRewardRisk', 2, 'seed 001'],
  ['rules', 'timeframe', '5m', 'seed 003'],
  ['rules', 'required', ['structure', 'momentum'], 'seed 003'],
  ['rules', 'confirmers', ['derivatives', 'etf_flow', 'sentiment'], 'seed 003'],
  ['rules', 'gates.maxRiskScore', 0.7, 'seed 003'],
  ['rules', 'risk.stops', 'atr', 'seed 003'],
  ['rules', 'risk.stopAtrMult', 1.5, 'seed 000'],
  ['rules', 'risk.takeProfitAtrMult', 4.5, 'seed 000'],
  ['rules', 'risk.maxNotionalPctEquity', 0.2, 'seed 004'],
  ['rules', 'risk.minRewardRisk', 2, 'seed 001'],
  ['ema_rsi', 'risk.stopAtrMult', 1.5, 'seed 000'],
  ['ema_rsi', 'risk.takeProfitAtrMult', 4.5, 'seed 000'],
  ['ema_rsi', 'risk.maxNotionalPctEquity', 0.2, 'seed 004'],
  ['ema_rsi', 'risk.minRewardRisk', 2, 'seed 001'],
];

const at = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], o);

test('each preset carries its seed\'s numbers (config/default.json), each cited to the seed and section it comes from', () => {
  const cfg = testConfig({}, 'default');
  for (const [name, path, value, seed] of PRESET_ROWS) {
    const p = cfg.decision.presets[name]!;
    assert.equal(at(p, path), value, `${name}.${path}`);
    const cite = p.cite?.[path] ?? '';
    assert.ok(cite.includes(seed) && /§/.test(cite), `${name}.cite["${path}"] names ${seed} and its section: "${cite}"`);
  }
  // Every number a preset sets for itself is cited, and every preset decides on a timeframe of its own.
  for (const name of ['voting13', 'imba', 'rules', 'ema_rsi']) {
    const p = cfg.decision.presets[name]!;
    assert.ok(p.timeframe, `${name} has a decision timeframe`);
    for (const k of Object.keys(p.risk ?? {})) {
      if (['stops', 'takeProfits', 'atrTimeframe', 'sizing', 'strengthSizing'].includes(k) && !p.cite?.[`risk.${k}`]) continue;
      assert.ok(p.cite?.[`risk.${k}`], `${name}.risk.${k} is cited`);
    }
  }
  // The paper-only preset lives in config/paper.json, never in the seed presets.
  assert.is(cfg.decision.presets.paper_lively, undefined);
  assert.ok(testConfig().decision.presets.paper_lively, 'config/paper.json adds paper_lively');
});

test.run();
