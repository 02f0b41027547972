// What every step of startup reconciliation shares: the exchange, the ledger, the symbols, the run's time, and where
// anomalies, audits and the fill watermarks go. Guarantees nothing by itself; it only carries the run's state.
import type { Pool } from 'mariadb';
import type { ExchangeGateway } from '../../exchange/gateway.js';
import type { Anomaly } from '../../protocol/index.js';
import type { Ledger } from '../ledger.js';
import type { OrderManager } from '../order-manager.js';
import type { ReconcileOptions } from '../reconcile.js';
import type * as rl from '../reconcile-ledger.js';

export interface Ctx {
  gw: ExchangeGateway;
  ledger: Ledger;
  pool: Pool;
  orders: OrderManager | null;
  symbols: string[];
  now: number;
  opts: ReconcileOptions;
  /** Throws once the run is aborted (and is a kill point of the crash test). */
  check: () => void;
  anomalies: Anomaly[];
  /** Fills applied by this pass. */
  fillsApplied: number;
  /** Per symbol, the time up to which the DB's fills are known complete once the run ends. */
  watermarks: Map<string, number>;
  /** The exchange changed under this pass (a position closed by its own stop while we acted): compare once more. */
  again: boolean;
}

export function newCtx(base: Omit<Ctx, 'anomalies' | 'fillsApplied' | 'watermarks' | 'pool' | 'again'>): Ctx {
  return { ...base, pool: base.ledger.db, anomalies: [], fillsApplied: 0, watermarks: new Map(), again: false };
}

export function note(c: Ctx, kind: string, severity: Anomaly['severity'], text: string, symbol?: string, data?: Record<string, unknown>): void {
  c.anomalies.push({ kind, code: `reconcile.${kind}`, severity, text, ...(symbol ? { symbol } : {}), ...(data ? { data } : {}) });
}

export const audit = (c: Ctx, code: string, why: string): rl.Audit => ({ ts: c.now, code: `reconcile.${code}`, why });
