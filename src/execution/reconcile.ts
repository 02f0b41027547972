// Reconciliation of the DB ledger with the exchange: fills first, then orders, positions, protection.
// Guarantees: the exchange is the truth; every difference is repaired and reported; a second run changes nothing.
import { dec, str } from '../domain/decimal.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { Anomaly } from '../protocol/index.js';
import type { Ledger, PositionRow } from './ledger.js';
import type { OrderManager } from './order-manager.js';

export interface ReconcileReport {
  anomalies: Anomaly[];
  fillsApplied: number;
  positions: PositionRow[];
}

/** How far back to look for fills before the last one we stored (clock skew, same-ms fills). */
const FILL_OVERLAP_MS = 60_000;

export interface ReconcileOptions {
  /**
   * Wall-clock ms after which a request can no longer be accepted by the venue (recvWindow plus margin): a
   * pending_submit row not found on the exchange is declared never placed only after waiting this long, so a
   * request still in flight from a crashed run cannot land after we gave up on it.
   */
  settleMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export async function reconcile(
  gw: ExchangeGateway, ledger: Ledger, orders: OrderManager | null, symbols: string[], now: number, opts: ReconcileOptions = { settleMs: 0 },
): Promise<ReconcileReport> {
  const anomalies: Anomaly[] = [];
  const note = (kind: string, severity: Anomaly['severity'], text: string, symbol?: string, data?: Record<string, unknown>) =>
    anomalies.push({ kind, code: `reconcile.${kind}`, severity, text, ...(symbol ? { symbol } : {}), ...(data ? { data } : {}) });

  // 1. Fills the DB has not seen (stream down, process dead): applying them in order rebuilds positions.
  let fillsApplied = 0;
  const since = Math.max(0, ((await ledger.lastFillTs()) ?? 0) - FILL_OVERLAP_MS);
  for (const symbol of symbols) {
    const fills = (await gw.fetchFills(symbol, since)).sort((a, b) => a.ts - b.ts || Number(a.tradeId) - Number(b.tradeId));
    for (const f of fills) {
      const r = await ledger.recordFill(f);
      if (r.kind === 'duplicate') continue;
      fillsApplied++;
      note('missed_fill', 'warning', `fill ${f.tradeId} (${f.side} ${f.qty} @ ${f.price}) was missing from the DB; applied (${r.kind})`, symbol, { tradeId: f.tradeId, clientId: f.clientId });
    }
  }

  // 2. Orders: pending_submit rows are resolved by client id; open rows take the exchange's status.
  const rows = (await ledger.openOrders()).filter((r) => symbols.includes(r.symbol));
  const missing = [];
  for (const row of rows) if (!(await gw.fetchOrderByClientId(row.symbol, row.client_id))) missing.push(row);
  if (missing.some((r) => r.status === 'pending_submit') && opts.settleMs > 0) await (opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(opts.settleMs);
  for (const row of rows) {
    const ex = await gw.fetchOrderByClientId(row.symbol, row.client_id);
    if (!ex) {
      if (row.status === 'pending_submit') {
        await ledger.markNeverPlaced(row.client_id, 'not found on the exchange at reconciliation');
        note('pending_never_placed', 'info', `order ${row.client_id} (${row.leg}) was written but never reached the exchange`, row.symbol);
      } else {
        await ledger.markNeverPlaced(row.client_id, 'missing on the exchange');
        note('order_missing', 'warning', `order ${row.client_id} (${row.leg}, ${row.status}) is unknown to the exchange`, row.symbol);
      }
      continue;
    }
    const before = row.status;
    const after = await ledger.applyOrderUpdate(ex);
    if (before === 'pending_submit') note('pending_resolved', 'info', `order ${row.client_id} (${row.leg}) reached the exchange: ${ex.status}`, row.symbol);
    else if (after !== before) note('order_status', 'info', `order ${row.client_id} moved ${before} → ${after}`, row.symbol);
  }

  // 3. Positions: the exchange is the truth.
  const exPositions = await gw.fetchPositions(symbols);
  for (const symbol of symbols) {
    const ex = exPositions.find((p) => p.symbol === symbol && dec(p.qty).gt(0));
    const db = await ledger.openPosition(symbol);
    if (ex && !db) {
      await ledger.importPosition(symbol, ex.side, ex.qty, ex.entryPrice, now);
      note('orphan_position', 'critical', `exchange holds ${ex.side} ${ex.qty} ${symbol} @ ${ex.entryPrice} unknown to the DB: imported`, symbol);
    } else if (!ex && db) {
      await ledger.closeExternally(db, 'external', now);
      note('position_gone', 'warning', `DB position ${db.id} (${db.side} ${db.qty}) is not on the exchange and no fill explains it: closed as external`, symbol);
    } else if (ex && db) {
      const qtyDiff = !dec(ex.qty).eq(db.qty) || ex.side !== db.side;
      const pxDiff = dec(ex.entryPrice).sub(db.entry_price).abs().gt(dec(ex.entryPrice).mul('0.0001'));
      if (qtyDiff || pxDiff) {
        await ledger.correctPosition(db, ex.qty, ex.entryPrice);
        note('position_mismatch', 'warning', `position ${db.id}: DB ${db.side} ${str(db.qty)} @ ${str(db.entry_price)}, exchange ${ex.side} ${ex.qty} @ ${ex.entryPrice}: DB corrected`, symbol);
      }
    }
  }

  // 4. Protection: every open position has a stop-loss and a take-profit on the exchange.
  const positions = (await ledger.openPositions()).filter((p) => symbols.includes(p.symbol));
  if (orders) {
    for (const p of positions) {
      const { placed } = await orders.ensureProtection(p);
      if (placed.length) note('protection_placed', placed.includes('sl') ? 'critical' : 'warning', `position ${p.id} ${p.symbol} lacked ${placed.join(' and ')} on the exchange: placed`, p.symbol);
    }
    for (const symbol of symbols) if (!positions.some((p) => p.symbol === symbol)) await orders.cancelLeftovers(symbol);
  }
  return { anomalies, fillsApplied, positions };
}
