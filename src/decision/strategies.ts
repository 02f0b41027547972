// Strategy presets evaluated on a snapshot: weighted vote (seed 001), IMBA (seed 004), rules (seed 003), ema_rsi.
// Pure: the same snapshot, previous snapshot, preset and weight multipliers always give the same votes and verdict.
import type { Preset, SignalName, SignalParams } from '../config/sections/decision.js';
import type { Snapshot, SourceVote, Verdict, Veto } from '../protocol/index.js';
import { runSignal } from './signals/registry.js';
import { f, isVote, type Dir } from './signals/types.js';
import { agreement, directionOf, effectiveThresholds, imbaRegime, imbaTally, tally, verdictOf, type HourRules } from './voting.js';

export interface StrategyResult {
  score: number;
  verdict: Verdict;
  dir: Dir;
  /** Weighted mean strength of the sources on the verdict's side, in [0, 1]. */
  strength: number;
  /** How far the score is into its verdict band, in [0, 1] (1 at the STRONG threshold or beyond). */
  confidence: number;
  votes: SourceVote[];
  coverage: number;
  agreement: { agree: number; oppose: number; of: number };
  notes: string[];
  /** Strategy-level filters that fired (e.g. RSI against an EMA cross). */
  vetoes: Veto[];
  boostedHour: boolean;
}

function castVote(name: SignalName, weight: number, s: Snapshot, prev: Snapshot | null, params: SignalParams, extraNote = ''): SourceVote {
  const r = runSignal(name, s, prev, params);
  if (!isVote(r)) return { source: name, weight, direction: null, strength: null, contribution: 0, unavailable: r.unavailable };
  const note = extraNote ? `${r.note}; ${extraNote}` : r.note;
  return { source: name, weight, direction: r.dir, strength: r.strength, contribution: weight * r.dir * r.strength, note };
}

const coverageOf = (votes: SourceVote[], base: Record<string, number>): number => {
  const total = Object.values(base).reduce((a, w) => a + w, 0);
  const avail = votes.filter((v) => !v.unavailable).reduce((a, v) => a + (base[v.source] ?? 0), 0);
  return total > 0 ? avail / total : 0;
};

const bandConfidence = (score: number, strong: number, strongSell: number): number =>
  Math.min(1, score >= 0 ? score / strong : score / strongSell);

