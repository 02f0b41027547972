// Average directional index with +DI/−DI (Wilder), O(1) per update; DI and ADX on a 0–100 scale.
// Guarantees +DI/−DI null until `period` bars were seen (the first bar counts with zero movement), ADX null
// until `period` DX values were smoothed — the conventions of trading-signals' ADX.
import { Atr } from './atr.js';
import { Wilder } from './wilder.js';

export interface AdxValue {
  adx: number | null;
  plusDi: number;
  minusDi: number;
}

export class Adx {
  private prevHigh: number | null = null;
  private prevLow = 0;
  readonly atr: Atr;
  readonly up: Wilder;
  readonly down: Wilder;
  readonly dx: Wilder;
  value: AdxValue | null = null;

  constructor(readonly period: number) {
    this.atr = new Atr(period);
    this.up = new Wilder(period);
    this.down = new Wilder(period);
    this.dx = new Wilder(period);
  }

  update(high: number, low: number, close: number): AdxValue | null {
    let pdm = 0;
    let mdm = 0;
    if (this.prevHigh !== null) {
      const hh = high - this.prevHigh;
      const ll = this.prevLow - low;
      pdm = hh < 0 || hh < ll ? 0 : hh;
      mdm = ll < 0 || ll < hh ? 0 : ll;
    }
    this.prevHigh = high;
    this.prevLow = low;
    const atr = this.atr.update(high, low, close);
    const up = this.up.update(pdm);
    const down = this.down.update(mdm);
    if (up === null || down === null || atr === null) return null;
    const pdi = up / atr;
    const mdi = down / atr;
    const sum = pdi + mdi;
    const dx = sum === 0 ? 0 : (Math.abs(pdi - mdi) / sum) * 100;
    const adx = this.dx.update(dx);
    this.value = { adx, plusDi: pdi * 100, minusDi: mdi * 100 };
    return this.value;
  }
}
