// Rolling z-score of a value against the mean and population standard deviation of its last `period`
// values (itself included), O(1) per update. Guarantees null until warm and when the window is flat.
import { WindowStats } from './window-stats.js';

export class ZScore {
  readonly stats: WindowStats;
  value: number | null = null;

  constructor(readonly period: number) {
    this.stats = new WindowStats(period);
  }

  update(x: number): number | null {
    this.stats.update(x);
    if (!this.stats.full) return (this.value = null);
    const sd = this.stats.std;
    this.value = sd > 0 ? this.stats.deviation(x) / sd : null;
    return this.value;
  }
}
