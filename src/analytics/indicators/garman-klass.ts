// Garman-Klass volatility per bar over the last `period` bars: sqrt(mean(½·ln(H/L)² − (2ln2−1)·ln(C/O)²)),
// O(1) per update. Guarantees null until warm and for bars with a non-positive price.
import { DdSum } from './dd.js';
import { Ring } from './ring.js';

const K = 2 * Math.LN2 - 1;

export const gkTerm = (open: number, high: number, low: number, close: number): number => {
  const hl = Math.log(high / low);
  const co = Math.log(close / open);
  return 0.5 * hl * hl - K * co * co;
};

export class GarmanKlass {
  readonly ring: Ring;
  readonly sum = new DdSum();
  value: number | null = null;

  constructor(readonly period: number) {
    this.ring = new Ring(period);
  }

  update(open: number, high: number, low: number, close: number): number | null {
    if (!(open > 0 && high > 0 && low > 0 && close > 0)) return (this.value = null);
    const g = gkTerm(open, high, low, close);
    const old = this.ring.push(g);
    this.sum.add(g);
    if (old === old) this.sum.add(-old);
    if (!this.ring.full) return null;
    const m = this.sum.value / this.period;
    this.value = Math.sqrt(m > 0 ? m : 0);
    return this.value;
  }
}
