// Bollinger bands (SMA ± mult × population standard deviation) and width, O(1) per update.
// Guarantees null until `period` closes were seen; width = (upper − lower) / middle.
import { WindowStats } from './window-stats.js';

export interface BollingerValue {
  upper: number;
  middle: number;
  lower: number;
  width: number;
}

export class Bollinger {
  readonly stats: WindowStats;
  value: BollingerValue | null = null;

  constructor(readonly period: number, readonly mult: number) {
    this.stats = new WindowStats(period);
  }

  update(close: number): BollingerValue | null {
    this.stats.update(close);
    if (!this.stats.full) return null;
    const middle = this.stats.mean;
    const d = this.stats.std * this.mult;
    const upper = middle + d;
    const lower = middle - d;
    this.value = { upper, middle, lower, width: (upper - lower) / middle };
    return this.value;
  }
}
