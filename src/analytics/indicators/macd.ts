// MACD: EMA(fast) − EMA(slow), its EMA signal line and the histogram, O(1) per update (SMA-seeded EMAs).
// Guarantees macd is null until the slow EMA is warm, signal/histogram until `signal` MACD values were seen.
import { Ema } from './ema.js';

export interface MacdValue {
  macd: number;
  signal: number | null;
  hist: number | null;
}

export class Macd {
  readonly fast: Ema;
  readonly slow: Ema;
  readonly signal: Ema;
  value: MacdValue | null = null;

  constructor(fast: number, slow: number, signal: number) {
    this.fast = new Ema(fast);
    this.slow = new Ema(slow);
    this.signal = new Ema(signal);
  }

  update(close: number): MacdValue | null {
    const f = this.fast.update(close);
    const s = this.slow.update(close);
    if (f === null || s === null) return null;
    const macd = f - s;
    const sig = this.signal.update(macd);
    this.value = { macd, signal: sig, hist: sig === null ? null : macd - sig };
    return this.value;
  }
}
