// Market structure from confirmed swing highs and lows (fractals of `k` bars each side): HH/HL/LH/LL.
// Guarantees a swing is confirmed only after k later bars (no look-ahead) and UNKNOWN until two of each.
import type { Structure } from '../protocol/index.js';
import { Ring } from './indicators/ring.js';

export class SwingStructure {
  readonly highs: Ring;
  readonly lows: Ring;
  /** Last two confirmed swing highs/lows, newest last (NaN = none yet). */
  swingHighs = [Number.NaN, Number.NaN];
  swingLows = [Number.NaN, Number.NaN];

  constructor(readonly k: number) {
    this.highs = new Ring(2 * k + 1);
    this.lows = new Ring(2 * k + 1);
  }

  update(high: number, low: number): void {
    this.highs.push(high);
    this.lows.push(low);
    if (!this.highs.full) return;
    const k = this.k;
    const h = this.highs.at(k);
    const l = this.lows.at(k);
    let isHigh = true;
    let isLow = true;
    for (let i = 0; i < 2 * k + 1; i++) {
      if (i === k) continue;
      // Strict on the left, non-strict on the right: a flat top counts once, at its first bar.
      const hi = this.highs.at(i);
      const lo = this.lows.at(i);
      if (i < k ? hi >= h : hi > h) isHigh = false;
      if (i < k ? lo <= l : lo < l) isLow = false;
    }
    if (isHigh) this.swingHighs = [this.swingHighs[1]!, h];
    if (isLow) this.swingLows = [this.swingLows[1]!, l];
  }

  get lastHigh(): number | null {
    return Number.isNaN(this.swingHighs[1]!) ? null : this.swingHighs[1]!;
  }

  get lastLow(): number | null {
    return Number.isNaN(this.swingLows[1]!) ? null : this.swingLows[1]!;
  }

  get structure(): Structure {
    const [h0, h1] = this.swingHighs as [number, number];
    const [l0, l1] = this.swingLows as [number, number];
    if ([h0, h1, l0, l1].some(Number.isNaN)) return 'UNKNOWN';
    const hh = h1 > h0;
    const hl = l1 > l0;
    return hh && hl ? 'HH_HL' : !hh && !hl ? 'LH_LL' : hh ? 'HH_LL' : 'LH_HL';
  }
}
