// Average true range with Wilder's smoothing, O(1) per update.
// Guarantees null until `period` true ranges were seen; the first true range is the first bar's high − low.
import { trueRange } from './bar.js';
import { Wilder } from './wilder.js';

export class Atr {
  prevClose: number | null = null;
  readonly smooth: Wilder;
  value: number | null = null;

  constructor(readonly period: number) {
    this.smooth = new Wilder(period);
  }

  update(high: number, low: number, close: number): number | null {
    const tr = trueRange(high, low, this.prevClose);
    this.prevClose = close;
    this.value = this.smooth.update(tr);
    return this.value;
  }
}
