// Fixed-capacity ring buffer of float64 values (oldest evicted first), the window behind rolling indicators.
// Guarantees O(1) push and random access; holds only plain data so it survives structured cloning.
export class Ring {
  buf: Float64Array;
  head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer (got ${capacity})`);
    this.buf = new Float64Array(capacity);
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  /** Appends x; returns the value it evicted, or NaN while the ring was not full. */
  push(x: number): number {
    const i = (this.head + this.size) % this.capacity;
    if (this.size < this.capacity) {
      this.buf[i] = x;
      this.size++;
      return NaN;
    }
    const old = this.buf[this.head]!;
    this.buf[this.head] = x;
    this.head = (this.head + 1) % this.capacity;
    return old;
  }

  /** The i-th oldest value (0 = oldest). */
  at(i: number): number {
    return this.buf[(this.head + i) % this.capacity]!;
  }

  /** The k-th newest value (0 = newest). */
  back(k = 0): number {
    return this.buf[(this.head + this.size - 1 - k) % this.capacity]!;
  }
}
