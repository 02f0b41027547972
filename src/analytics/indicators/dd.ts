// Double-double accumulators (error-free TwoSum/TwoProduct): rolling sums that add and remove values
// for months without drift. Guarantees ~106-bit sums, so windowed variances stay exact in quiet markets.
const SPLIT = 134217729; // 2^27 + 1 (Dekker/Veltkamp split)

/** hi + lo = a * b exactly (Dekker). */
export function twoProd(a: number, b: number, out: { hi: number; lo: number }): void {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  out.hi = p;
  out.lo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** A double-double running sum. */
export class DdSum {
  hi = 0;
  lo = 0;

  /** Adds x (negative x removes it). */
  add(x: number): void {
    const s = this.hi + x;
    const bb = s - this.hi;
    const err = (this.hi - (s - bb)) + (x - bb);
    const lo = this.lo + err;
    this.hi = s + lo;
    this.lo = lo - (this.hi - s);
  }

  /** Adds the exact product a*b. */
  addProd(a: number, b: number): void {
    const p = a * b;
    let t = SPLIT * a;
    const ah = t - (t - a);
    const al = a - ah;
    t = SPLIT * b;
    const bh = t - (t - b);
    const bl = b - bh;
    const e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    this.add(p);
    this.add(e);
  }

  /** Adds a*b*c (the rounding of the small cross term is below the precision kept). */
  addTriple(a: number, b: number, c: number): void {
    const ab = a * b;
    let t = SPLIT * a;
    const ah = t - (t - a);
    const al = a - ah;
    t = SPLIT * b;
    const bh = t - (t - b);
    const bl = b - bh;
    const e = ((ah * bh - ab) + ah * bl + al * bh) + al * bl;
    this.addProd(ab, c);
    this.add(e * c);
  }

  get value(): number {
    return this.hi + this.lo;
  }

  reset(): void {
    this.hi = 0;
    this.lo = 0;
  }
}

const p = { hi: 0, lo: 0 };
const acc = new DdSum();

/**
 * W·Q − S² in double-double, where W = Σw, S = Σw·x, Q = Σw·x² (w = 1 for plain windows): W² × the
 * (weighted) population variance. Never negative.
 */
export function ddScatter(w: DdSum | number, s: DdSum, q: DdSum): number {
  const wh = typeof w === 'number' ? w : w.hi;
  const wl = typeof w === 'number' ? 0 : w.lo;
  acc.reset();
  twoProd(wh, q.hi, p);
  acc.add(p.hi);
  acc.add(p.lo);
  acc.add(wh * q.lo + wl * q.hi);
  // S² = (h + l)² ≈ h² + 2hl; l² is below the precision kept.
  twoProd(s.hi, s.hi, p);
  acc.add(-p.hi);
  acc.add(-p.lo);
  acc.add(-2 * s.hi * s.lo);
  const v = acc.value;
  return v > 0 ? v : 0;
}
