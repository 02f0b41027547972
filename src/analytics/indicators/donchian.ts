// Donchian channel: highest high and lowest low of the last `period` bars (current bar included), with
// monotonic deques: amortised O(1) per update. Guarantees null until `period` bars were seen.
export interface DonchianValue {
  upper: number;
  lower: number;
  middle: number;
}

/** Sliding-window extremum over the last `period` values (max when `max`, else min). */
export class MonoDeque {
  /** Indices and values of candidates, kept in preallocated rings. */
  readonly idx: Float64Array;
  readonly val: Float64Array;
  head = 0;
  len = 0;
  count = 0;

  constructor(readonly period: number, readonly max: boolean) {
    this.idx = new Float64Array(period + 1);
    this.val = new Float64Array(period + 1);
  }

  update(x: number): number {
    const cap = this.idx.length;
    const i = this.count++;
    // Drop candidates that x dominates, from the back.
    while (this.len > 0) {
      const b = (this.head + this.len - 1) % cap;
      const v = this.val[b]!;
      if (this.max ? v <= x : v >= x) this.len--;
      else break;
    }
    const t = (this.head + this.len) % cap;
    this.idx[t] = i;
    this.val[t] = x;
    this.len++;
    // Drop the front once it left the window.
    while (this.idx[this.head]! <= i - this.period) {
      this.head = (this.head + 1) % cap;
      this.len--;
    }
    return this.val[this.head]!;
  }
}

export class Donchian {
  readonly hi: MonoDeque;
  readonly lo: MonoDeque;
  n = 0;
  value: DonchianValue | null = null;

  constructor(readonly period: number) {
    this.hi = new MonoDeque(period, true);
    this.lo = new MonoDeque(period, false);
  }

  update(high: number, low: number): DonchianValue | null {
    const upper = this.hi.update(high);
    const lower = this.lo.update(low);
    if (++this.n < this.period) return null;
    this.value = { upper, lower, middle: (upper + lower) / 2 };
    return this.value;
  }
}
