// Average true range with Wilder's smoothing, O(1) per update.
// Guarantees null until `period` true ranges were seen; the first value is their simple mean.
export class Atr {
  private prevClose: number | null = null;
  private n = 0;
  private sum = 0;
  value: number | null = null;

  constructor(readonly period: number) {}

  update(high: number, low: number, close: number): number | null {
    const tr = this.prevClose === null ? high - low : Math.max(high - low, Math.abs(high - this.prevClose), Math.abs(low - this.prevClose));
    this.prevClose = close;
    if (this.value === null) {
      this.sum += tr;
      if (++this.n === this.period) this.value = this.sum / this.period;
      return this.value;
    }
    this.value = (this.value * (this.period - 1) + tr) / this.period;
    return this.value;
  }
}
