// The standard normal CDF Φ(x) to ~1e-14 absolute: erf by its Taylor series near 0, erfc by a continued
// fraction in the tails. Guarantees Φ is monotone-correct in [0, 1], Φ(0) = 0.5 exactly.
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

function erfSeries(x: number): number {
  // erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

function erfcFraction(x: number): number {
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), x > 0 (modified Lentz).
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function normCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const z = x / Math.SQRT2;
  if (Math.abs(z) < 2.5) return 0.5 * (1 + erfSeries(z));
  const tail = 0.5 * erfcFraction(Math.abs(z));
  return z > 0 ? 1 - tail : tail;
}
