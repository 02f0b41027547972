// Signals on the bars of one timeframe (seed 004): the swing failure pattern and the fair value gap.
// Guarantees each is "unavailable" until its timeframe has the bars and swings it reads; only closed bars are used.
import type { SignalParams } from '../../config/sections/decision.js';
import { f, na, none, vote, type SignalFn } from './types.js';

/**
 * Swing failure (seed 004 sfp): the last closed bar trades through the last confirmed swing high and closes back below
 * it (bearish), or through the swing low and closes back above it (bullish). Strength: the share of the bar's range
 * rejected, (high − close) / (high − low) for a failed high. A bar that sweeps both sides says nothing.
 */
export const sfp: SignalFn<SignalParams['sfp']> = (s, _prev, p) => {
  const st = s.tf[p.timeframe];
  const bar = st?.bars?.at(-1);
  if (!st || !bar) return na(`needs tf.${p.timeframe} bars`);
  const hi = st.priorSwingHigh ?? null;
  const lo = st.priorSwingLow ?? null;
  if (hi === null && lo === null) return na(`needs a confirmed ${p.timeframe} swing high or low`);
  const range = bar.high - bar.low;
  const failedHigh = hi !== null && bar.high > hi && bar.close < hi;
  const failedLow = lo !== null && bar.low < lo && bar.close > lo;
  if (failedHigh && failedLow) return none(`${p.timeframe} bar swept both swings`);
  if (failedHigh) return vote(-1, range > 0 ? (bar.high - bar.close) / range : 0, `${p.timeframe} swept the swing high ${f(hi!, 2)} to ${f(bar.high, 2)} and closed back at ${f(bar.close, 2)}`);
  if (failedLow) return vote(1, range > 0 ? (bar.close - bar.low) / range : 0, `${p.timeframe} swept the swing low ${f(lo!, 2)} to ${f(bar.low, 2)} and closed back at ${f(bar.close, 2)}`);
  return none(`no swing failure on ${p.timeframe}`);
};

/**
 * Fair value gap (seed 004 fvg, "gap fill trading"): three bars where the first's high is below the third's low leave an
 * untraded gap above the first (bullish gap) that price tends to come back to fill: vote toward the gap (a bullish gap
 * votes down, a bearish one up). Strength: the gap in ATRs of that timeframe over fullAtr; gaps under minAtr say nothing.
 */
export const fvg: SignalFn<SignalParams['fvg']> = (s, _prev, p) => {
  const st = s.tf[p.timeframe];
  const bars = st?.bars;
  if (!st || !bars || bars.length < 3) return na(`needs three tf.${p.timeframe} bars`);
  const atr = st.atr;
  if (atr === null || !(atr > 0)) return na(`needs tf.${p.timeframe} atr`);
  const [a, , c] = bars.slice(-3) as [typeof bars[0], typeof bars[0], typeof bars[0]];
  const up = c.low - a.high;
  const down = a.low - c.high;
  const gap = up > 0 ? up : down > 0 ? down : 0;
  if (gap <= 0) return none(`no ${p.timeframe} gap`);
  const x = gap / atr;
  const what = `${up > 0 ? 'bullish' : 'bearish'} ${p.timeframe} gap ${f(up > 0 ? a.high : c.high, 2)}–${f(up > 0 ? c.low : a.low, 2)} (${f(x, 2)} ATR)`;
  if (x < p.minAtr) return none(`${what} below ${p.minAtr} ATR`);
  return vote(up > 0 ? -1 : 1, x / p.fullAtr, `${what}: toward its fill`);
};
