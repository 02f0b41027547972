// Relative strength index with Wilder's smoothing, O(1) per update.
// Guarantees null until `period` changes were seen; 100 when the average loss is zero.
import { Wilder } from './wilder.js';

export class Rsi {
  private prev: number | null = null;
  readonly gain: Wilder;
  readonly loss: Wilder;
  value: number | null = null;

  constructor(readonly period: number) {
    this.gain = new Wilder(period);
    this.loss = new Wilder(period);
  }

  update(close: number): number | null {
    if (this.prev === null) {
      this.prev = close;
      return null;
    }
    const change = close - this.prev;
    this.prev = close;
    const g = this.gain.update(change > 0 ? change : 0);
    const l = this.loss.update(change < 0 ? -change : 0);
    if (g === null || l === null) return null;
    this.value = l === 0 ? 100 : 100 - 100 / (1 + g / l);
    return this.value;
  }
}
