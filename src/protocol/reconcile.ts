// Message payloads of the reconciler family: drift between DB and exchange, equity. Types only.
// An anomaly names what differs and what was (or must be) done about it.
import type { AlertPayload } from './common.js';

export interface Anomaly extends AlertPayload {
  kind: string;
}

export interface EquityPoint {
  ts: number;
  equity: string;
  balance: string;
  unrealizedPnl: string;
  dayPnl: string;
  weekPnl: string;
}

/**
 * The reconciler's verdict after every periodic check: the symbols whose DB position differs from the exchange.
 * Execution refuses new entries on a symbol listed here until a later check lists it no more (empty = all clear).
 */
export interface DriftStatus {
  ts: number;
  symbols: string[];
}

export interface ReconcilePayloads {
  'reconcile.anomaly': Anomaly;
  'reconcile.equity': EquityPoint;
  'reconcile.drift': DriftStatus;
}
