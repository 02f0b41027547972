// Decides when market data is stale: market-feed published nothing (or is down) for longer than the limit.
// Pure. Guarantees one `stale` per outage and one `recovered` when data flows again.
export class StaleWatch {
  private lastCount = -1;
  private progressAt: number;
  private stale = false;

  constructor(private readonly limitMs: number, startedAt: number) {
    this.progressAt = startedAt;
  }

  /** Feed the publisher's message count (wall time `now`); returns what changed, if anything. */
  observe(now: number, count: number, running: boolean): { kind: 'stale'; silentMs: number } | { kind: 'recovered' } | null {
    if (running && count !== this.lastCount) {
      this.lastCount = count;
      this.progressAt = now;
      if (!this.stale) return null;
      this.stale = false;
      return { kind: 'recovered' };
    }
    if (this.stale || now - this.progressAt <= this.limitMs) return null;
    this.stale = true;
    return { kind: 'stale', silentMs: now - this.progressAt };
  }
}
