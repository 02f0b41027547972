// The daily summary, read from MariaDB: equity and PnL, trades closed, open positions, decisions, operator actions.
// Guarantees one summary per UTC day of the daemon's clock (its notice id is the date), whatever restarts happen.
import type { Pool } from 'mariadb';
import type { Notice } from '../../machines/notifier.machine.js';
import { dec, str } from '../domain/decimal.js';
import { dayStart, pnlSince, weekStart } from '../store/repos/equity.js';

export const summaryId = (dueAt: number): string => `summary-${new Date(dueAt).toISOString().slice(0, 10)}`;

export async function dailySummary(pool: Pool, dueAt: number): Promise<Notice> {
  const from = dayStart(dueAt);
  const [eq] = await pool.query<Array<{ equity: string; balance: string }>>('SELECT equity, balance FROM equity_curve ORDER BY ts DESC, id DESC LIMIT 1');
  const closed = await pool.query<Array<{ realized_pnl: string; fees: string }>>(
    "SELECT realized_pnl, fees FROM positions WHERE status = 'closed' AND closed_at >= ? AND closed_at < ?",
    [from, dueAt + 1],
  );
  const open = await pool.query<Array<{ symbol: string; side: string; qty: string; entry_price: string; stop_loss: string | null }>>(
    "SELECT symbol, side, qty, entry_price, stop_loss FROM positions WHERE status = 'open' ORDER BY id",
  );
  const verdicts = await pool.query<Array<{ verdict: string; n: number }>>(
    'SELECT verdict, COUNT(*) AS n FROM decisions WHERE created_at >= ? AND created_at < ? GROUP BY verdict ORDER BY verdict',
    [from, dueAt + 1],
  );
  const [ops] = await pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM operator_actions WHERE clock_ts >= ? AND clock_ts < ?', [from, dueAt + 1]);
  const pnl = closed.reduce((a, r) => a.add(r.realized_pnl).sub(r.fees), dec(0));
  const wins = closed.filter((r) => dec(r.realized_pnl).sub(r.fees).gt(0)).length;
  const lines = [`${new Date(dueAt).toISOString().slice(0, 10)} (to ${new Date(dueAt).toISOString().slice(11, 16)} UTC)`];
  if (eq) {
    const [day, week] = await Promise.all([pnlSince(pool, from, eq.equity), pnlSince(pool, weekStart(dueAt), eq.equity)]);
    lines.push(`equity ${Number(eq.equity).toFixed(2)} (balance ${Number(eq.balance).toFixed(2)}); PnL today ${Number(day).toFixed(2)}, this week ${Number(week).toFixed(2)}`);
  } else lines.push('equity: not measured yet');
  lines.push(`trades closed today: ${closed.length}${closed.length ? ` (${wins} won), net ${Number(str(pnl)).toFixed(2)} after fees` : ''}`);
  lines.push(open.length ? `open: ${open.map((p) => `${p.side} ${str(p.qty)} ${p.symbol} @ ${str(p.entry_price)} stop ${p.stop_loss === null ? 'NONE' : str(p.stop_loss)}`).join('; ')}` : 'open: flat');
  lines.push(`decisions today: ${verdicts.length ? verdicts.map((v) => `${v.verdict} ${v.n}`).join(', ') : 'none'}`);
  if (Number(ops?.n ?? 0) > 0) lines.push(`operator actions today: ${ops!.n}`);
  return { sourceId: summaryId(dueAt), ts: dueAt, code: 'summary.daily', severity: 'info', text: lines.join('\n') };
}
