// Simple moving average, O(1) per update (double-double rolling sum).
// Guarantees null until `period` values were seen.
import { DdSum } from './dd.js';
import { Ring } from './ring.js';

export class Sma {
  readonly ring: Ring;
  readonly sum = new DdSum();
  value: number | null = null;

  constructor(readonly period: number) {
    this.ring = new Ring(period);
  }

  update(x: number): number | null {
    const old = this.ring.push(x);
    this.sum.add(x);
    if (old === old) this.sum.add(-old);
    if (this.ring.full) this.value = this.sum.value / this.period;
    return this.value;
  }
}