export function evaluate(
  preset: Preset, s: Snapshot, prev: Snapshot | null, params: SignalParams, hours: HourRules | null, weightMult: Record<string, number>,
): StrategyResult {
  const mult = (n: string) => weightMult[n] ?? 1;
  const useHours = preset.gates.hours ? hours : null;
  switch (preset.kind) {
    case 'weighted': {
      const base = preset.weights as Record<string, number>;
      const votes = (Object.entries(base) as Array<[SignalName, number]>).map(([n, w]) => castVote(n, w * mult(n), s, prev, params));
      const t = tally(votes);
      const th = effectiveThresholds(preset.thresholds, s.hourUtc, useHours);
      const verdict = verdictOf(t.score, th);
      return {
        score: t.score, verdict, dir: directionOf(verdict), strength: t.strength, confidence: bandConfidence(t.score, th.strongBuy, th.strongSell),
        votes, coverage: coverageOf(votes, base), agreement: { agree: t.agree, oppose: t.oppose, of: votes.length },
        notes: [`weighted score ${f(t.score, 4)} (BUY ≥ ${f(th.buy, 4)}, STRONG ≥ ${f(th.strongBuy, 4)}${th.boosted ? ', boosted hour' : ''})`],
        vetoes: [], boostedHour: th.boosted,
      };
    }
    case 'imba': {
      const base = preset.weights as Record<string, number>;
      const rg = imbaRegime(s.regime?.label);
      const favoured = rg === 'trend' ? preset.trendSignals : rg === 'flat' ? preset.meanReversionSignals : rg === 'volatile' ? preset.volatileSignals : [];
      const votes = (Object.entries(base) as Array<[SignalName, number]>).map(([n, w]) => {
        const boost = favoured.includes(n) ? preset.regimeMultiplier : 1;
        return castVote(n, w * mult(n) * boost, s, prev, params, boost !== 1 ? `×${boost} in ${rg} regime` : '');
      });
      const it = imbaTally(votes, s.flow?.sentiment ?? null, preset.sentiment);
      const score = it.dir * it.confidence;
      const th = effectiveThresholds(preset.thresholds, s.hourUtc, useHours);
      const verdict = verdictOf(score, th);
      const ag = agreement(votes, it.dir);
      return {
        score, verdict, dir: directionOf(verdict), strength: ag.strength, confidence: bandConfidence(score, th.strongBuy, th.strongSell),
        votes, coverage: coverageOf(votes, base), agreement: { agree: ag.agree, oppose: ag.oppose, of: votes.length },
        notes: [`buy votes ${f(it.buy)}, sell votes ${f(it.sell)}, base confidence ${f(it.base)}${it.sentimentMult !== 1 ? ` ×${it.sentimentMult} sentiment` : ''} → ${f(it.confidence)} (threshold ${f(th.buy)})${rg ? `; regime ${rg}` : '; regime unknown: no multipliers'}`],
        vetoes: [], boostedHour: th.boosted,
      };
    }
    case 'rules': {
      const req = preset.required.map((n) => castVote(n, 1, s, prev, params));
      const conf = preset.confirmers.map((n) => castVote(n, preset.confirmBonus, s, prev, params));
      const votes = [...req, ...conf];
      const of = votes.length;
      const missing = req.filter((v) => v.unavailable);
      const dirs = new Set(req.map((v) => v.direction));
      const th = effectiveThresholds(preset.thresholds, s.hourUtc, useHours);
      const flat = (why: string): StrategyResult => ({
        score: 0, verdict: 'NEUTRAL', dir: 0, strength: 0, confidence: 0, votes, coverage: (req.length - missing.length) / req.length,
        agreement: { agree: 0, oppose: 0, of }, notes: [why], vetoes: [], boostedHour: th.boosted,
      });
      if (missing.length) return flat(`insufficient data: ${missing.map((v) => `${v.source} (${v.unavailable})`).join('; ')}`);
      const dir = req[0]!.direction as Dir;
      if (dirs.size !== 1 || dir === 0) return flat(`required signals do not agree: ${req.map((v) => `${v.source} ${v.direction}`).join(', ')}`);
      const against = conf.filter((v) => v.direction === -dir);
      if (against.length) return flat(`conflict: ${against.map((v) => `${v.source} (${v.note})`).join('; ')} against ${dir > 0 ? 'long' : 'short'}`);
      const withUs = conf.filter((v) => v.direction === dir);
      const mean = req.reduce((a, v) => a + (v.strength ?? 0), 0) / req.length;
      const score = dir * Math.min(1, mean + preset.confirmBonus * withUs.length);
      const verdict = verdictOf(score, th);
      return {
        score, verdict, dir: directionOf(verdict), strength: mean, confidence: bandConfidence(score, th.strongBuy, th.strongSell), votes,
        coverage: 1, agreement: { agree: req.length + withUs.length, oppose: 0, of },
        notes: [`${preset.required.join(' + ')} point ${dir > 0 ? 'up' : 'down'} (mean strength ${f(mean)}), ${withUs.length} confirmer(s) agree, none oppose`],
        vetoes: [], boostedHour: th.boosted,
      };
    }
    case 'ema_rsi': {
      const cross = castVote('ema_cross', 1, s, prev, params);
      const { emaFast, emaSlow, rsi, atr } = s.ind;
      const votes: SourceVote[] = [cross];
      if (cross.unavailable || rsi === null || atr === null || emaFast === null || emaSlow === null || atr <= 0) {
        votes.push(rsi === null || atr === null
          ? { source: 'rsi_filter', weight: 0, direction: null, strength: null, contribution: 0, unavailable: 'needs rsi and atr' }
          : { source: 'rsi_filter', weight: 0, direction: 0, strength: 0, contribution: 0, note: `RSI ${f(rsi, 2)}` });
        return { score: 0, verdict: 'NEUTRAL', dir: 0, strength: 0, confidence: 0, votes, coverage: 0, agreement: { agree: 0, oppose: 0, of: 1 }, notes: [`no EMA cross to judge yet (${cross.unavailable ?? 'indicators warming up'})`], vetoes: [], boostedHour: false };
      }
      const rsiOk = cross.direction === 1 ? rsi < preset.rsiLongMax : cross.direction === -1 ? rsi > preset.rsiShortMin : true;
      votes.push({ source: 'rsi_filter', weight: 0, direction: 0, strength: 0, contribution: 0, note: `RSI ${f(rsi, 2)} (long below ${preset.rsiLongMax}, short above ${preset.rsiShortMin})` });
      const vetoes: Veto[] = [];
      if (cross.direction === 1 && !rsiOk) vetoes.push({ code: 'rsi_overbought', detail: `RSI ${f(rsi, 2)} ≥ ${preset.rsiLongMax}` });
      if (cross.direction === -1 && !rsiOk) vetoes.push({ code: 'rsi_oversold', detail: `RSI ${f(rsi, 2)} ≤ ${preset.rsiShortMin}` });
      const dir = (rsiOk ? cross.direction : 0) as Dir;
      const verdict: Verdict = dir > 0 ? 'BUY' : dir < 0 ? 'SELL' : 'NEUTRAL';
      const score = Math.max(-1, Math.min(1, (emaFast - emaSlow) / atr));
      return {
        score, verdict, dir, strength: Math.min(1, Math.abs(score)), confidence: Math.min(1, Math.abs(score)), votes, coverage: 1,
        agreement: { agree: dir ? 1 : 0, oppose: 0, of: 1 }, notes: [`EMA fast ${f(emaFast, 2)} vs slow ${f(emaSlow, 2)}: ${cross.note}; RSI ${f(rsi, 2)}`],
        vetoes, boostedHour: false,
      };
    }
  }
}
