// Exponential moving average, O(1) per update, seeded with the SMA of the first `period` values.
// Guarantees null until `period` values were seen (the seed matches common reference libraries).
export class Ema {
  private readonly k: number;
  private n = 0;
  private sum = 0;
  value: number | null = null;

  constructor(readonly period: number) {
    this.k = 2 / (period + 1);
  }

  update(x: number): number | null {
    if (this.value === null) {
      this.sum += x;
      if (++this.n === this.period) this.value = this.sum / this.period;
      return this.value;
    }
    this.value = (x - this.value) * this.k + this.value;
    return this.value;
  }
}
