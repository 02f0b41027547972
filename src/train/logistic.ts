// Logistic regression by Newton's method (IRLS) with an L2 penalty, on standardised features.
// Deterministic (no randomness, fixed iteration order); the standardisation is folded into the returned weights.
import type { LogisticModel } from './model.js';

export interface LogisticParams {
  /** L2 penalty on the standardised weights (not on the intercept). */
  l2: number;
  /** Newton steps at most (it stops earlier once a step moves no weight by more than 1e-10). */
  iterations: number;
}

/** Solves A·x = b (A symmetric positive definite, n×n row-major) by Gaussian elimination with partial pivoting. */
export function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]!) > Math.abs(m[p * n + c]!)) p = r;
    if (Math.abs(m[p * n + c]!) < 1e-300) throw new RangeError('singular system in logistic regression (add L2)');
    if (p !== c) {
      for (let k = 0; k < n; k++) [m[c * n + k], m[p * n + k]] = [m[p * n + k]!, m[c * n + k]!];
      [x[c], x[p]] = [x[p]!, x[c]!];
    }
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c]! / m[c * n + c]!;
      if (f === 0) continue;
      for (let k = c; k < n; k++) m[r * n + k]! -= f * m[c * n + k]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let k = r + 1; k < n; k++) s -= m[r * n + k]! * x[k]!;
    x[r] = s / m[r * n + r]!;
  }
  return x;
}

export function trainLogistic(features: string[], x: Float64Array[], y: Uint8Array, p: LogisticParams, onProgress?: (done: number, total: number) => void): LogisticModel {
  const n = x.length;
  const f = features.length;
  if (!n) throw new RangeError('no training rows');
  const mu = new Float64Array(f);
  const sd = new Float64Array(f);
  for (const row of x) for (let j = 0; j < f; j++) mu[j]! += row[j]! / n;
  for (const row of x) for (let j = 0; j < f; j++) sd[j]! += (row[j]! - mu[j]!) ** 2 / n;
  for (let j = 0; j < f; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const z = x.map((row) => Float64Array.from({ length: f + 1 }, (_, j) => (j === 0 ? 1 : (row[j - 1]! - mu[j - 1]!) / sd[j - 1]!)));
  const d = f + 1;
  const beta = new Float64Array(d);
  for (let it = 0; it < p.iterations; it++) {
    onProgress?.(it, p.iterations);
    const g = new Float64Array(d);
    const h = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const zi = z[i]!;
      let s = 0;
      for (let j = 0; j < d; j++) s += beta[j]! * zi[j]!;
      const pi = 1 / (1 + Math.exp(-s));
      const w = Math.max(pi * (1 - pi), 1e-12);
      const r = pi - y[i]!;
      for (let j = 0; j < d; j++) {
        g[j]! += r * zi[j]!;
        const wz = w * zi[j]!;
        for (let k = j; k < d; k++) h[j * d + k]! += wz * zi[k]!;
      }
    }
    for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) h[j * d + k] = h[k * d + j]!;
    for (let j = 1; j < d; j++) {
      g[j]! += p.l2 * beta[j]!;
      h[j * d + j]! += p.l2;
    }
    const step = solve(h, g, d);
    let moved = 0;
    for (let j = 0; j < d; j++) {
      beta[j]! -= step[j]!;
      moved = Math.max(moved, Math.abs(step[j]!));
    }
    if (moved < 1e-10) break;
  }
  const weights = Array.from({ length: f }, (_, j) => beta[j + 1]! / sd[j]!);
  let bias = beta[0]!;
  for (let j = 0; j < f; j++) bias -= (beta[j + 1]! * mu[j]!) / sd[j]!;
  return { kind: 'logistic', features: [...features], weights, bias };
}
