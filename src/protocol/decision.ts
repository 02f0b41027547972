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
}

export interface DecisionPayloads {
  'decision.made': Decision;
  'decision.alert': AlertPayload;
}
