// Startup reconciliation of the DB ledger with the exchange, in numbered steps (src/execution/reconcile/):
//   1 fills the DB has not seen · 2 our order rows · 3 foreign orders · 4 positions · 5 protection · 6 deferred rows ·
//   7 funding and the fill watermark.
// Invariants, after a run that was not aborted:
//   I1 the exchange is the truth: every fill it shows is in the ledger once, every open row has its status, every
//      position equals the exchange's (side, quantity, average price);
//   I2 every difference is repaired, audited (reconcile_audit) and reported with a stable code `reconcile.<kind>`;
//   I3 every open position has a stop that closes all of it (or was closed at market, its level already crossed);
//   I4 a request of a crashed run is never declared unplaced before the venue can no longer accept it (settleMs);
//   I5 a second run changes nothing and reports nothing; ids it creates are deterministic;
//   I6 it stops at the first check after its signal aborts or its timeout passes, rejecting with ReconcileAbortedError
//      at once (whose `settled` says when the run has actually stopped: another run must not start before).
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { Anomaly } from '../protocol/index.js';
import { advanceFillWatermark, syncFunding } from '../store/repos/reconcile.js';
import type { Ledger, PositionRow } from './ledger.js';
import type { OrderManager } from './order-manager.js';
import type { ProtectionDefaults } from './policy/protection.js';
import { newCtx } from './reconcile/context.js';
import { applyFills } from './reconcile/fills.js';
import { settleForeignOrders } from './reconcile/foreign.js';
import { resolveDeferred, resolveOrders } from './reconcile/orders.js';
import { comparePositions } from './reconcile/positions.js';
import { protectPositions } from './reconcile/protection.js';
import { chaosPoint } from '../ops/chaos-point.js';

export interface ReconcileReport {
  anomalies: Anomaly[];
  fillsApplied: number;
  positions: PositionRow[];
}

export interface ReconcileOptions {
  /**
   * Wall-clock ms after which a request can no longer be accepted by the venue (recvWindow plus margin): a
   * pending_submit row not found on the exchange is declared never placed only after waiting this long, so a
   * request still in flight from a crashed run cannot land after we gave up on it.
   */
  settleMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Open exchange orders the DB does not know: adopted into the ledger or cancelled (default cancel). */
  foreignOrders?: 'adopt' | 'cancel';
  /** Aborts the run at its next step; the promise rejects with ReconcileAbortedError. */
  signal?: AbortSignal;
  /** Rejects with ReconcileAbortedError (and stops at the next step) when not done within this many ms. */
  timeoutMs?: number;
  /** Stop and target for a position with none known: execution.protection's defaults. */
  protection: ProtectionDefaults;
}

export class ReconcileAbortedError extends Error {
  /** Resolves once the aborted run has stopped (at its next step): start another run only after it. */
  settled: Promise<void> = Promise.resolve();
  constructor(reason: string) {
    super(`reconciliation aborted: ${reason}`);
    this.name = 'ReconcileAbortedError';
  }
}

export async function reconcile(
  gw: ExchangeGateway, ledger: Ledger, orders: OrderManager | null, symbols: string[], now: number, opts: ReconcileOptions,
): Promise<ReconcileReport> {
  const ctl = new AbortController();
  const work = run(gw, ledger, orders, symbols, now, opts, () => {
    chaosPoint('reconcile.step');
    if (ctl.signal.aborted) throw ctl.signal.reason as Error;
  });
  work.catch(() => undefined); // after an abort it stops at its next check; its rejection is not news
  const abort = (why: string) => {
    const err = new ReconcileAbortedError(why);
    err.settled = work.then(() => undefined, () => undefined);
    ctl.abort(err);
  };
  const onOuter = () => abort(String(opts.signal?.reason instanceof Error ? opts.signal.reason.message : (opts.signal?.reason ?? 'aborted')));
  if (opts.signal?.aborted) onOuter();
  opts.signal?.addEventListener('abort', onOuter);
  const timer = opts.timeoutMs ? setTimeout(() => abort(`not done within ${opts.timeoutMs} ms`), opts.timeoutMs) : null;
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(ctl.signal.reason as Error);
    if (ctl.signal.aborted) fail();
    else ctl.signal.addEventListener('abort', fail);
  });
  aborted.catch(() => undefined);
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuter);
  }
}

/**
 * The passes of one reconciliation. A pass runs the steps in order; when a request of a crashed run that was deferred
 * (step 2) turns out to have landed (step 6), one more pass compares everything again with nothing left to wait for.
 */
async function run(gw: ExchangeGateway, ledger: Ledger, orders: OrderManager | null, symbols: string[], now: number, opts: ReconcileOptions, check: () => void): Promise<ReconcileReport> {
  const anomalies: Anomaly[] = [];
  let fillsApplied = 0;
  for (let pass = 1; ; pass++) {
    const c = newCtx({ gw, ledger, orders, symbols, now, opts, check });
    for (const symbol of symbols) {
      check();
      await applyFills(c, symbol); // 1
    }
    const deferred = await resolveOrders(c); // 2
    await settleForeignOrders(c); // 3
    await comparePositions(c); // 4
    if (orders) await protectPositions(c, orders); // 5
    const landed = await resolveDeferred(c, deferred); // 6
    anomalies.push(...c.anomalies);
    fillsApplied += c.fillsApplied;
    // A deferred request that landed, or a position the exchange closed while this pass acted: once more (at most two
    // passes more; each reads the exchange afresh).
    if ((landed && pass === 1) || (c.again && pass < 3)) continue;
    // 7. Funding payments (PnL), then the point up to which the DB's fills are known complete.
    if (gw.fetchFunding) {
      check();
      await syncFunding(ledger.db, (s, t) => gw.fetchFunding!(s, t), symbols, now);
    }
    for (const [symbol, ts] of c.watermarks) await advanceFillWatermark(ledger.db, symbol, ts, now);
    return { anomalies, fillsApplied, positions: (await ledger.openPositions()).filter((p) => symbols.includes(p.symbol)) };
  }
}
