// Risk state in MariaDB: breakers (fired, cleared by period end or operator) and keyed values; closed-trade history for restore.
// Guarantees a breaker is recorded once while in force (unique active code) and survives any restart until cleared.
import type { Pool } from 'mariadb';
import type { Breaker, BreakerCode } from '../../decision/risk.js';
import { inTx } from '../tx.js';

/** Marks breakers whose period ended as cleared (`period_end`). */
async function clearLapsed(db: { query: Pool['query'] }, now: number, codes?: BreakerCode[]): Promise<void> {
  await db.query(
    `UPDATE risk_breakers SET cleared_at = until_ts, cleared_by = 'period_end'
     WHERE cleared_at IS NULL AND until_ts IS NOT NULL AND until_ts <= ?${codes ? ' AND code IN (?)' : ''}`,
    codes ? [now, codes] : [now],
  );
}

export async function fireBreakers(pool: Pool, bs: Breaker[]): Promise<void> {
  if (!bs.length) return;
  await inTx(pool, async (conn) => {
    await clearLapsed(conn, Math.min(...bs.map((b) => b.firedAt)), bs.map((b) => b.code));
    for (const b of bs) {
      await conn.query('INSERT IGNORE INTO risk_breakers (code, fired_at, until_ts, reason, flatten) VALUES (?, ?, ?, ?, ?)', [b.code, b.firedAt, b.until, b.reason, b.flatten ? 1 : 0]);
    }
  });
}

export async function clearBreakers(pool: Pool, codes: BreakerCode[], by: 'period_end' | 'operator', at: number): Promise<void> {
  if (!codes.length) return;
  if (by === 'period_end') await clearLapsed(pool, at, codes);
  else await pool.query(`UPDATE risk_breakers SET cleared_at = ?, cleared_by = 'operator' WHERE cleared_at IS NULL AND code IN (?)`, [at, codes]);
}

/** Breakers in force at `now` (lapsed ones are cleared on the way). */
export async function activeBreakerRows(pool: Pool, now: number): Promise<Breaker[]> {
  await clearLapsed(pool, now);
  const rows = await pool.query<Array<{ code: BreakerCode; fired_at: number; until_ts: number | null; reason: string; flatten: number }>>(
    'SELECT code, fired_at, until_ts, reason, flatten FROM risk_breakers WHERE cleared_at IS NULL ORDER BY id');
  return rows.map((r) => ({ code: r.code, firedAt: Number(r.fired_at), until: r.until_ts === null ? null : Number(r.until_ts), reason: r.reason, flatten: !!r.flatten }));
}

export async function setRiskValue(pool: Pool, k: string, v: unknown, now: number): Promise<void> {
  await pool.query('INSERT INTO risk_state (k, v, updated_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v), updated_at = VALUES(updated_at)', [k, JSON.stringify(v), now]);
}

export async function getRiskValue<T>(pool: Pool, k: string): Promise<T | null> {
  const rows = await pool.query<Array<{ v: string | T }>>('SELECT v FROM risk_state WHERE k = ?', [k]);
  const v = rows[0]?.v;
  return v === undefined ? null : typeof v === 'string' ? (JSON.parse(v) as T) : v;
}

/** Net results of the most recent closed positions (newest first), and totals for the win rate. */
export async function closedTrades(pool: Pool, recent = 20): Promise<{ recent: Array<{ net: number; closedAt: number }>; trades: number; wins: number }> {
  const rows = await pool.query<Array<{ net: string; closed_at: number }>>(
    "SELECT realized_pnl - fees - funding AS net, closed_at FROM positions WHERE status = 'closed' AND closed_at IS NOT NULL ORDER BY closed_at DESC, id DESC LIMIT ?", [recent]);
  const tot = await pool.query<Array<{ n: number | bigint; w: number | bigint | null }>>(
    "SELECT COUNT(*) AS n, SUM(realized_pnl - fees - funding > 0) AS w FROM positions WHERE status = 'closed'");
  return { recent: rows.map((r) => ({ net: Number(r.net), closedAt: Number(r.closed_at) })), trades: Number(tot[0]?.n ?? 0), wins: Number(tot[0]?.w ?? 0) };
}
