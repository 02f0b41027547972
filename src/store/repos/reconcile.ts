// Reconciliation's own tables: the per-symbol fill watermark and funding payments (audit rows: execution/reconcile-ledger).
// Guarantees: a funding payment is stored and added to its position once (unique transaction id, one transaction);
// the watermark only moves forward.
import type { Pool } from 'mariadb';
import type { FundingPayment } from '../../exchange/types.js';
import { inTx } from '../tx.js';

/** Every fill of `symbol` before this time is in the DB (null: nothing known). */
export async function fillWatermark(pool: Pool, symbol: string): Promise<number | null> {
  const rows = await pool.query<Array<{ t: number }>>('SELECT fills_complete_to AS t FROM reconcile_state WHERE symbol = ?', [symbol]);
  return rows[0] ? Number(rows[0].t) : null;
}

export async function advanceFillWatermark(pool: Pool, symbol: string, ts: number, now: number): Promise<void> {
  await pool.query(
    'INSERT INTO reconcile_state (symbol, fills_complete_to, updated_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE fills_complete_to = GREATEST(fills_complete_to, VALUES(fills_complete_to)), updated_at = VALUES(updated_at)',
    [symbol, ts, now],
  );
}

/**
 * Stores the payment once and adds it to the position of its symbol that was open at its time. Returns false for a
 * payment already stored.
 */
export async function recordFunding(pool: Pool, f: FundingPayment, now: number): Promise<boolean> {
  return inTx(pool, async (conn) => {
    const pos = await conn.query<Array<{ id: number }>>(
      'SELECT id FROM positions WHERE symbol = ? AND opened_at <= ? AND (closed_at IS NULL OR closed_at >= ?) ORDER BY opened_at DESC, id DESC LIMIT 1',
      [f.symbol, f.ts, f.ts],
    );
    const positionId = pos[0]?.id ?? null;
    const ins = await conn.query<{ affectedRows: number }>(
      'INSERT IGNORE INTO funding_payments (symbol, tran_id, amount, asset, position_id, ts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [f.symbol, f.tranId, f.amount, f.asset, positionId, f.ts, now],
    );
    if (ins.affectedRows === 0) return false;
    if (positionId !== null) await conn.query('UPDATE positions SET funding = funding + ? WHERE id = ?', [f.amount, positionId]);
    return true;
  });
}

export async function lastFundingTs(pool: Pool, symbol: string): Promise<number | null> {
  const rows = await pool.query<Array<{ t: number | null }>>('SELECT MAX(ts) AS t FROM funding_payments WHERE symbol = ?', [symbol]);
  return rows[0]?.t === null || rows[0]?.t === undefined ? null : Number(rows[0].t);
}

/** Imports the exchange's funding payments since shortly before the last stored one; returns how many were new. */
export async function syncFunding(pool: Pool, fetch: (symbol: string, since: number) => Promise<FundingPayment[]>, symbols: string[], now: number): Promise<number> {
  let n = 0;
  for (const symbol of symbols) {
    const last = await lastFundingTs(pool, symbol);
    for (const f of await fetch(symbol, last === null ? 0 : last - 60_000)) if (await recordFunding(pool, f, now)) n++;
  }
  return n;
}
