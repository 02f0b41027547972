// Step 2: our open and pending_submit order rows against the exchange. Guarantees every row takes the exchange's status
// through the status table; a pending_submit row the exchange does not show is declared never placed only once the venue
// can no longer accept it (settleMs after the run started): those rows are returned, deferred, for step 6.
import type { ExOrder } from '../../exchange/types.js';
import type { OrderRow } from '../ledger.js';
import * as rl from '../reconcile-ledger.js';
import { audit, note, type Ctx } from './context.js';

/** Resolves every open row the exchange can answer for now; returns the pending_submit rows it could not find yet. */
export async function resolveOrders(c: Ctx): Promise<OrderRow[]> {
  const rows = (await c.ledger.openOrders()).filter((r) => c.symbols.includes(r.symbol));
  // Rows the exchange lists as open need no look-up.
  const openOnEx = new Map<string, ExOrder>();
  for (const symbol of new Set(rows.map((r) => r.symbol))) {
    c.check();
    for (const o of await c.gw.fetchOpenOrders(symbol)) openOnEx.set(o.clientId, o);
  }
  const seen = new Map<string, ExOrder | null>();
  for (const row of rows) {
    c.check();
    seen.set(row.client_id, openOnEx.get(row.client_id) ?? (await c.gw.fetchOrderByClientId(row.symbol, row.client_id)));
  }
  // A pending_submit row still missing may be a request of a crashed run in flight: it is resolved after settleMs, but
  // only once the positions are protected (steps 3–5 first), so a stop whose row was written just before a kill delays
  // nothing: its replacement is placed now under the next attempt's client id.
  const deferred = c.opts.settleMs > 0 ? rows.filter((r) => !seen.get(r.client_id) && r.status === 'pending_submit') : [];
  for (const row of rows) {
    c.check();
    if (!deferred.includes(row)) await resolveRow(c, row, seen.get(row.client_id) ?? null);
  }
  return deferred;
}

/** One row takes what the exchange says of it (null: the exchange does not know it). */
export async function resolveRow(c: Ctx, row: OrderRow, ex: ExOrder | null): Promise<void> {
  if (!ex) {
    if (row.status === 'pending_submit') {
      await c.ledger.markNeverPlaced(row.client_id, 'not found on the exchange at reconciliation');
      note(c, 'pending_never_placed', 'info', `order ${row.client_id} (${row.leg}) was written but never reached the exchange`, row.symbol);
    } else if (await rl.settleOrder(c.pool, row.client_id, 'expired', audit(c, 'order_missing', 'open in the DB, unknown to the exchange'))) {
      note(c, 'order_missing', 'warning', `order ${row.client_id} (${row.leg}, ${row.status}) is unknown to the exchange: expired in the DB`, row.symbol);
    }
    return;
  }
  const before = row.status;
  const after = await c.ledger.applyOrderUpdate(ex);
  if (before === 'pending_submit') note(c, 'pending_resolved', 'info', `order ${row.client_id} (${row.leg}) reached the exchange: ${ex.status}`, row.symbol);
  else if (after !== before) note(c, 'order_status', 'info', `order ${row.client_id} moved ${before} → ${after}`, row.symbol);
}

/**
 * Step 6 (after protection): the deferred rows, once a request sent before the crash can no longer be accepted. Returns
 * how many landed on the exchange after all (then the whole comparison runs once more).
 */
export async function resolveDeferred(c: Ctx, deferred: OrderRow[]): Promise<number> {
  if (!deferred.length) return 0;
  c.check();
  await (c.opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(c.opts.settleMs);
  let landed = 0;
  for (const row of deferred) {
    c.check();
    const ex = await c.gw.fetchOrderByClientId(row.symbol, row.client_id);
    if (ex) landed++;
    await resolveRow(c, row, ex);
  }
  return landed;
}
