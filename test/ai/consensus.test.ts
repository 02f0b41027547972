// The swarm's arithmetic by hand: seed 000's 40/60 blend with accuracy-weighted generalists, agreement, the calibration
// scores (Brier, log loss, hit rate against the base rate) and verdict, the ai_consensus signal's freshness, and the
// timeline lookup that keeps a replay from seeing a consensus before it was made.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { consensusAt } from '../../machines/analytics.machine.js';
import { accuracyWeight, agreementOf, blendConsensus, calibrationVerdict, scoreOne, scoreStats, type AgentAnswer } from '../../src/ai/consensus.js';
import { aiConsensus } from '../../src/decision/signals/ai.js';
import type { AiConsensusView } from '../../src/protocol/index.js';
import { testConfig } from '../helpers/config.js';
import { bullish } from '../helpers/snapshots.js';

const close = (a: number, b: number, eps = 1e-12, what = '') => assert.ok(Math.abs(a - b) <= eps, `${what}: ${a} vs ${b}`);
const cfg = testConfig().ai;

const answers: AgentAnswer[] = [
  { agent: 'gemini', role: 'generalist', pUp: 0.7 }, { agent: 'claude', role: 'generalist', pUp: 0.6 }, { agent: 'gpt', role: 'generalist', pUp: 0.4 },
  { agent: 'momentum', role: 'persona', pUp: 0.8 }, { agent: 'contrarian_shark', role: 'persona', pUp: 0.3 }, { agent: 'flow_reader', role: 'persona', pUp: 0.65 },
  { agent: 'macro_sage', role: 'persona', pUp: 0.55 }, { agent: 'conservative_filter', role: 'persona', pUp: 0.5 },
];

test('seed 000 blend: generalists by shrunk hit rate (not normalised to a fixed sum) × 0.4 + personas equally × 0.6', () => {
  assert.is(cfg.blend.generalists, 0.4);
  assert.is(cfg.blend.swarm, 0.6);
  // gemini 30 of 40 right → (30 + 0.5·10)/(40 + 10) = 0.7; claude 10 of 20 → 15/30 = 0.5; gpt unscored → the prior 0.5.
  close(accuracyWeight(30, 40, 0.5, 10), 0.7);
  close(accuracyWeight(0, 0, 0.5, 10), 0.5);
  const b = blendConsensus(answers, { gemini: { hits: 30, n: 40 }, claude: { hits: 10, n: 20 } }, {}, cfg.blend)!;
  const g = (0.7 * 0.7 + 0.5 * 0.6 + 0.5 * 0.4) / (0.7 + 0.5 + 0.5); // 0.58235…
  const s = (0.8 + 0.3 + 0.65 + 0.55 + 0.5) / 5; // 0.56
  close(b.generalistPUp!, g, 1e-12, 'generalists');
  close(b.swarmPUp!, s, 1e-12, 'swarm');
  close(b.pUp, 0.4 * g + 0.6 * s, 1e-12, 'consensus');
  close(b.pUp, 0.5689411764705882, 1e-12, 'consensus by hand');
  // Agreement: bull p > 0.55: 0.7, 0.6, 0.8, 0.65 (0.55 is not above); bear p < 0.45: 0.4, 0.3 → 4 of 8.
  close(b.agreement, 0.5);
  assert.is(b.agents, 8);
  assert.equal(b.weights.gemini, 0.7);
});

test('a calibration multiplier weighs an agent within its group; a group with no weighted answer leaves the other to carry it', () => {
  const b = blendConsensus(answers, {}, { contrarian_shark: 0.5 }, cfg.blend)!;
  close(b.swarmPUp!, (0.8 + 0.5 * 0.3 + 0.65 + 0.55 + 0.5) / 4.5);
  const onlySwarm = blendConsensus(answers, {}, { gemini: 0, claude: 0, gpt: 0 }, cfg.blend)!;
  assert.is(onlySwarm.generalistPUp, null);
  close(onlySwarm.pUp, 0.56);
  assert.is(onlySwarm.agents, 5, 'weight-0 agents do not count toward agreement');
  const onlyGen = blendConsensus(answers.slice(0, 1), {}, {}, cfg.blend)!;
  close(onlyGen.pUp, 0.7);
  assert.is(blendConsensus([], {}, {}, cfg.blend), null, 'no valid answer: no consensus (never a guess)');
  close(agreementOf([0.9, 0.9, 0.1], 0.55, 0.45), 2 / 3);
  close(agreementOf([0.5, 0.5], 0.55, 0.45), 0);
});

