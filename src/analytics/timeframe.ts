// State of one timeframe, updated on each of its closed candles: trend/momentum indicators, swing structure,
// momentum state and score, ATR volatility regime. Guarantees O(1) per candle (bounded scans of a few
// bars) and no state (null) until its ATR and momentum are warm.
import type { Candle, TimeframeState, Timeframe } from '../protocol/index.js';
import { AdjEma } from './indicators/adj-ema.js';
import { Adx } from './indicators/adx.js';
import { Atr } from './indicators/atr.js';
import { Ema } from './indicators/ema.js';
import { Rsi } from './indicators/rsi.js';
import { MomentumTracker, type MomentumParams } from './momentum.js';
import { SwingStructure } from './structure.js';

export interface TimeframeParams {
  emaFast: number;
  emaSlow: number;
  rsiPeriod: number;
  atrPeriod: number;
  adxPeriod: number;
  /** Bars on each side of a swing high/low. */
  swingBars: number;
  momentum: MomentumParams;
  /** ATR is compared with its own (bias-adjusted) EMA over this many bars for the volatility regime… */
  atrRegimePeriod: number;
  /** …once that average has seen this many ATR values. */
  atrRegimeMinBars: number;
  atrLowRatio: number;
  atrHighRatio: number;
}

export class TimeframeEngine {
  readonly emaFast: Ema;
  readonly emaSlow: Ema;
  readonly rsi: Rsi;
  readonly atr: Atr;
  readonly adx: Adx;
  readonly atrAvg: AdjEma;
  readonly swings: SwingStructure;
  readonly momentum: MomentumTracker;
  last: Candle | null = null;
  bars = 0;
  /** The last three closed bars, oldest first (fair value gaps, swing failures). */
  recent: Array<{ openTime: number; open: number; high: number; low: number; close: number }> = [];
  /** Swing high / low confirmed before the last bar (what a swing failure sweeps). */
  priorSwingHigh: number | null = null;
  priorSwingLow: number | null = null;

  constructor(readonly tf: Timeframe, readonly p: TimeframeParams) {
    this.emaFast = new Ema(p.emaFast);
    this.emaSlow = new Ema(p.emaSlow);
    this.rsi = new Rsi(p.rsiPeriod);
    this.atr = new Atr(p.atrPeriod);
    this.adx = new Adx(p.adxPeriod);
    this.atrAvg = new AdjEma(p.atrRegimePeriod, p.atrRegimeMinBars);
    this.swings = new SwingStructure(p.swingBars);
    this.momentum = new MomentumTracker(p.momentum);
  }

  update(c: Candle): void {
    this.last = c;
    this.bars++;
    this.emaFast.update(c.close);
    this.emaSlow.update(c.close);
    this.rsi.update(c.close);
    const atr = this.atr.update(c.high, c.low, c.close);
    this.adx.update(c.high, c.low, c.close);
    if (atr !== null) this.atrAvg.update(atr);
    this.priorSwingHigh = this.swings.lastHigh;
    this.priorSwingLow = this.swings.lastLow;
    this.swings.update(c.high, c.low);
    if (this.recent.length === 3) this.recent.shift();
    this.recent.push({ openTime: c.openTime, open: c.open, high: c.high, low: c.low, close: c.close });
    this.momentum.update(c.close, atr);
  }

  /** ATR over its own average (1 = usual volatility), null until both are warm. */
  get atrRatio(): number | null {
    const a = this.atr.value;
    const m = this.atrAvg.value;
    return a === null || m === null || !(m > 0) ? null : a / m;
  }

  /** (EMA fast − EMA slow) / ATR: trend slope in ATR units, null until warm. */
  get emaSpread(): number | null {
    const f = this.emaFast.value;
    const s = this.emaSlow.value;
    const a = this.atr.value;
    return f === null || s === null || a === null || !(a > 0) ? null : (f - s) / a;
  }

  state(): TimeframeState | null {
    const m = this.momentum.value;
    const c = this.last;
    if (!m || !c || this.atr.value === null) return null;
    const ratio = this.atrRatio;
    const adx = this.adx.value;
    return {
      close: c.close,
      structure: this.swings.structure,
      momentum: m.state,
      momentumScore: m.score,
      atr: this.atr.value,
      atrRegime: ratio === null ? null : ratio < this.p.atrLowRatio ? 'low' : ratio > this.p.atrHighRatio ? 'high' : 'normal',
      openTime: c.openTime,
      atrRatio: ratio,
      emaFast: this.emaFast.value,
      emaSlow: this.emaSlow.value,
      rsi: this.rsi.value,
      adx: adx?.adx ?? null,
      plusDi: adx?.plusDi ?? null,
      minusDi: adx?.minusDi ?? null,
      swingHigh: this.swings.lastHigh,
      swingLow: this.swings.lastLow,
      priorSwingHigh: this.priorSwingHigh,
      priorSwingLow: this.priorSwingLow,
      bars: this.recent.slice(),
    };
  }
}
