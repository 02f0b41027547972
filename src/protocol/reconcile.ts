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

export interface ReconcilePayloads {
  'reconcile.anomaly': Anomaly;
  'reconcile.equity': EquityPoint;
}
