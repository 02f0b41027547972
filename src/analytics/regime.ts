// Regime classifier — TRENDING_UP, TRENDING_DOWN, RANGING, VOLATILE — on one timeframe's closed candles.
// Guarantees hysteresis: entering a state needs stronger evidence than staying in it (enter/exit thresholds)
// and a new label must be the candidate for `confirmBars` consecutive bars; confidence is in [0, 1].
import type { Regime } from '../protocol/index.js';

export interface RegimeParams {
  adxEnter: number;
  adxExit: number;
  /** ATR / its average at or above which the market is volatile (enter) / stays volatile (exit). */
  volEnter: number;
  volExit: number;
  /** |EMA spread| in ATRs a trend needs (in the trend's direction). */
  minSpread: number;
  confirmBars: number;
}

export interface RegimeInputs {
  adx: number;
  plusDi: number;
  minusDi: number;
  /** ATR over its average. */
  volRatio: number;
  /** (EMA fast − EMA slow) / ATR. */
  spread: number;
}

export interface RegimeValue {
  label: Regime;
  confidence: number;
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

export class RegimeClassifier {
  label: Regime | null = null;
  pending: Regime | null = null;
  pendingBars = 0;
  confidence = 0;
  /** Close time of the bar that confirmed the current label. */
  since = 0;

  constructor(readonly p: RegimeParams) {}

  /** The label this bar's evidence points to, given the current label (hysteresis on thresholds). */
  candidate(x: RegimeInputs): Regime {
    const p = this.p;
    const up = x.plusDi > x.minusDi;
    const dir: Regime = up ? 'TRENDING_UP' : 'TRENDING_DOWN';
    const adxMin = this.label === dir ? p.adxExit : p.adxEnter;
    const spreadOk = up ? x.spread >= p.minSpread : x.spread <= -p.minSpread;
    if (x.adx >= adxMin && spreadOk) return dir;
    const volMin = this.label === 'VOLATILE' ? p.volExit : p.volEnter;
    if (x.volRatio >= volMin) return 'VOLATILE';
    return 'RANGING';
  }

  private strength(label: Regime, x: RegimeInputs): number {
    const p = this.p;
    switch (label) {
      case 'TRENDING_UP':
      case 'TRENDING_DOWN': {
        const di = Math.abs(x.plusDi - x.minusDi) / Math.max(1e-12, x.plusDi + x.minusDi);
        return clamp01(0.5 * clamp01((x.adx - p.adxExit) / (2 * p.adxEnter - p.adxExit)) + 0.5 * di);
      }
      case 'VOLATILE':
        return clamp01((x.volRatio - p.volExit) / (2 * p.volEnter - p.volExit) + 0.25);
      case 'RANGING':
        return clamp01(0.5 * clamp01((p.adxEnter - x.adx) / p.adxEnter) + 0.5 * clamp01((p.volEnter - x.volRatio) / p.volEnter) + 0.25);
    }
  }

  update(x: RegimeInputs, ts: number): RegimeValue {
    const cand = this.candidate(x);
    if (this.label === null) {
      this.label = cand;
      this.since = ts;
    } else if (cand === this.label) {
      this.pending = null;
      this.pendingBars = 0;
    } else {
      this.pendingBars = cand === this.pending ? this.pendingBars + 1 : 1;
      this.pending = cand;
      if (this.pendingBars >= this.p.confirmBars) {
        this.label = cand;
        this.since = ts;
        this.pending = null;
        this.pendingBars = 0;
      }
    }
    // While another label is pending, confidence in the current one is discounted.
    const discount = this.pending ? 1 - this.pendingBars / (this.p.confirmBars + 1) : 1;
    this.confidence = this.strength(this.label, x) * discount;
    return { label: this.label, confidence: this.confidence };
  }

  get value(): RegimeValue | null {
    return this.label === null ? null : { label: this.label, confidence: this.confidence };
  }
}
