// A rolling time window of per-bucket sums (e.g. buy/sell volume over the last 5 minutes): O(1) per
// observation, O(buckets) per read. Guarantees observations older than the window are ignored and a bucket
// is reused only after its whole period left the window.
export class TimeBuckets {
  readonly bucketMs: number;
  readonly ids: Float64Array;
  readonly sums: Float64Array;

  constructor(readonly windowMs: number, readonly buckets: number, readonly fields: number) {
    this.bucketMs = windowMs / buckets;
    this.ids = new Float64Array(buckets).fill(-1);
    this.sums = new Float64Array(buckets * fields);
  }

  /** Adds `values[f]` to field f of the bucket holding `ts`. */
  add(ts: number, values: ArrayLike<number>): void {
    const id = Math.floor(ts / this.bucketMs);
    const slot = id % this.buckets;
    const cur = this.ids[slot]!;
    if (id < cur) return; // older than the window the slot now covers
    const base = slot * this.fields;
    if (id > cur) {
      this.ids[slot] = id;
      this.sums.fill(0, base, base + this.fields);
    }
    for (let f = 0; f < this.fields; f++) this.sums[base + f]! += values[f]!;
  }

  /** Sums over the window ending at `end` (buckets whose start is within (end − window, end]); null if none. */
  total(end: number, out: Float64Array): Float64Array | null {
    out.fill(0);
    const last = Math.floor(end / this.bucketMs);
    let any = false;
    for (let s = 0; s < this.buckets; s++) {
      const id = this.ids[s]!;
      if (id > last - this.buckets && id <= last) {
        any = true;
        const base = s * this.fields;
        for (let f = 0; f < this.fields; f++) out[f]! += this.sums[base + f]!;
      }
    }
    return any ? out : null;
  }
}
