// Which sources could vote over a backtest, and, when nothing traded, why: the lines a report opens with.
// Guarantees the same decisions give the same panel (counts, the most frequent reason, ties by name), and a plain reason.
import type { Preset } from '../config/sections/decision.js';
import type { Decision } from '../protocol/index.js';

export interface SourceCoverage {
  source: string;
  /** Base weight in the preset (rules: 1 for required sources, the bonus for confirmers). */
  weight: number;
  /** Decisions in which it could vote, of all decisions. */
  voted: number;
  of: number;
  /** The most frequent reason it could not vote (null when it always could). */
  why: string | null;
}

export interface Panel {
  sources: SourceCoverage[];
  /** Mean share of the preset's weight that could vote. */
  meanCoverage: number;
  /** The most sources that could vote in one decision, and how many min_agreement asks to agree (null: gate off). */
  maxVoting: number;
  minAgreement: number | null;
  /** Highest and lowest score of the run, and the entry thresholds they are compared with (null for ema_rsi). */
  bestScore: number | null;
  worstScore: number | null;
  thresholds: { buy: number; sell: number } | null;
  /** Why the run made no trade (null when it traded or made no decision). */
  noTrade: string | null;
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const num = (x: number) => Number(x.toFixed(4)).toString();

export class CoverageTally {
  private of = 0;
  private covSum = 0;
  private best: number | null = null;
  private worst: number | null = null;
  private maxVoting = 0;
  private readonly voted = new Map<string, number>();
  private readonly weights = new Map<string, number>();
  private readonly whys = new Map<string, Map<string, number>>();

  constructor(private readonly preset: Preset) {}

  add(d: Decision): void {
    const detail = d.detail;
    if (!detail) return;
    this.of++;
    this.covSum += detail.coverage;
    if (this.preset.kind !== 'ema_rsi') {
      this.best = this.best === null ? d.score : Math.max(this.best, d.score);
      this.worst = this.worst === null ? d.score : Math.min(this.worst, d.score);
    }
    this.maxVoting = Math.max(this.maxVoting, detail.votes.filter((v) => !v.unavailable).length);
    for (const v of detail.votes) {
      if (!this.weights.has(v.source)) this.weights.set(v.source, this.baseWeight(v.source, v.weight));
      if (!v.unavailable) this.voted.set(v.source, (this.voted.get(v.source) ?? 0) + 1);
      else {
        const m = this.whys.get(v.source) ?? new Map<string, number>();
        m.set(v.unavailable, (m.get(v.unavailable) ?? 0) + 1);
        this.whys.set(v.source, m);
      }
    }
  }

  private baseWeight(source: string, seen: number): number {
    const p = this.preset;
    if (p.kind === 'weighted' || p.kind === 'imba') return (p.weights as Record<string, number>)[source] ?? seen;
    if (p.kind === 'rules') return p.required.includes(source as never) ? 1 : p.confirmBonus;
    return seen;
  }

  result(intents: number, rejectedByVeto: Record<string, number>, directional: number): Panel {
    const sources: SourceCoverage[] = [...this.weights.keys()].map((source) => {
      const whys = [...(this.whys.get(source) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      return { source, weight: this.weights.get(source)!, voted: this.voted.get(source) ?? 0, of: this.of, why: whys[0]?.[0] ?? null };
    });
    const p = this.preset;
    const thresholds = p.kind === 'ema_rsi' ? null : { buy: p.thresholds.buy, sell: p.thresholds.sell };
    const panel: Panel = { sources, meanCoverage: this.of ? this.covSum / this.of : 0, maxVoting: this.maxVoting, minAgreement: p.gates.minAgreement, bestScore: this.best, worstScore: this.worst, thresholds, noTrade: null };
    if (this.of && intents === 0) panel.noTrade = noTradeReason(panel, rejectedByVeto, directional);
    return panel;
  }
}

/** One sentence: no verdict ever reached (and what the sources that could vote can reach at most), or what vetoed them all. */
export function noTradeReason(p: Panel, rejectedByVeto: Record<string, number>, directional: number): string {
  const never = p.sources.filter((s) => s.voted === 0);
  const missing = never.length ? `; never able to vote: ${never.map((s) => `${s.source} (${s.why})`).join(', ')}` : '';
  if (directional > 0) {
    const top = Object.entries(rejectedByVeto).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c, n]) => `${c} ${n}`).join(', ');
    const k = p.minAgreement !== null && rejectedByVeto.min_agreement ? `; min_agreement asks ${p.minAgreement} sources to agree and at most ${p.maxVoting} could vote in any one decision` : '';
    return `no trade: every one of the ${directional} directional verdicts was vetoed (${top || 'no veto recorded'})${k}${missing}`;
  }
  const reach = p.sources.filter((s) => s.voted > 0).reduce((a, s) => a + s.weight, 0);
  const th = p.thresholds;
  const scores = p.bestScore === null ? '' : `; scores ranged ${num(p.worstScore!)} to ${num(p.bestScore)}${th ? ` (BUY ≥ ${num(th.buy)}, SELL ≤ ${num(th.sell)})` : ''}`;
  const cap = th && reach < th.buy ? `; the sources that ever voted weigh ${num(reach)} together, below the BUY threshold: the panel cannot reach a verdict` : '';
  return `no trade: no decision reached a verdict (mean coverage ${pct(p.meanCoverage)} of the panel's weight)${scores}${cap}${missing}`;
}

/** The report's opening lines: coverage per source, and why nothing traded when nothing did. */
export function panelLines(p: Panel): string[] {
  const lines = [`coverage: ${pct(p.meanCoverage)} of the panel's weight could vote on average (an unavailable source is left out, never renormalised)`];
  // The reason shows where it matters: a source missing from at least 1 % of the decisions (not just the first one).
  const parts = p.sources.map((s) => `${s.source} ${s.of ? pct(s.voted / s.of) : 'n/a'}${s.voted < 0.99 * s.of && s.why ? ` (${s.why})` : ''}`);
  lines.push(`sources: ${parts.join('; ')}`);
  if (p.noTrade) lines.push(p.noTrade);
  return lines;
}
