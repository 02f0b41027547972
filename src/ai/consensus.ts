// The swarm's arithmetic: seed 000's 40/60 blend with accuracy-weighted generalists, agreement, and the calibration
// scores (Brier, log loss, hit rate against the base rate). Pure: the same answers and records give the same numbers.
import type { AiConfig } from '../config/sections/ai.js';

export interface AgentAnswer {
  agent: string;
  role: 'generalist' | 'persona';
  pUp: number;
}

export interface Blend {
  pUp: number;
  agreement: number;
  generalistPUp: number | null;
  swarmPUp: number | null;
  /** Each answering agent's weight within its group. */
  weights: Record<string, number>;
  /** Answers that carried weight. */
  agents: number;
}

/** A generalist's weight: its hit rate over its recent scored predictions, shrunk toward the prior (seed 000: not normalised). */
export function accuracyWeight(hits: number, n: number, prior: number, priorCount: number): number {
  return n + priorCount > 0 ? (hits + prior * priorCount) / (n + priorCount) : prior;
}

/** The share of answers on the majority side: bull when p_up > bullAbove, bear when below bearBelow (seed 001). */
export function agreementOf(ps: number[], bullAbove: number, bearBelow: number): number {
  if (!ps.length) return 0;
  const bull = ps.filter((p) => p > bullAbove).length;
  const bear = ps.filter((p) => p < bearBelow).length;
  return Math.max(bull, bear) / ps.length;
}

const weighted = (xs: Array<{ p: number; w: number }>): number | null => {
  const w = xs.reduce((a, x) => a + x.w, 0);
  return w > 0 ? xs.reduce((a, x) => a + x.p * x.w, 0) / w : null;
};

/**
 * generalists × Σ(acc·m·p)/Σ(acc·m) + swarm × Σ(m·p)/Σ(m), m being each agent's calibration multiplier (1 unless
 * down-weighted). A group without a weighted answer is left out and the other carries the whole consensus; none → null.
 */
export function blendConsensus(
  answers: AgentAnswer[], accuracy: Record<string, { hits: number; n: number }>, multipliers: Record<string, number>, b: AiConfig['blend'],
): Blend | null {
  const weights: Record<string, number> = {};
  const gen: Array<{ p: number; w: number }> = [];
  const swarm: Array<{ p: number; w: number }> = [];
  for (const a of answers) {
    const m = multipliers[a.agent] ?? 1;
    const acc = a.role === 'generalist' ? accuracyWeight(accuracy[a.agent]?.hits ?? 0, accuracy[a.agent]?.n ?? 0, b.priorHitRate, b.priorCount) : 1;
    const w = acc * m;
    weights[a.agent] = w;
    (a.role === 'generalist' ? gen : swarm).push({ p: a.pUp, w });
  }
  const g = weighted(gen);
  const s = weighted(swarm);
  if (g === null && s === null) return null;
  const pUp = g !== null && s !== null ? b.generalists * g + b.swarm * s : (g ?? s)!;
  const counted = answers.filter((a) => weights[a.agent]! > 0);
  return { pUp, agreement: agreementOf(counted.map((a) => a.pUp), b.bullAbove, b.bearBelow), generalistPUp: g, swarmPUp: s, weights, agents: counted.length };
}

/** Log loss clips p to [EPS, 1 − EPS] so a confident miss costs a large but finite amount. */
export const EPS = 1e-6;

export interface Score {
  brier: number;
  logLoss: number;
  /** p_up > 0.5 and up, or < 0.5 and down; 0.5 takes no side and is a miss. */
  hit: 0 | 1;
}

export function scoreOne(p: number, y: 0 | 1): Score {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return { brier: (p - y) ** 2, logLoss: -(y ? Math.log(q) : Math.log(1 - q)), hit: (p > 0.5 && y === 1) || (p < 0.5 && y === 0) ? 1 : 0 };
}

export interface ScoreStats {
  n: number;
  brier: number;
  logLoss: number;
  hitRate: number;
  /** Share of outcomes that were up. */
  baseRate: number;
  /** Brier and log loss of always predicting the base rate; hit rate of always taking the majority side. */
  baseBrier: number;
  baseLogLoss: number;
  baseHitRate: number;
  /** 1 − brier / baseBrier (0 when the base rate has no uncertainty). */
  skill: number;
}

export function scoreStats(rows: Array<{ p: number; y: 0 | 1 }>): ScoreStats | null {
  const n = rows.length;
  if (!n) return null;
  let brier = 0;
  let ll = 0;
  let hits = 0;
  let ups = 0;
  for (const r of rows) {
    const s = scoreOne(r.p, r.y);
    brier += s.brier;
    ll += s.logLoss;
    hits += s.hit;
    ups += r.y;
  }
  const base = ups / n;
  const baseBrier = base * (1 - base);
  const q = Math.min(1 - EPS, Math.max(EPS, base));
  const baseLogLoss = -(base * Math.log(q) + (1 - base) * Math.log(1 - q));
  return {
    n, brier: brier / n, logLoss: ll / n, hitRate: hits / n, baseRate: base, baseBrier, baseLogLoss, baseHitRate: Math.max(base, 1 - base),
    skill: baseBrier > 0 ? 1 - brier / n / baseBrier : 0,
  };
}

export interface CalibrationVerdict {
  multiplier: number;
  reason: string;
}

/**
 * Seed 000's calibration audit for one agent: with at least `minScored` scored predictions in its window, an agent whose
 * Brier score is worse than the base rate's is down-weighted (× downWeight); one at or better than it is at 1 again.
 * null: too few scored predictions to judge (its weight stays as it is).
 */
export function calibrationVerdict(stats: ScoreStats | null, c: AiConfig['calibration']): CalibrationVerdict | null {
  if (!stats || stats.n < c.minScored) return null;
  const f = (x: number) => x.toFixed(4);
  if (stats.brier > stats.baseBrier) {
    return { multiplier: c.downWeight, reason: `Brier ${f(stats.brier)} worse than the base rate's ${f(stats.baseBrier)} over the last ${stats.n} (hit rate ${f(stats.hitRate)})` };
  }
  return { multiplier: 1, reason: `Brier ${f(stats.brier)} at or better than the base rate's ${f(stats.baseBrier)} over the last ${stats.n} (hit rate ${f(stats.hitRate)})` };
}