test('scores by hand: Brier, log loss, hit; the always-0.9 model against a 75 % up base rate is down-weighted', () => {
  const one = scoreOne(0.9, 1);
  close(one.brier, 0.01, 1e-15);
  close(one.logLoss, -Math.log(0.9));
  assert.is(one.hit, 1);
  assert.is(scoreOne(0.5, 1).hit, 0, '0.5 takes no side');
  assert.is(scoreOne(0.2, 0).hit, 1);
  close(scoreOne(1, 0).logLoss, -Math.log(1e-6), 1e-9, 'a confident miss is clipped, not infinite');
  const rows = [1, 0, 1, 1].map((y) => ({ p: 0.9, y: y as 0 | 1 }));
  const s = scoreStats(rows)!;
  close(s.brier, (0.01 + 0.81 + 0.01 + 0.01) / 4); // 0.21
  close(s.logLoss, (3 * -Math.log(0.9) - Math.log(0.1)) / 4); // 0.654667…
  close(s.hitRate, 0.75);
  close(s.baseRate, 0.75);
  close(s.baseBrier, 0.75 * 0.25); // 0.1875
  close(s.baseHitRate, 0.75);
  close(s.skill, 1 - 0.21 / 0.1875);
  const c = { ...cfg.calibration, minScored: 4 };
  assert.equal(calibrationVerdict(s, c)?.multiplier, cfg.calibration.downWeight);
  assert.match(calibrationVerdict(s, c)!.reason, 'Brier 0.2100 worse than the base rate');
  const good = scoreStats([{ p: 0.8, y: 1 }, { p: 0.3, y: 0 }, { p: 0.7, y: 1 }, { p: 0.6, y: 1 }])!;
  assert.equal(calibrationVerdict(good, c)?.multiplier, 1);
  assert.is(calibrationVerdict(s, { ...c, minScored: 5 }), null, 'too few scored: no verdict');
});

const view = (madeAt: number, pUp = 0.8): AiConsensusView => ({ madeAt, basedOn: madeAt - 60_000, pUp, agreement: 1, generalistPUp: pUp, swarmPUp: pUp, agents: 8, of: 8, horizonMin: 30, cycleId: `c${madeAt}` });

test('ai_consensus votes only with a consensus made at or before the snapshot and younger than maxAgeSec', () => {
  const T = Date.UTC(2026, 0, 7, 12);
  const p = testConfig().decision.signals.ai_consensus;
  const at = (ai: AiConsensusView | null) => aiConsensus({ ...bullish(T), ai }, null, p);
  assert.match((at(null) as { unavailable: string }).unavailable, 'no AI consensus');
  assert.match((at(view(T - p.maxAgeSec * 1000 - 1)) as { unavailable: string }).unavailable, 'old');
  assert.match((at(view(T + 1)) as { unavailable: string }).unavailable, 'after the snapshot');
  const v = at(view(T - p.maxAgeSec * 1000)) as { dir: number; strength: number };
  assert.is(v.dir, 1);
  close(v.strength, 0.6);
  const bear = at(view(T - 1000, 0.2)) as { dir: number; strength: number };
  assert.is(bear.dir, -1);
  const flat = at(view(T - 1000, 0.52)) as { dir: number; note: string };
  assert.is(flat.dir, 0);
  assert.match(flat.note, 'dead band');
});

test('the timeline lookup: the latest record made at or before the time, none before the first (no look-ahead)', () => {
  const recs = [view(1000), view(2000), view(3000)];
  assert.is(consensusAt(recs, 999), null);
  assert.is(consensusAt(recs, 1000)!.madeAt, 1000);
  assert.is(consensusAt(recs, 2999)!.madeAt, 2000);
  assert.is(consensusAt(recs, 10_000)!.madeAt, 3000);
  assert.is(consensusAt([], 10_000), null);
  assert.is(consensusAt(undefined, 10_000), null);
});

test.run();
