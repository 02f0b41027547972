// Probability of Backtest Overfitting by Combinatorially Symmetric Cross-Validation (Bailey, Borwein, López de Prado
// & Zhu 2015): how often the in-sample best of the trials ranks in the bottom half out of sample. Pure and deterministic.

export interface PboResult {
  /** Share of the C(S, S/2) splits whose in-sample best ranks at or below the out-of-sample median (logit λ ≤ 0). */
  pbo: number;
  /** Number of splits: C(S, S/2). */
  combinations: number;
  partitions: number;
  /** Observations per partition (the oldest T mod S are dropped so every partition is the same size). */
  blockSize: number;
  trials: number;
  /** λ = ln(ω / (1 − ω)) of each split, ω the relative out-of-sample rank of the in-sample best. */
  logits: number[];
  /** Share of splits where the in-sample best loses out of sample (its OOS Sharpe < 0). */
  probOosLoss: number;
  /** Least-squares slope of OOS on IS Sharpe of the chosen trial across splits (performance degradation; < 0 is overfit). */
  degradationSlope: number | null;
}

const sharpe = (sum: number, sumsq: number, n: number): number => {
  if (n < 2) return 0;
  const mean = sum / n;
  const v = (sumsq - n * mean * mean) / (n - 1);
  const sd = v > 0 ? Math.sqrt(v) : 0;
  // Ties at zero variance: a constant return ranks by its sign (a flat trial is 0).
  return sd > 1e-15 ? mean / sd : mean > 0 ? Infinity : mean < 0 ? -Infinity : 0;
};

/**
 * CSCV on a T × N performance matrix given as N columns of T per-period returns (all the same length), with S even
 * partitions. The performance measure is the per-period Sharpe ratio, as in the paper.
 */
export function cscvPbo(columns: ArrayLike<number>[], partitions: number): PboResult {
  const N = columns.length;
  const S = partitions;
  if (S < 2 || S % 2 || S > 24) throw new RangeError(`CSCV needs an even number of partitions between 2 and 24, got ${S}`);
  if (N < 2) throw new RangeError(`CSCV needs at least 2 trials, got ${N}`);
  const T = columns[0]!.length;
  if (columns.some((c) => c.length !== T)) throw new RangeError('CSCV: every trial needs the same number of observations');
  const size = Math.floor(T / S);
  if (size < 2) throw new RangeError(`CSCV: ${T} observations cannot fill ${S} partitions of at least 2`);
  const skip = T - size * S;
  // Per trial and partition: Σx and Σx².
  const sums = new Float64Array(N * S);
  const sqs = new Float64Array(N * S);
  for (let n = 0; n < N; n++) {
    const col = columns[n]!;
    for (let s = 0; s < S; s++) {
      let a = 0;
      let b = 0;
      for (let t = skip + s * size, e = t + size; t < e; t++) {
        const x = col[t]!;
        a += x;
        b += x * x;
      }
      sums[n * S + s] = a;
      sqs[n * S + s] = b;
    }
  }
  const half = S / 2;
  const logits: number[] = [];
  let losses = 0;
  const isBest: number[] = [];
  const oosBest: number[] = [];
  const oos = new Float64Array(N);
  const full = (1 << S) - 1;
  for (let mask = 0; mask <= full; mask++) {
    let bits = 0;
    for (let m = mask; m; m &= m - 1) bits++;
    if (bits !== half) continue;
    let best = -1;
    let bestIs = -Infinity;
    for (let n = 0; n < N; n++) {
      let ia = 0;
      let ib = 0;
      let oa = 0;
      let ob = 0;
      for (let s = 0; s < S; s++) {
        if (mask & (1 << s)) {
          ia += sums[n * S + s]!;
          ib += sqs[n * S + s]!;
        } else {
          oa += sums[n * S + s]!;
          ob += sqs[n * S + s]!;
        }
      }
      const is = sharpe(ia, ib, half * size);
      oos[n] = sharpe(oa, ob, half * size);
      if (is > bestIs || best < 0) {
        bestIs = is;
        best = n;
      }
    }
    const o = oos[best]!;
    let below = 0;
    let equal = 0;
    for (let n = 0; n < N; n++) {
      if (oos[n]! < o) below++;
      else if (oos[n] === o) equal++;
    }
    // Rank 1..N from the worst, ties at their average rank; ω in (0, 1).
    const rank = below + (equal + 1) / 2;
    const w = rank / (N + 1);
    logits.push(Math.log(w / (1 - w)));
    if (o < 0) losses++;
    if (Number.isFinite(bestIs) && Number.isFinite(o)) {
      isBest.push(bestIs);
      oosBest.push(o);
    }
  }
  const C = logits.length;
  let slope: number | null = null;
  if (isBest.length > 1) {
    const mx = isBest.reduce((a, x) => a + x, 0) / isBest.length;
    const my = oosBest.reduce((a, x) => a + x, 0) / oosBest.length;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < isBest.length; i++) {
      sxy += (isBest[i]! - mx) * (oosBest[i]! - my);
      sxx += (isBest[i]! - mx) ** 2;
    }
    slope = sxx > 0 ? sxy / sxx : null;
  }
  return { pbo: logits.filter((l) => l <= 0).length / C, combinations: C, partitions: S, blockSize: size, trials: N, logits, probOosLoss: losses / C, degradationSlope: slope };
}
