// Rolling mean and population variance over the last `period` values, O(1) per update.
// Guarantees: sums kept in double-double, so no drift; a window of identical values has variance exactly 0.
import { ddScatter, DdSum } from './dd.js';
import { Ring } from './ring.js';

const scratch = new DdSum();

export class WindowStats {
  readonly ring: Ring;
  readonly sum = new DdSum();
  readonly sumSq = new DdSum();
  /** How many of the latest values are equal to the newest one. */
  run = 0;

  constructor(readonly period: number) {
    this.ring = new Ring(period);
  }

  get full(): boolean {
    return this.ring.full;
  }

  update(x: number): void {
    this.run = this.ring.size > 0 && this.ring.back() === x ? this.run + 1 : 1;
    const old = this.ring.push(x);
    this.sum.add(x);
    this.sumSq.addProd(x, x);
    if (old === old) {
      this.sum.add(-old);
      this.sumSq.addProd(-old, old);
    }
  }

  get mean(): number {
    return this.run >= this.ring.size ? this.ring.back() : this.sum.value / this.ring.size;
  }

  /** x − mean, with the mean kept in double-double (exact for a value of the window). */
  deviation(x: number): number {
    const n = this.ring.size;
    if (this.run >= n) return x - this.ring.back();
    scratch.reset();
    scratch.addProd(n, x);
    scratch.add(-this.sum.hi);
    scratch.add(-this.sum.lo);
    return scratch.value / n;
  }

  get variance(): number {
    const n = this.ring.size;
    if (n === 0 || this.run >= n) return 0;
    return ddScatter(n, this.sum, this.sumSq) / (n * n);
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }
}
