// Out-of-sample scores of a probability model: accuracy (p ≥ 0.5 predicts up), log-loss, base rate.
// Pure; log-loss clips probabilities to [1e-15, 1 − 1e-15] so one confident miss is finite.
import { predict, type Model } from './model.js';

export interface Scores {
  n: number;
  accuracy: number;
  logLoss: number;
  /** Share of rows labelled up. */
  baseRate: number;
}

export function scores(p: ArrayLike<number>, y: ArrayLike<number>): Scores {
  const n = y.length;
  if (!n) return { n: 0, accuracy: Number.NaN, logLoss: Number.NaN, baseRate: Number.NaN };
  let right = 0;
  let ll = 0;
  let up = 0;
  for (let i = 0; i < n; i++) {
    const pi = Math.min(1 - 1e-15, Math.max(1e-15, p[i]!));
    const yi = y[i]!;
    if ((pi >= 0.5 ? 1 : 0) === yi) right++;
    ll -= yi ? Math.log(pi) : Math.log(1 - pi);
    up += yi;
  }
  return { n, accuracy: right / n, logLoss: ll / n, baseRate: up / n };
}

export const modelScores = (m: Model, x: ArrayLike<number>[], y: ArrayLike<number>): Scores => scores(x.map((r) => predict(m, r)), y);
