// Message payloads of the decision family: verdicts and the trade intent execution acts on. Types only.
// An intent always carries a stop-loss and a size; money fields are decimal strings.
import type { AlertPayload } from './common.js';

export type Verdict = 'STRONG_BUY' | 'BUY' | 'NEUTRAL' | 'SELL' | 'STRONG_SELL';
export type Side = 'long' | 'short';

export interface Veto {
  code: string;
  detail: string;
}

export interface Intent {
  decisionId: string;
  symbol: string;
  side: Side;
  /** Acceptable entry prices; a market entry is allowed only within maxSlippage of the reference. */
  entry: { reference: string; low: string; high: string };
  stopLoss: string;
  takeProfits: Array<{ price: string; fraction: number }>;
  /** Base-asset quantity, decimal string. */
  qty: string;
  notional: string;
  maxSlippage: number;
  /** Clock time after which the intent must not open anything. */
  expiresAt: number;
  confidence: number;
  allowMarket: boolean;
}

/** One source's vote: direction and strength, or why it could not vote. */
export interface SourceVote {
  source: string;
  /** Weight of the source in this decision (base × learning × regime multiplier); an unavailable source keeps it but contributes 0. */
  weight: number;
  direction: -1 | 0 | 1 | null;
  strength: number | null;
  /** weight × direction × strength: what the source added to the score. */
  contribution: number;
  unavailable?: string;
  note?: string;
}

/** Everything a decision was made from, persisted in `decisions.source_votes`. */
export interface DecisionDetail {
  votes: SourceVote[];
  /** Share of the preset's total base weight whose sources could vote. */
  coverage: number;
  agreement: { agree: number; oppose: number; of: number };
  /** Verdict before gates and vetoes (debounce keeps it here too). */
  rawVerdict: Verdict;
  /** Entry conditions, the keys the learning loop attributes outcomes to. */
  conditions: Record<string, string>;
  /** Gates evaluated: `code: passed | skipped (why) | fired`. */
  gates: string[];
  sizing: Record<string, number | string> | null;
}

/** The Sentinel's review of a STRONG verdict that was not vetoed (seed 000's Hermes note): advisory unless gated. */
export interface SentinelReview {
  /** null when the review could not be had (error says why). */
  note: 'CONFIRM' | 'CAUTION' | 'WARN' | null;
  reason: string;
  model: string;
  /** Clock time of the answer, UTC ms. */
  at: number;
  latencyMs: number;
  error?: string;
}

export interface Decision {
  decisionId: string;
  symbol: string;
  ts: number;
  strategy: string;
  verdict: Verdict;
  score: number;
  vetoes: Veto[];
  intent: Intent | null;
  reasoning: string;
  detail?: DecisionDetail;
  /** Set when the Sentinel gate held the decision for its review (`ai.sentinel.gate: warn_vetoes`). */
  sentinel?: SentinelReview;
}

/** Command to execution: refuse new entries until `until` (null: until an operator resumes); flatten closes everything. */
export interface HaltCommand {
  /** Reason code of the breaker, e.g. `risk.emergency_stop`. */
  code: string;
  reason: string;
  flatten: boolean;
  until: number | null;
  ts: number;
}

export interface DecisionPayloads {
  'decision.made': Decision;
  'decision.alert': AlertPayload;
  'decision.halt': HaltCommand;
}
