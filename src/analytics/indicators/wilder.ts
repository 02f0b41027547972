// Wilder's smoothing (RMA/WSMA): the SMA of the first `period` inputs, then v += (x − v)/period. O(1).
// Guarantees null until `period` inputs were seen.
export class Wilder {
  n = 0;
  private sum = 0;
  value: number | null = null;

  constructor(readonly period: number) {}

  update(x: number): number | null {
    if (this.value === null) {
      this.sum += x;
      if (++this.n === this.period) this.value = this.sum / this.period;
      return this.value;
    }
    this.value += (x - this.value) / this.period;
    return this.value;
  }
}
