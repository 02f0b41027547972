// Vote arithmetic: weighted scores (seed 001), IMBA buy/sell confidence with regime and sentiment (seed 004),
// verdict thresholds with seed 001's boosted hours. Pure; the worked examples in the seeds are its tests.
import type { Thresholds } from '../config/sections/decision.js';
import type { Regime, SourceVote, Verdict } from '../protocol/index.js';
import type { Dir } from './signals/types.js';

export interface HourRules {
  blocked: number[];
  boosted: number[];
  boostThresholdMult: number;
  boostStrongMult: number;
}

/** Seed 001: in a boosted hour BUY/SELL thresholds are ×0.85 and STRONG ones ×0.92. */
export function effectiveThresholds(t: Thresholds, hourUtc: number, hours: HourRules | null): Thresholds & { boosted: boolean } {
  if (!hours || !hours.boosted.includes(hourUtc)) return { ...t, boosted: false };
  return {
    buy: t.buy * hours.boostThresholdMult,
    sell: t.sell * hours.boostThresholdMult,
    strongBuy: t.strongBuy * hours.boostStrongMult,
    strongSell: t.strongSell * hours.boostStrongMult,
    boosted: true,
  };
}

export function verdictOf(score: number, t: Thresholds): Verdict {
  if (score >= t.strongBuy) return 'STRONG_BUY';
  if (score >= t.buy) return 'BUY';
  if (score <= t.strongSell) return 'STRONG_SELL';
  if (score <= t.sell) return 'SELL';
  return 'NEUTRAL';
}

export const directionOf = (v: Verdict): Dir => (v === 'BUY' || v === 'STRONG_BUY' ? 1 : v === 'SELL' || v === 'STRONG_SELL' ? -1 : 0);

export interface Tally {
  score: number;
  agree: number;
  oppose: number;
  /** Weighted mean strength of the sources voting with the score's sign (0.5–1.0 sizing, seed 004). */
  strength: number;
}

/** Σ weight × direction × strength over the sources that could vote. Unavailable sources add nothing and are not renormalised. */
export function tally(votes: SourceVote[]): Tally {
  let score = 0;
  for (const v of votes) score += v.contribution;
  return { score, ...agreement(votes, (Math.sign(score) || 0) as Dir) };
}

export function agreement(votes: SourceVote[], dir: Dir): { agree: number; oppose: number; strength: number } {
  let agree = 0;
  let oppose = 0;
  let ws = 0;
  let w = 0;
  for (const v of votes) {
    if (v.direction === null || v.direction === 0 || dir === 0) continue;
    if (v.direction === dir) {
      agree++;
      ws += v.weight * (v.strength ?? 0);
      w += v.weight;
    } else oppose++;
  }
  return { agree, oppose, strength: w > 0 ? ws / w : 0 };
}

export type ImbaRegime = 'trend' | 'flat' | 'volatile' | null;

export const imbaRegime = (r: Regime | null | undefined): ImbaRegime =>
  r === 'TRENDING_UP' || r === 'TRENDING_DOWN' ? 'trend' : r === 'RANGING' ? 'flat' : r === 'VOLATILE' ? 'volatile' : null;

export interface ImbaTally {
  buy: number;
  sell: number;
  /** |buy − sell| before the sentiment adjustment. */
  base: number;
  dir: Dir;
  sentimentMult: number;
  confidence: number;
}

export interface SentimentRule {
  extremeFear: number;
  extremeGreed: number;
  boost: number;
  cut: number;
}

/** Seed 004: buy and sell votes, base confidence |buy − sell|, then fear & greed: extreme fear ×boost on buys and ×cut on sells, greed mirrored. */
export function imbaTally(votes: SourceVote[], sentiment: number | null, rule: SentimentRule): ImbaTally {
  let buy = 0;
  let sell = 0;
  for (const v of votes) {
    if (v.contribution > 0) buy += v.contribution;
    else sell -= v.contribution;
  }
  const base = Math.abs(buy - sell);
  const dir = (Math.sign(buy - sell) || 0) as Dir;
  let mult = 1;
  if (sentiment !== null && dir !== 0) {
    if (sentiment <= rule.extremeFear) mult = dir > 0 ? rule.boost : rule.cut;
    else if (sentiment >= rule.extremeGreed) mult = dir > 0 ? rule.cut : rule.boost;
  }
  return { buy, sell, base, dir, sentimentMult: mult, confidence: base * mult };
}
