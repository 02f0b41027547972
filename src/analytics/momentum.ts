// Momentum per timeframe: score = tanh(r/2) with r = (close − close n bars ago) / (ATR·√n), and a state —
// IMPULSE_UP/DOWN (|score| ≥ impulse, not fading), FADING (fell below fadeRatio × its recent peak), CHOPPY.
// Guarantees null until n+1 closes and a warm ATR; a pure function of the last n bars (no look-ahead).
import type { Momentum } from '../protocol/index.js';
import { Ring } from './indicators/ring.js';

export interface MomentumParams {
  /** Bars in the return. */
  lookback: number;
  /** |score| at or above which the move is an impulse. */
  impulse: number;
  /** An impulse fades when |score| drops below this fraction of its peak over the lookback. */
  fadeRatio: number;
}

export interface MomentumValue {
  state: Momentum;
  score: number;
}

export class MomentumTracker {
  readonly closes: Ring;
  readonly scores: Ring;
  value: MomentumValue | null = null;

  constructor(readonly p: MomentumParams) {
    this.closes = new Ring(p.lookback + 1);
    this.scores = new Ring(p.lookback);
  }

  update(close: number, atr: number | null): MomentumValue | null {
    this.closes.push(close);
    if (!this.closes.full || atr === null || !(atr > 0)) return (this.value = null);
    const r = (close - this.closes.at(0)) / (atr * Math.sqrt(this.p.lookback));
    const score = Math.tanh(r / 2);
    // Peak |score| of the same sign over the recent scores (bounded, lookback-sized scan).
    let peak = 0;
    for (let i = 0; i < this.scores.size; i++) {
      const s = this.scores.at(i);
      if (Math.sign(s) === Math.sign(score) && Math.abs(s) > peak) peak = Math.abs(s);
    }
    this.scores.push(score);
    const a = Math.abs(score);
    let state: Momentum = 'CHOPPY';
    if (peak >= this.p.impulse && a < this.p.fadeRatio * peak) state = 'FADING';
    else if (a >= this.p.impulse) state = score > 0 ? 'IMPULSE_UP' : 'IMPULSE_DOWN';
    this.value = { state, score };
    return this.value;
  }
}
