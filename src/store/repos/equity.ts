// The equity curve in MariaDB and the day/week PnL derived from it.
// Guarantees PnL windows are UTC calendar day and ISO week (Monday 00:00 UTC), measured from the equity known at the
// window's start (the last point at or before it, else the first point after it).
import type { Pool } from 'mariadb';
import { dec, str } from '../../domain/decimal.js';

export interface EquityRow {
  ts: number;
  equity: string;
  balance: string;
  unrealizedPnl: string;
  source: string;
  /** Totals over all positions at this point: realised PnL (gross), fees paid, funding (received positive). */
  realizedPnl?: string;
  fees?: string;
  funding?: string;
}

export async function insertEquity(pool: Pool, p: EquityRow): Promise<void> {
  await pool.query('INSERT INTO equity_curve (ts, equity, balance, unrealized_pnl, source, realized_pnl, fees, funding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    p.ts, p.equity, p.balance, p.unrealizedPnl, p.source, p.realizedPnl ?? null, p.fees ?? null, p.funding ?? null,
  ]);
}

export const dayStart = (ts: number): number => ts - (ts % 86_400_000);
/** Monday 00:00 UTC of the week containing `ts` (the epoch was a Thursday). */
export const weekStart = (ts: number): number => dayStart(ts) - ((new Date(ts).getUTCDay() + 6) % 7) * 86_400_000;

/** Equity now minus the equity at `from` (last point at or before it, else the first after; 0 when there is none). */
export async function pnlSince(pool: Pool, from: number, equityNow: string): Promise<string> {
  const before = await pool.query<Array<{ equity: string }>>('SELECT equity FROM equity_curve WHERE ts <= ? ORDER BY ts DESC, id DESC LIMIT 1', [from]);
  const rows = before.length ? before : await pool.query<Array<{ equity: string }>>('SELECT equity FROM equity_curve WHERE ts >= ? ORDER BY ts, id LIMIT 1', [from]);
  return rows[0] ? str(dec(equityNow).sub(rows[0].equity)) : '0';
}
