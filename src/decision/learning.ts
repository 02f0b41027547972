// The learning loop, pure part: entry conditions, Wilson score intervals per pattern with seed 000's actions,
// and seed 001's signal evolution (×1.06 / ×0.94 every N trades, bounded). The host stores all of it in learning_insights.
import type { LearningConfig, Thresholds } from '../config/sections/decision.js';
import type { Side, Snapshot, SourceVote } from '../protocol/index.js';

/** Wilson score interval of a win rate. */
export function wilson(wins: number, n: number, z: number): { p: number; lo: number; hi: number } {
  if (n <= 0) return { p: 0, lo: 0, hi: 1 };
  const p = wins / n;
  const z2 = z * z;
  const den = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / den;
  return { p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

export type PatternAction = 'skip' | 'reduce' | 'boost' | 'none';
export type InsightStatus = 'ACTIVE' | 'PENDING' | 'DISABLED';

/** Seed 000: ci_hi < 0.45 skip, < 0.50 reduce, ci_lo > 0.55/0.65/0.75 boost 1.2/1.4/1.6; ACTIVE from minTrades on. */
export function patternAction(lo: number, hi: number, n: number, c: LearningConfig): { action: PatternAction; multiplier: number; status: InsightStatus } {
  const status: InsightStatus = n >= c.minTrades ? 'ACTIVE' : 'PENDING';
  if (hi < c.skipBelow) return { action: 'skip', multiplier: 0, status };
  if (hi < c.reduceBelow) return { action: 'reduce', multiplier: c.reduceMult, status };
  const boost = [...c.boosts].sort((a, b) => b[0] - a[0]).find(([at]) => lo > at);
  if (boost) return { action: 'boost', multiplier: boost[1], status };
  return { action: 'none', multiplier: 1, status };
}

export interface Outcome {
  side: Side;
  win: boolean;
  conditions: Record<string, string>;
  votes: SourceVote[];
}

export interface PatternStat {
  key: string;
  n: number;
  wins: number;
  p: number;
  lo: number;
  hi: number;
  action: PatternAction;
  multiplier: number;
  status: InsightStatus;
}

/** One pattern per `insight_type:condition` seen in the outcomes. */
export function patternStats(outcomes: Outcome[], c: LearningConfig): PatternStat[] {
  const acc = new Map<string, { n: number; wins: number }>();
  for (const o of outcomes) {
    for (const [k, v] of Object.entries(o.conditions)) {
      const key = `${k}:${v}`;
      const a = acc.get(key) ?? { n: 0, wins: 0 };
      a.n++;
      if (o.win) a.wins++;
      acc.set(key, a);
    }
  }
  return [...acc.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, { n, wins }]) => {
    const w = wilson(wins, n, c.z);
    return { key, n, wins, ...w, ...patternAction(w.lo, w.hi, n, c) };
  });
}

export interface Evolution {
  source: string;
  old: number;
  next: number;
  right: number;
  counted: number;
}

/** A source was right when it voted the trade's side and the trade won, or the other side and it lost. */
export function evolveWeights(current: Record<string, number>, batch: Outcome[], c: LearningConfig): Evolution[] {
  const tally = new Map<string, { right: number; counted: number }>();
  for (const o of batch) {
    const side = o.side === 'long' ? 1 : -1;
    for (const v of o.votes) {
      if (v.unavailable || !v.direction || v.weight <= 0) continue;
      const t = tally.get(v.source) ?? { right: 0, counted: 0 };
      t.counted++;
      if ((v.direction === side) === o.win) t.right++;
      tally.set(v.source, t);
    }
  }
  const out: Evolution[] = [];
  for (const [source, t] of [...tally.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const old = current[source] ?? 1;
    const rate = t.right / t.counted;
    const factor = rate > 0.5 ? c.boost : rate < 0.5 ? c.decay : 1;
    const next = Math.min(c.maxMult, Math.max(c.minMult, old * factor));
    out.push({ source, old, next, right: t.right, counted: t.counted });
  }
  return out;
}

/** The entry conditions an outcome is attributed to (seed 001: vpin regime, OFI pressure, entry grade, session, regime…). */
export function conditionsOf(s: Snapshot, dir: number, score: number, th: Thresholds, grade: string | null): Record<string, string> {
  const vp = s.micro?.vpin;
  const ofi = s.micro?.ofi;
  const buy = dir >= 0 ? th.buy : -th.sell;
  const strong = dir >= 0 ? th.strongBuy : -th.strongSell;
  const x = strong > buy ? (Math.abs(score) - buy) / (strong - buy) : 1;
  return {
    side: dir > 0 ? 'long' : dir < 0 ? 'short' : 'flat',
    regime: s.regime?.label ?? 'UNKNOWN',
    session: s.session,
    hour: String(s.hourUtc).padStart(2, '0'),
    vpin_regime: vp === null || vp === undefined ? 'unknown' : vp < 0.3 ? 'low' : vp < 0.6 ? 'normal' : 'high',
    ofi_pressure: ofi === null || ofi === undefined ? 'unknown' : ofi > 0.3 ? 'buy' : ofi < -0.3 ? 'sell' : 'balanced',
    score_bucket: x < 0 ? 'below' : x < 0.5 ? 'low' : x < 1 ? 'mid' : 'high',
    entry_grade: grade ?? 'unknown',
  };
}

/** What the engine applies: ACTIVE patterns (not disabled) and signal weight multipliers of the running strategy. */
export interface LearningState {
  patterns: Record<string, { action: PatternAction; multiplier: number; lo: number; hi: number; n: number }>;
  weights: Record<string, number>;
}

export const emptyLearning = (): LearningState => ({ patterns: {}, weights: {} });

/** Skip if any matching ACTIVE pattern says skip; otherwise the product of reduce/boost multipliers. */
export function learningSizing(conditions: Record<string, string>, l: LearningState): { skip: string | null; mult: number; matched: string[] } {
  let mult = 1;
  const matched: string[] = [];
  for (const [k, v] of Object.entries(conditions)) {
    const key = `${k}:${v}`;
    const p = l.patterns[key];
    if (!p || p.action === 'none') continue;
    if (p.action === 'skip') return { skip: `${key} (win rate CI ${p.lo.toFixed(3)}–${p.hi.toFixed(3)} over ${p.n} trades)`, mult: 0, matched: [key] };
    mult *= p.multiplier;
    matched.push(`${key} ×${p.multiplier}`);
  }
  return { skip: null, mult, matched };
}
