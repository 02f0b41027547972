// Where a position's stop-loss should be now: trailing (activation, give-back), chandelier ATR trail, breakeven.
// Guarantees: pure; a stop only ever tightens (never moves against the position) and only by at least minMovePct;
// a level the mark has already crossed is reported as `exit` (close at market), never placed as a stop.
import { D, dec, type Dec } from '../../domain/decimal.js';
import type { Side } from '../../protocol/index.js';

export interface ProtectionConfig {
  trailing: { enabled: boolean; activationPct: number; givebackPct: number };
  breakeven: { enabled: boolean; triggerR: number; offsetPct: number; afterFirstTarget: boolean };
  chandelier: { enabled: boolean; atrPeriod: number; atrMult: number };
  minMovePct: number;
  maxHoldMs: number;
  defaultStopPct: number;
  defaultTakeProfitPct: number;
}

export interface StopInput {
  side: Side;
  entry: string;
  /** The stop the position opened with (1R = |entry − initialStop|); null: breakeven is off for it. */
  initialStop: string | null;
  /** The stop on the exchange now. */
  currentStop: string;
  /** Best mark since the position opened (highest for a long, lowest for a short). */
  peak: number;
  mark: number;
  atr: number | null;
  /** Take-profit legs of the position already filled (breakeven.afterFirstTarget). */
  targetsFilled?: number;
  cfg: ProtectionConfig;
}

export type StopRule = 'trailing' | 'breakeven' | 'chandelier';
export type StopMove = { kind: 'move'; stop: Dec; rule: StopRule } | { kind: 'exit'; stop: Dec; rule: StopRule };

/** Best price seen: the previous peak or the mark, whichever is better for the position. */
export const nextPeak = (side: Side, peak: number | null, mark: number): number =>
  peak === null ? mark : side === 'long' ? Math.max(peak, mark) : Math.min(peak, mark);

/**
 * True only when no stop rule can tighten the stop, told in doubles with a margin (1e-9 relative) far beyond their
 * rounding: every candidate that might exist is clearly short of the required move. Anything closer is left to the exact
 * decimal rules, so the answer is always theirs; most loop ticks of a held position end here.
 */
function clearlyNoMove(i: StopInput): boolean {
  const long = i.side === 'long';
  const entry = Number(i.entry);
  const cur = Number(i.currentStop);
  const profit = long ? i.peak - entry : entry - i.peak;
  const { trailing, breakeven, chandelier } = i.cfg;
  const need = Math.max(cur * i.cfg.minMovePct, 0);
  // Positive when the candidate may be tight enough (long: above cur by `need`; short: below).
  const short = (stop: number) => {
    const gap = (long ? stop - cur : cur - stop) - need;
    return gap < -1e-9 * Math.max(Math.abs(stop), Math.abs(cur), 1);
  };
  if (!(Number.isFinite(entry) && Number.isFinite(cur) && Number.isFinite(i.peak))) return false;
  if (trailing.enabled && profit > -1e-9 * Math.abs(entry)) {
    const keep = profit * (1 - trailing.givebackPct);
    if (!short(long ? entry + keep : entry - keep)) return false;
  }
  const be = long ? entry * (1 + breakeven.offsetPct) : entry * (1 - breakeven.offsetPct);
  if (breakeven.afterFirstTarget && (i.targetsFilled ?? 0) > 0) {
    if (!short(be)) return false;
  } else if (breakeven.enabled && i.initialStop !== null && !short(be)) return false;
  if (chandelier.enabled && i.atr !== null && i.atr > 0) {
    const d = i.atr * chandelier.atrMult;
    if (!short(long ? i.peak - d : i.peak + d)) return false;
  }
  return true;
}

export function stopMove(i: StopInput): StopMove | null {
  if (clearlyNoMove(i)) return null;
  const long = i.side === 'long';
  const entry = dec(i.entry);
  const peak = dec(i.peak);
  const profit = long ? peak.sub(entry) : entry.sub(peak);
  const cands: Array<{ stop: Dec; rule: StopRule }> = [];
  const { trailing, breakeven, chandelier } = i.cfg;
  if (trailing.enabled && profit.gt(0) && profit.div(entry).gte(trailing.activationPct)) {
    const keep = profit.mul(1 - trailing.givebackPct);
    cands.push({ stop: long ? entry.add(keep) : entry.sub(keep), rule: 'trailing' });
  }
  const afterTarget = breakeven.afterFirstTarget && (i.targetsFilled ?? 0) > 0;
  if (afterTarget) cands.push({ stop: long ? entry.mul(1 + breakeven.offsetPct) : entry.mul(1 - breakeven.offsetPct), rule: 'breakeven' });
  else if (breakeven.enabled && i.initialStop !== null) {
    const r = entry.sub(i.initialStop).abs();
    if (r.gt(0) && profit.gte(r.mul(breakeven.triggerR))) cands.push({ stop: long ? entry.mul(1 + breakeven.offsetPct) : entry.mul(1 - breakeven.offsetPct), rule: 'breakeven' });
  }
  if (chandelier.enabled && i.atr !== null && i.atr > 0) {
    const d = dec(i.atr).mul(chandelier.atrMult);
    cands.push({ stop: long ? peak.sub(d) : peak.add(d), rule: 'chandelier' });
  }
  if (!cands.length) return null;
  const best = cands.reduce((a, b) => (long ? (b.stop.gt(a.stop) ? b : a) : b.stop.lt(a.stop) ? b : a));
  const cur = dec(i.currentStop);
  const minGain = cur.mul(i.cfg.minMovePct);
  const tighter = long ? best.stop.sub(cur).gte(D.max(minGain, 0)) && best.stop.gt(cur) : cur.sub(best.stop).gte(D.max(minGain, 0)) && best.stop.lt(cur);
  if (!tighter) return null;
  const crossed = long ? dec(i.mark).lte(best.stop) : dec(i.mark).gte(best.stop);
  return { kind: crossed ? 'exit' : 'move', ...best };
}
