// The progress line of `bosun optimize`: trials done, best so far and ETA, redrawn in place on a TTY; on anything
// else one line per finished batch, so logs stay readable. Guarantees nothing is written when quiet.
import type { TrialResult } from './evaluate.js';

export class Progress {
  private best: { n: number; v: number } | null = null;
  private startedAt = Date.now();
  private startedDone = 0;
  private lastLine = 0;
  constructor(private readonly total: number, private readonly out: NodeJS.WriteStream, private readonly quiet: boolean, private readonly batch: number) {}

  /** `done`: trials a resumed run already has (they count for the best so far, not for the ETA). */
  start(done: TrialResult[]): void {
    for (const r of done) this.track(r);
    this.startedDone = done.length;
    this.startedAt = Date.now();
  }

  private track(r: TrialResult): void {
    if (r.state === 'complete' && r.value !== null && (!this.best || r.value > this.best.v || (r.value === this.best.v && r.number < this.best.n))) this.best = { n: r.number, v: r.value };
  }

  update(r: TrialResult, done: number): void {
    this.track(r);
    if (this.quiet) return;
    const ran = done - this.startedDone;
    const secs = (Date.now() - this.startedAt) / 1000;
    const eta = ran > 0 ? ((this.total - done) * secs) / ran : NaN;
    const etaText = Number.isFinite(eta) ? `${Math.floor(eta / 60)}m${String(Math.round(eta % 60)).padStart(2, '0')}s` : '?';
    const best = this.best ? `best ${this.best.v.toFixed(3)} (#${this.best.n})` : 'best –';
    if (this.out.isTTY) {
      const w = 30;
      const fill = Math.round((done / this.total) * w);
      this.out.write(`\r[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${done}/${this.total}  ${best}  ETA ${etaText}   `);
      if (done === this.total) this.out.write('\n');
    } else if (done === this.total || done - this.lastLine >= this.batch) {
      this.lastLine = done;
      this.out.write(`trials ${done}/${this.total}  ${best}  ETA ${etaText}\n`);
    }
  }
}
