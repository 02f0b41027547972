// Out-of-sample scores of a probability model: accuracy and balanced accuracy (p ≥ 0.5 predicts up), log-loss,
// base rate. Pure. Balanced accuracy is what "better than chance" means: a model that learned only the base rate
// (always up, or always down) scores exactly 0.5 on it, whatever the share of up rows.
import { predict, type Model } from './model.js';

export interface Scores {
  n: number;
  accuracy: number;
  /** (share of up rows called up + share of down rows called down) / 2; a class absent from the rows counts 0.5. */
  balancedAccuracy: number;
  logLoss: number;
  /** Share of rows labelled up. */
  baseRate: number;
}

export function scores(p: ArrayLike<number>, y: ArrayLike<number>): Scores {
  const n = y.length;
  if (!n) return { n: 0, accuracy: Number.NaN, balancedAccuracy: Number.NaN, logLoss: Number.NaN, baseRate: Number.NaN };
  let tp = 0;
  let tn = 0;
  let up = 0;
  let ll = 0;
  for (let i = 0; i < n; i++) {
    // Log-loss clips to [1e-15, 1 − 1e-15] so one confident miss stays finite.
    const pi = Math.min(1 - 1e-15, Math.max(1e-15, p[i]!));
    const yi = y[i]!;
    const call = pi >= 0.5 ? 1 : 0;
    if (yi) {
      up++;
      if (call) tp++;
    } else if (!call) tn++;
    ll -= yi ? Math.log(pi) : Math.log(1 - pi);
  }
  const down = n - up;
  const tpr = up ? tp / up : 0.5;
  const tnr = down ? tn / down : 0.5;
  return { n, accuracy: (tp + tn) / n, balancedAccuracy: (tpr + tnr) / 2, logLoss: ll / n, baseRate: up / n };
}

export const modelScores = (m: Model, x: ArrayLike<number>[], y: ArrayLike<number>): Scores => scores(x.map((r) => predict(m, r)), y);

/** Scores of several test sets together: counts pooled; balanced accuracy is the row-weighted mean of each set's
 *  (within a set a base-rate guess scores 0.5, so guessing each window's trend earns nothing). */
export function pooled(parts: Scores[]): Scores {
  const n = parts.reduce((a, s) => a + s.n, 0);
  if (!n) return { n: 0, accuracy: Number.NaN, balancedAccuracy: Number.NaN, logLoss: Number.NaN, baseRate: Number.NaN };
  const w = (f: (s: Scores) => number) => parts.reduce((a, s) => a + (s.n ? f(s) * s.n : 0), 0) / n;
  return { n, accuracy: w((s) => s.accuracy), balancedAccuracy: w((s) => s.balancedAccuracy), logLoss: w((s) => s.logLoss), baseRate: w((s) => s.baseRate) };
}
