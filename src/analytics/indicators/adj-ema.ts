// Bias-adjusted EMA (pandas `ewm(adjust=True)`): the weighted mean Σ(1−α)^i·x_{t−i} / Σ(1−α)^i, α = 2/(span+1).
// Guarantees an unbiased estimate from the first value on; null until `minCount` values were seen. O(1).
export class AdjEma {
  private readonly decay: number;
  private num = 0;
  private den = 0;
  n = 0;
  value: number | null = null;

  constructor(readonly span: number, readonly minCount: number) {
    this.decay = 1 - 2 / (span + 1);
  }

  update(x: number): number | null {
    this.num = this.num * this.decay + x;
    this.den = this.den * this.decay + 1;
    this.n++;
    this.value = this.n >= this.minCount ? this.num / this.den : null;
    return this.value;
  }
}
