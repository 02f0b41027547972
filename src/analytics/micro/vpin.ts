// VPIN (Easley, López de Prado, O'Hara 2012): trades → time bars → bulk volume classification
// (buy share Φ(ΔP/σ_ΔP)) → equal-volume buckets → mean |buy − sell| / bucket volume over the last n buckets.
// The bucket volume may be re-set between buckets (each bucket's imbalance is taken relative to its own size).
// Guarantees O(1) per trade (amortised over the buckets a bar fills); null until n buckets are full.
// A bar is classified when a later trade (or `flush`) closes it; bars before σ exists are not classified.
import { DdSum } from '../indicators/dd.js';
import { Ring } from '../indicators/ring.js';
import { WindowStats } from '../indicators/window-stats.js';
import { normCdf } from './normal.js';

export interface VpinParams {
  /** Base-asset volume per bucket (null: not known yet, nothing is bucketed). */
  bucketVolume: number | null;
  /** Buckets averaged. */
  buckets: number;
  /** Time-bar length for the classification. */
  barMs: number;
  /** Bars in the σ of bar-to-bar price changes. */
  sigmaBars: number;
}

export class Vpin {
  bar = -1;
  barVolume = 0;
  barClose = Number.NaN;
  prevClose = Number.NaN;
  readonly dp: WindowStats;
  /** Volume and buy volume in the bucket being filled. */
  fill = 0;
  fillBuy = 0;
  readonly imbalances: Ring;
  readonly imbalanceSum = new DdSum();
  value: number | null = null;

  bucketVolume: number | null;

  constructor(readonly p: VpinParams) {
    this.dp = new WindowStats(p.sigmaBars);
    this.imbalances = new Ring(p.buckets);
    this.bucketVolume = p.bucketVolume;
  }

  add(ts: number, price: number, qty: number): void {
    const bar = Math.floor(ts / this.p.barMs);
    if (bar < this.bar) return; // late trade of a bar already classified
    if (bar > this.bar) {
      this.closeBar();
      this.bar = bar;
    }
    this.barVolume += qty;
    this.barClose = price;
  }

  /** Closes the open bar if it ended at or before `ts`. */
  flush(ts: number): void {
    if (this.bar >= 0 && (this.bar + 1) * this.p.barMs <= ts) {
      this.closeBar();
      this.bar = Math.floor(ts / this.p.barMs);
    }
  }

  private closeBar(): void {
    if (this.barVolume > 0) {
      if (this.prevClose === this.prevClose) {
        const dp = this.barClose - this.prevClose;
        this.dp.update(dp);
        if (this.dp.ring.size >= 2) {
          const sd = this.dp.std;
          const buyShare = sd > 0 ? normCdf(dp / sd) : 0.5;
          this.pour(this.barVolume, buyShare);
        }
      }
      this.prevClose = this.barClose;
    }
    this.barVolume = 0;
  }

  private pour(volume: number, buyShare: number): void {
    const V = this.bucketVolume;
    if (V === null || !(V > 0)) return;
    let left = volume;
    while (left > 0) {
      const take = Math.min(left, Math.max(0, V - this.fill));
      this.fill += take;
      this.fillBuy += take * buyShare;
      left -= take;
      if (this.fill >= V * (1 - 1e-12)) this.completeBucket();
    }
  }

  private completeBucket(): void {
    const imb = Math.abs(2 * this.fillBuy - this.fill) / this.fill;
    const old = this.imbalances.push(imb);
    this.imbalanceSum.add(imb);
    if (old === old) this.imbalanceSum.add(-old);
    this.fill = 0;
    this.fillBuy = 0;
    if (this.imbalances.full) this.value = Math.min(1, Math.max(0, this.imbalanceSum.value / this.p.buckets));
  }
}
