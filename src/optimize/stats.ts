// Statistics of the overfitting guard: the normal CDF and quantile, sample moments, the Probabilistic and the Deflated
// Sharpe Ratio (Bailey & López de Prado 2012, 2014). Pure functions; Sharpe ratios here are per observation (not annualised).

const EULER_GAMMA = 0.5772156649015329;

/** erf with |error| < 1.2e-7 (Numerical Recipes' erfc Chebyshev fit). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Φ. */
export const normCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** Standard normal quantile Φ⁻¹ (Acklam's rational approximation, relative error < 1.2e-9), p in (0, 1). */
export function normPpf(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normPpf: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normPpf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

export interface Moments {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1). */
  sd: number;
  /** Sample skewness (population moments, as the papers use: m3 / m2^1.5). */
  skew: number;
  /** Kurtosis, not excess (normal = 3): m4 / m2². */
  kurt: number;
}

export function moments(xs: ArrayLike<number>): Moments {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i]!;
  const mean = n ? s / n : 0;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
  m2 /= n || 1;
  m3 /= n || 1;
  m4 /= n || 1;
  return { n, mean, sd, skew: m2 > 0 ? m3 / m2 ** 1.5 : 0, kurt: m2 > 0 ? m4 / (m2 * m2) : 3 };
}

/** Per-observation Sharpe ratio mean / sd (null when sd is 0 or fewer than 2 observations). */
export function sharpeOf(xs: ArrayLike<number>): number | null {
  const m = moments(xs);
  return m.n > 1 && m.sd > 0 ? m.mean / m.sd : null;
}

/**
 * Probabilistic Sharpe Ratio: the probability that the true Sharpe exceeds `benchmark`, given the observed `sr` over `n`
 * observations with that skewness and kurtosis (Bailey & López de Prado 2012, eq. for PSR).
 */
export function probabilisticSharpe(sr: number, benchmark: number, n: number, skew: number, kurt: number): number {
  const v = 1 - skew * sr + ((kurt - 1) / 4) * sr * sr;
  if (n < 2 || !(v > 0)) return sr > benchmark ? 1 : 0;
  return normCdf(((sr - benchmark) * Math.sqrt(n - 1)) / Math.sqrt(v));
}

/**
 * The Sharpe ratio expected of the best of `trials` independent trials of no skill whose Sharpes vary with `variance`
 * (the False Strategy theorem): √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))).
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials < 2 || !(variance > 0)) return 0;
  return Math.sqrt(variance) * ((1 - EULER_GAMMA) * normPpf(1 - 1 / trials) + EULER_GAMMA * normPpf(1 - 1 / (trials * Math.E)));
}

export interface DeflatedSharpe {
  /** The benchmark SR₀: the expected maximum Sharpe of the trials under no skill. */
  sr0: number;
  /** PSR against SR₀: the probability the chosen config's true Sharpe beats the luck of the search. */
  dsr: number;
}

/** Deflated Sharpe Ratio (Bailey & López de Prado 2014): PSR(SR₀) with SR₀ = expectedMaxSharpe(trials, variance). */
export function deflatedSharpe(o: { sr: number; n: number; skew: number; kurt: number; trials: number; variance: number }): DeflatedSharpe {
  const sr0 = expectedMaxSharpe(o.trials, o.variance);
  return { sr0, dsr: probabilisticSharpe(o.sr, sr0, o.n, o.skew, o.kurt) };
}
