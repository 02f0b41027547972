// The learning loop of a backtest, in memory: the same pure rules as the decision worker's MariaDB version
// (Wilson intervals per pattern, signal evolution every N trades). Guarantees an outcome counts once per position,
// only for a decision the run made, and DISABLED never applies (a backtest starts with no insights).
import type { LearningConfig } from '../config/sections/decision.js';
import { evolveWeights, patternStats, type LearningState, type Outcome } from '../decision/learning.js';
import { netPnl } from '../decision/risk.js';
import type { Decision, PositionEvent } from '../protocol/index.js';

export class MemoryLearning {
  private readonly outcomes: Outcome[] = [];
  private readonly counted = new Set<number>();
  private weights: Record<string, number> = {};

  constructor(private readonly c: LearningConfig) {}

  /** Records a closed trade; returns the new learning state, or null when nothing changed. */
  record(e: PositionEvent, decision: Decision | undefined): LearningState | null {
    if (!this.c.enabled || !decision || this.counted.has(e.positionId)) return null;
    this.counted.add(e.positionId);
    this.outcomes.push({ side: e.side, win: netPnl(e) > 0, conditions: decision.detail?.conditions ?? {}, votes: decision.detail?.votes ?? [] });
    if (this.outcomes.length % this.c.evolveEvery === 0) {
      const next = { ...this.weights };
      for (const ev of evolveWeights(this.weights, this.outcomes.slice(-this.c.evolveEvery), this.c)) next[ev.source] = ev.next;
      this.weights = next;
    }
    const patterns: LearningState['patterns'] = {};
    for (const p of patternStats(this.outcomes, this.c)) {
      if (p.status === 'ACTIVE') patterns[p.key] = { action: p.action, multiplier: p.multiplier, lo: p.lo, hi: p.hi, n: p.n };
    }
    return { patterns, weights: { ...this.weights } };
  }
}
