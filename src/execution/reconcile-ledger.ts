// The ledger writes only reconciliation makes: corrections to what the exchange says, each with its audit row.
// Guarantees: every correction and its audit row are committed together (one transaction) or not at all; a
// correction that finds the row already as wanted changes nothing (idempotent).
import type { Pool, PoolConnection } from 'mariadb';
import { dec, str } from '../domain/decimal.js';
import type { ExFill, ExOrder } from '../exchange/types.js';
import type { Side } from '../protocol/index.js';
import { inTx } from '../store/tx.js';
import { levelsOf, type OpenLevels, type OrderRow, type PositionRow } from './ledger.js';

export interface Audit {
  ts: number;
  code: string;
  why: string;
}

const audit = (conn: PoolConnection, a: Audit, symbol: string | null, subject: string, before: unknown, after: unknown) =>
  conn.query('INSERT INTO reconcile_audit (ts, symbol, code, subject, before_state, after_state, why) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    a.ts, symbol, a.code, subject.slice(0, 96), before === null ? null : JSON.stringify(before), after === null ? null : JSON.stringify(after), a.why,
  ]);

const positionState = (p: PositionRow) => ({
  status: p.status, side: p.side, qty: str(p.qty), entryPrice: str(p.entry_price), exitPrice: p.exit_price === null ? null : str(p.exit_price),
  realizedPnl: str(p.realized_pnl), fees: str(p.fees), exitReason: p.exit_reason,
});

const lockPosition = async (conn: PoolConnection, id: number) => (await conn.query<PositionRow[]>('SELECT * FROM positions WHERE id = ? FOR UPDATE', [id]))[0] ?? null;

/** Sets side, quantity and average price of an open position to the exchange's. */
export async function correctPosition(pool: Pool, id: number, to: { side: Side; qty: string; entryPrice: string }, a: Audit): Promise<PositionRow | null> {
  return inTx(pool, async (conn) => {
    const p = await lockPosition(conn, id);
    if (!p || p.status !== 'open') return null;
    await conn.query('UPDATE positions SET side = ?, qty = ?, entry_price = ?, updated_at = ? WHERE id = ?', [to.side, to.qty, to.entryPrice, a.ts, id]);
    const after = (await lockPosition(conn, id))!;
    await audit(conn, a, p.symbol, `position:${id}`, positionState(p), positionState(after));
    return after;
  });
}

/** A position the exchange holds and the DB did not: inserted open, with the audit row. */
export async function importPosition(pool: Pool, symbol: string, e: { side: Side; qty: string; entryPrice: string }, openedAt: number, decisionId: string | null, a: Audit): Promise<PositionRow> {
  return inTx(pool, async (conn) => {
    const r = await conn.query<{ insertId: number }>(
      `INSERT INTO positions (symbol, side, status, qty, entry_price, decision_id, opened_at, updated_at) VALUES (?, ?, 'open', ?, ?, ?, ?, ?)`,
      [symbol, e.side, e.qty, e.entryPrice, decisionId, openedAt, a.ts],
    );
    const p = (await lockPosition(conn, Number(r.insertId)))!;
    await audit(conn, a, symbol, `position:${p.id}`, null, positionState(p));
    return p;
  });
}

export interface ExternalClose {
  exitPrice: string | null;
  realizedPnl: string;
  fees: string;
  reason: string;
  closedAt: number;
  /** The exchange fills whose PnL and fees this close books: stored with it, so no later poll applies them again. */
  fills?: ExFill[];
}

/** Closes an open DB position the exchange no longer holds, with what the fills say about how it ended. */
export async function closePosition(pool: Pool, id: number, c: ExternalClose, a: Audit): Promise<PositionRow | null> {
  return inTx(pool, async (conn) => {
    const p = await lockPosition(conn, id);
    if (!p || p.status !== 'open') return null;
    await conn.query(
      `UPDATE positions SET status = 'closed', exit_price = ?, realized_pnl = realized_pnl + ?, fees = fees + ?, exit_reason = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
      [c.exitPrice, c.realizedPnl, c.fees, c.reason, c.closedAt, a.ts, id],
    );
    for (const f of c.fills ?? []) {
      await conn.query(
        `INSERT IGNORE INTO fills (symbol, trade_id, client_id, exchange_order_id, side, qty, price, fee, fee_asset, realized_pnl, is_maker, ts, created_at, position_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [f.symbol, f.tradeId, f.clientId, f.exchangeOrderId, f.side, f.qty, f.price, f.fee, f.feeAsset, f.realizedPnl, f.isMaker ? 1 : 0, f.ts, a.ts, id],
      );
    }
    const after = (await lockPosition(conn, id))!;
    await audit(conn, a, p.symbol, `position:${id}`, positionState(p), positionState(after));
    return after;
  });
}

/** Leg recorded for an adopted order: protective types keep their meaning (a filled stop reads as a stop-loss). */
const adoptedLeg = (o: ExOrder): string => (o.type === 'stop_market' ? 'sl' : o.type === 'take_profit_market' ? 'tp' : 'adopted');

