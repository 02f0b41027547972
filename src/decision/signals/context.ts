// Signals on context: the ML model, multi-timeframe alignment, regime, structure, momentum, hour seasonality.
// Guarantees an unavailable model, missing timeframe state or unknown regime never votes.
import type { SignalParams } from '../../config/sections/decision.js';
import type { Momentum, Structure } from '../../protocol/index.js';
import { clamp01, f, na, none, sign, vote, type Dir, type SignalFn } from './types.js';

/** The ONNX model's p_up (stands in for the seeds' AI consensus). */
export const ml: SignalFn<SignalParams['ml']> = (s, _prev, p) => {
  if (!s.ml.available) return na(`ml unavailable: ${s.ml.reason}`);
  const d = s.ml.pUp - 0.5;
  if (Math.abs(d) < p.deadband) return none(`p_up ${f(s.ml.pUp, 3)} inside the dead band`);
  return vote(sign(d), Math.abs(d) * 2, `p_up ${f(s.ml.pUp, 3)} (${s.ml.model})`);
};

/** Multi-timeframe alignment in [−1, 1] (seed 000/001 mtf_alignment). */
export const mtfAlignment: SignalFn<SignalParams['mtf_alignment']> = (s, _prev, p) => {
  const a = s.mtfAlignment;
  if (a === null) return na('needs mtfAlignment');
  if (Math.abs(a) < p.min) return none(`alignment ${f(a, 2)} below ${p.min}`);
  return vote(sign(a), Math.abs(a), `alignment ${f(a, 2)}`);
};

/** Trending regimes vote their direction with the classifier's confidence. */
export const regime: SignalFn<SignalParams['regime']> = (s) => {
  if (!s.regime) return na('needs regime');
  const { label, confidence } = s.regime;
  if (label === 'TRENDING_UP') return vote(1, confidence, `${label} (${f(confidence, 2)})`);
  if (label === 'TRENDING_DOWN') return vote(-1, confidence, `${label} (${f(confidence, 2)})`);
  return none(`${label} has no direction`);
};

/** Configured directional bias of the UTC hour (seed 001's empirical hour table). */
export const hourSeasonality: SignalFn<SignalParams['hour_seasonality']> = (s, _prev, p) => {
  const b = p.bias[String(s.hourUtc)];
  if (b === undefined) return na(`no seasonality configured for hour ${s.hourUtc}`);
  return vote(sign(b), Math.abs(b), `hour ${s.hourUtc} bias ${f(b, 2)}`);
};

const STRUCT: Record<Structure, Dir> = { HH_HL: 1, LH_LL: -1, HH_LL: 0, LH_HL: 0, UNKNOWN: 0 };
const MOM: Record<Momentum, Dir> = { IMPULSE_UP: 1, IMPULSE_DOWN: -1, FADING: 0, CHOPPY: 0 };

/** Market structure (HH/HL vs LH/LL) over the configured timeframes (seed 003). */
export const structure: SignalFn<SignalParams['structure']> = (s, _prev, p) => {
  let sum = 0;
  const parts: string[] = [];
  for (const t of p.timeframes) {
    const st = s.tf[t];
    if (!st) return na(`needs tf.${t}`);
    sum += STRUCT[st.structure];
    parts.push(`${t} ${st.structure}`);
  }
  return vote(sign(sum), Math.abs(sum) / p.timeframes.length, parts.join(', '));
};

/** Momentum (impulse up/down, scored) over the configured timeframes (seed 003). */
export const momentum: SignalFn<SignalParams['momentum']> = (s, _prev, p) => {
  let sum = 0;
  const parts: string[] = [];
  for (const t of p.timeframes) {
    const st = s.tf[t];
    if (!st) return na(`needs tf.${t}`);
    sum += MOM[st.momentum] * clamp01(Math.abs(st.momentumScore));
    parts.push(`${t} ${st.momentum} ${f(st.momentumScore, 2)}`);
  }
  return sum === 0 ? none(parts.join(', ')) : vote(sign(sum), Math.abs(sum) / p.timeframes.length, parts.join(', '));
};
