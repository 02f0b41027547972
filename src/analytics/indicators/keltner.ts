// Keltner channel: EMA(close) ± mult × ATR, O(1) per update, with the conventions of trading-signals'
// KeltnerChannels (EMA started at the first close, Wilder ATR). Guarantees null until both are warm.
import { Atr } from './atr.js';
import { Ema } from './ema.js';

export interface KeltnerValue {
  upper: number;
  middle: number;
  lower: number;
}

export class Keltner {
  readonly ema: Ema;
  readonly atr: Atr;
  value: KeltnerValue | null = null;

  constructor(emaPeriod: number, atrPeriod: number, readonly mult: number) {
    this.ema = new Ema(emaPeriod, 'first');
    this.atr = new Atr(atrPeriod);
  }

  update(high: number, low: number, close: number): KeltnerValue | null {
    const m = this.ema.update(close);
    const a = this.atr.update(high, low, close);
    if (m === null || a === null) return null;
    this.value = { upper: m + this.mult * a, middle: m, lower: m - this.mult * a };
    return this.value;
  }
}
