// Signal gates and vetoes (seeds 001/003/004): blocked hours, RANGING regime, k-of-N agreement, ML agreement,
// debounce, funding filter, entry grade, weak signals in a VOLATILE regime, global risk score. Pure.
import type { Gates } from '../config/sections/decision.js';
import type { Snapshot, Veto } from '../protocol/index.js';
import { f, type Dir } from './signals/types.js';
import type { StrategyResult } from './strategies.js';
import type { HourRules } from './voting.js';

export type Grade = 'A' | 'B' | 'C' | 'D';

/** How stretched the entry is: price beyond the fast EMA in the trade's direction, in ATRs (A ≤ 0.5, B ≤ 1, C ≤ 2, D beyond). */
export function entryGrade(s: Snapshot, dir: Dir): { grade: Grade; stretch: number } | null {
  const { emaFast, atr } = s.ind;
  if (emaFast === null || atr === null || !(atr > 0) || dir === 0) return null;
  const stretch = (dir * (s.price - emaFast)) / atr;
  return { grade: stretch <= 0.5 ? 'A' : stretch <= 1 ? 'B' : stretch <= 2 ? 'C' : 'D', stretch };
}

export interface GateInput {
  s: Snapshot;
  r: StrategyResult;
  gates: Gates;
  hours: HourRules;
  /** The previous raw direction for this symbol and when it was seen (debounce). */
  prevDir: { dir: Dir; ts: number } | null;
}

export interface GateOutput {
  vetoes: Veto[];
  /** `code: passed | skipped (why) | fired` for every gate the preset enables. */
  log: string[];
  /** Debounce turns the verdict NEUTRAL. */
  neutralise: boolean;
  grade: Grade | null;
}

export function applyGates({ s, r, gates: g, hours, prevDir }: GateInput): GateOutput {
  const vetoes: Veto[] = [];
  const log: string[] = [];
  let neutralise = false;
  const dir = r.dir;
  const fire = (code: string, detail: string) => {
    vetoes.push({ code, detail });
    log.push(`${code}: fired (${detail})`);
  };
  const pass = (code: string, why = '') => log.push(`${code}: passed${why ? ` (${why})` : ''}`);
  const skip = (code: string, why: string) => log.push(`${code}: skipped (${why})`);
  const grade = entryGrade(s, dir);
  if (dir === 0) return { vetoes, log: ['not evaluated (no direction)'], neutralise, grade: null };

  if (g.hours) {
    if (hours.blocked.includes(s.hourUtc)) fire('hour_blocked', `UTC hour ${s.hourUtc} is blocked`);
    else pass('hour_blocked', r.boostedHour ? `UTC hour ${s.hourUtc} is boosted: thresholds ×${hours.boostThresholdMult}/×${hours.boostStrongMult}` : `UTC hour ${s.hourUtc}`);
  }
  if (g.rangingVeto) {
    if (!s.regime) skip('regime_ranging', 'regime unknown');
    else if (s.regime.label === 'RANGING') fire('regime_ranging', `regime RANGING (confidence ${f(s.regime.confidence, 2)})`);
    else pass('regime_ranging', s.regime.label);
  }
  if (g.minAgreement !== null) {
    const { agree, of } = r.agreement;
    if (agree < g.minAgreement) fire('min_agreement', `${agree} of ${of} sources agree, ${g.minAgreement} needed`);
    else pass('min_agreement', `${agree} of ${of}`);
  }
  if (g.mlAgreementMin !== null) {
    if (!s.ml.available) skip('ml_disagreement', `ml unavailable: ${s.ml.reason}`);
    else {
      const a = dir > 0 ? s.ml.pUp : 1 - s.ml.pUp;
      if (a < g.mlAgreementMin) fire('ml_disagreement', `ML agreement ${f(a, 3)} < ${g.mlAgreementMin} for a ${dir > 0 ? 'long' : 'short'}`);
      else pass('ml_disagreement', `agreement ${f(a, 3)}`);
    }
  }
  if (g.debounceSec !== null) {
    if (prevDir && prevDir.dir === -dir && s.ts - prevDir.ts <= g.debounceSec * 1000) {
      neutralise = true;
      fire('debounce', `opposite signal ${Math.round((s.ts - prevDir.ts) / 1000)} s ago (within ${g.debounceSec} s): NEUTRAL`);
    } else pass('debounce');
  }
  if (g.fundingMaxAbs !== null) {
    const fr = s.flow?.fundingRate;
    if (fr === null || fr === undefined) skip('funding_filter', 'funding unknown');
    else if ((dir > 0 && fr > g.fundingMaxAbs) || (dir < 0 && fr < -g.fundingMaxAbs)) {
      fire('funding_filter', `funding ${f(fr * 100, 4)} % is paid by ${dir > 0 ? 'longs' : 'shorts'} beyond ${f(g.fundingMaxAbs * 100, 4)} %`);
    } else pass('funding_filter', `funding ${f(fr * 100, 4)} %`);
  }
  if (g.entryGrades !== null) {
    if (!grade) fire('entry_grade', 'cannot grade the entry (needs emaFast and atr)');
    else if (!g.entryGrades.includes(grade.grade)) fire('entry_grade', `grade ${grade.grade} (${f(grade.stretch, 2)} ATR stretched), allowed ${g.entryGrades.join('/')}`);
    else pass('entry_grade', `grade ${grade.grade}`);
  }
  if (g.volatileMinStrength !== null) {
    if (s.regime?.label !== 'VOLATILE') pass('volatile_weak', s.regime ? s.regime.label : 'regime unknown');
    else if (r.strength < g.volatileMinStrength) fire('volatile_weak', `VOLATILE regime needs strength ≥ ${g.volatileMinStrength}, got ${f(r.strength, 2)}`);
    else pass('volatile_weak', `strength ${f(r.strength, 2)}`);
  }
  if (g.maxRiskScore !== null) {
    if (!s.flow) skip('risk_score', 'flow unknown');
    else if (s.flow.riskScore > g.maxRiskScore) fire('risk_score', `global risk score ${f(s.flow.riskScore, 2)} > ${g.maxRiskScore}`);
    else pass('risk_score', f(s.flow.riskScore, 2));
  }
  return { vetoes, log, neutralise, grade: grade?.grade ?? null };
}
