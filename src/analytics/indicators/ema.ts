// Exponential moving average, O(1) per update, k = 2/(period+1).
// Guarantees null until `period` values were seen. Seed `sma` (default): the first value is the SMA of the
// first `period` inputs (technicalindicators, TA-Lib); seed `first`: starts at the first input (trading-signals).
export type EmaSeed = 'sma' | 'first';

export class Ema {
  private readonly k: number;
  n = 0;
  private sum = 0;
  private acc: number | null = null;
  value: number | null = null;

  constructor(readonly period: number, readonly seed: EmaSeed = 'sma') {
    this.k = 2 / (period + 1);
  }

  update(x: number): number | null {
    this.n++;
    if (this.seed === 'first') {
      this.acc = this.acc === null ? x : x * this.k + this.acc * (1 - this.k);
      if (this.n >= this.period) this.value = this.acc;
      return this.value;
    }
    if (this.value === null) {
      this.sum += x;
      if (this.n === this.period) this.value = this.sum / this.period;
      return this.value;
    }
    this.value = (x - this.value) * this.k + this.value;
    return this.value;
  }
}