/** An open exchange order the DB did not know, taken into the ledger as it is on the exchange. */
export async function adoptOrder(pool: Pool, o: ExOrder, a: Audit): Promise<boolean> {
  return inTx(pool, async (conn) => {
    const ins = await conn.query<{ affectedRows: number }>(
      `INSERT IGNORE INTO orders (client_id, decision_id, position_id, symbol, leg, attempt, side, type, qty, price, stop_price, reduce_only, close_position, status, exchange_order_id, filled_qty, avg_price, created_at, updated_at)
       VALUES (?, NULL, NULL, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [o.clientId, o.symbol, adoptedLeg(o), o.side, o.type, o.qty, o.price, o.stopPrice, o.reduceOnly ? 1 : 0, o.closePosition ? 1 : 0, o.status, o.exchangeId, '0', null, o.createdAt || a.ts, a.ts],
    );
    if (ins.affectedRows === 0) return false;
    await audit(conn, a, o.symbol, `order:${o.clientId}`, null, { type: o.type, side: o.side, qty: o.qty, price: o.price, stopPrice: o.stopPrice, status: o.status });
    return true;
  });
}

/** An open DB order the exchange does not list: set to `status` (expired/cancelled/never_placed) with the audit row. */
export async function settleOrder(pool: Pool, clientId: string, status: 'expired' | 'cancelled', a: Audit): Promise<boolean> {
  return inTx(pool, async (conn) => {
    const row = (await conn.query<OrderRow[]>('SELECT * FROM orders WHERE client_id = ? FOR UPDATE', [clientId]))[0];
    if (!row || !['new', 'partially_filled', 'pending_cancel'].includes(row.status)) return false;
    await conn.query('UPDATE orders SET status = ?, last_error = ?, updated_at = ? WHERE client_id = ?', [status, a.why.slice(0, 1000), a.ts, clientId]);
    await audit(conn, a, row.symbol, `order:${clientId}`, { status: row.status }, { status });
    return true;
  });
}

/** Audit row for an action on the exchange that changed nothing in the DB (e.g. a foreign order cancelled). */
export async function auditOnly(pool: Pool, symbol: string | null, subject: string, before: unknown, after: unknown, a: Audit): Promise<void> {
  await inTx(pool, async (conn) => void (await audit(conn, a, symbol, subject, before, after)));
}

/** Which of these client ids the DB has a row for (any status). */
export async function knownClientIds(pool: Pool, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await pool.query<Array<{ client_id: string }>>(`SELECT client_id FROM orders WHERE client_id IN (${ids.map(() => '?').join(',')})`, ids);
  return new Set(rows.map((r) => r.client_id));
}

/** `symbol|tradeId` of the stored fills of `symbol` at or after `since`. */
export async function knownFills(pool: Pool, symbol: string, since: number): Promise<Set<string>> {
  const rows = await pool.query<Array<{ trade_id: string }>>('SELECT trade_id FROM fills WHERE symbol = ? AND ts >= ?', [symbol, since]);
  return new Set(rows.map((r) => `${symbol}|${r.trade_id}`));
}

/** Stop and target of the intent behind a decision (null fields when it had none). */
export async function intentProtection(pool: Pool, decisionId: string | null): Promise<OpenLevels | undefined> {
  if (!decisionId) return undefined;
  type Stored = { stopLoss: string; takeProfits?: Array<{ price: string; fraction: number }> };
  const rows = await pool.query<Array<{ intent: string | Stored | null }>>('SELECT intent FROM decisions WHERE id = ?', [decisionId]);
  const raw = rows[0]?.intent;
  const intent = typeof raw === 'string' ? (JSON.parse(raw) as Stored) : raw;
  return intent ? levelsOf({ stopLoss: intent.stopLoss, takeProfits: intent.takeProfits ?? [] }) : undefined;
}

/** Unrealised PnL and mark of an open position, from the exchange's mark price. */
export async function markPosition(pool: Pool, id: number, markPrice: string, unrealizedPnl: string, ts: number): Promise<void> {
  await pool.query("UPDATE positions SET mark_price = ?, unrealized_pnl = ?, marked_at = ? WHERE id = ? AND status = 'open'", [markPrice, unrealizedPnl, ts, id]);
}

/** Realised PnL, fees and funding summed over every position (the totals behind an equity point). */
export async function pnlTotals(pool: Pool): Promise<{ realizedPnl: string; fees: string; funding: string }> {
  const r = (await pool.query<Array<{ r: string | null; f: string | null; u: string | null }>>('SELECT SUM(realized_pnl) AS r, SUM(fees) AS f, SUM(funding) AS u FROM positions'))[0];
  return { realizedPnl: str(dec(r?.r ?? 0)), fees: str(dec(r?.f ?? 0)), funding: str(dec(r?.u ?? 0)) };
}
