// VWAP of the typical price with ±k·σ bands (σ = volume-weighted standard deviation), O(1) per update:
// session-anchored (resets when the anchor changes, e.g. each UTC day) and rolling over `period` bars.
// Guarantees null while the accumulated volume is zero; sums are double-double, so bands do not drift.
import { typicalPrice, type Bar } from './bar.js';
import { ddScatter, DdSum } from './dd.js';
import { Ring } from './ring.js';

export interface VwapValue {
  vwap: number;
  std: number;
  upper: number;
  lower: number;
}

function value(w: DdSum, s: DdSum, q: DdSum, mult: number): VwapValue | null {
  const wv = w.value;
  if (!(wv > 0)) return null;
  const vwap = s.value / wv;
  const std = Math.sqrt(ddScatter(w, s, q)) / wv;
  return { vwap, std, upper: vwap + mult * std, lower: vwap - mult * std };
}

export class SessionVwap {
  anchor = Number.NaN;
  readonly w = new DdSum();
  readonly s = new DdSum();
  readonly q = new DdSum();
  value: VwapValue | null = null;

  constructor(readonly mult: number) {}

  /** `anchor` identifies the session (e.g. the UTC day's start); a new anchor starts a new VWAP. */
  update(bar: Bar, anchor: number): VwapValue | null {
    if (anchor !== this.anchor) {
      this.anchor = anchor;
      this.w.reset();
      this.s.reset();
      this.q.reset();
      this.value = null;
    }
    const tp = typicalPrice(bar);
    const v = bar.volume;
    if (v > 0) {
      this.w.add(v);
      this.s.addProd(v, tp);
      this.q.addTriple(v, tp, tp);
      this.value = value(this.w, this.s, this.q, this.mult);
    }
    return this.value;
  }
}

export class RollingVwap {
  readonly tp: Ring;
  readonly vol: Ring;
  readonly w = new DdSum();
  readonly s = new DdSum();
  readonly q = new DdSum();
  value: VwapValue | null = null;

  constructor(readonly period: number, readonly mult: number) {
    this.tp = new Ring(period);
    this.vol = new Ring(period);
  }

  update(bar: Bar): VwapValue | null {
    const tp = typicalPrice(bar);
    const v = bar.volume;
    const otp = this.tp.push(tp);
    const ov = this.vol.push(v);
    this.w.add(v);
    this.s.addProd(v, tp);
    this.q.addTriple(v, tp, tp);
    if (ov === ov) {
      this.w.add(-ov);
      this.s.addProd(-ov, otp);
      this.q.addTriple(-ov, otp, otp);
    }
    this.value = this.tp.full ? value(this.w, this.s, this.q, this.mult) : null;
    return this.value;
  }
}
