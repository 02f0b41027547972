// Relative strength index with Wilder's smoothing, O(1) per update.
// Guarantees null until `period` changes were seen; 100 when there were no losses.
export class Rsi {
  private prev: number | null = null;
  private n = 0;
  private avgGain = 0;
  private avgLoss = 0;
  value: number | null = null;

  constructor(readonly period: number) {}

  update(close: number): number | null {
    if (this.prev === null) {
      this.prev = close;
      return null;
    }
    const change = close - this.prev;
    this.prev = close;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    if (this.n < this.period) {
      this.avgGain += gain / this.period;
      this.avgLoss += loss / this.period;
      if (++this.n < this.period) return null;
    } else {
      this.avgGain = (this.avgGain * (this.period - 1) + gain) / this.period;
      this.avgLoss = (this.avgLoss * (this.period - 1) + loss) / this.period;
    }
    this.value = this.avgLoss === 0 ? 100 : 100 - 100 / (1 + this.avgGain / this.avgLoss);
    return this.value;
  }
}
