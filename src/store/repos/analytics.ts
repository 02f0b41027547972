// Snapshots and decisions in MariaDB.
// Guarantees idempotence: a snapshot per (symbol, ts, kind) and a decision per id are written once.
import type { Pool } from 'mariadb';
import type { Decision, Snapshot } from '../../protocol/index.js';

export async function insertSnapshots(pool: Pool, snaps: Snapshot[]): Promise<void> {
  if (!snaps.length) return;
  await pool.batch(
    'INSERT IGNORE INTO snapshots (symbol, ts, kind, price, regime, data) VALUES (?, ?, ?, ?, ?, ?)',
    snaps.map((s) => [s.symbol, s.ts, s.kind, s.price, s.regime?.label ?? null, JSON.stringify(s)]),
  );
}

export async function lastSnapshot(pool: Pool, symbol: string, kind: Snapshot['kind'] = 'full'): Promise<Snapshot | null> {
  const rows = await pool.query<Array<{ data: string | Snapshot }>>('SELECT data FROM snapshots WHERE symbol = ? AND kind = ? ORDER BY ts DESC LIMIT 1', [symbol, kind]);
  const d = rows[0]?.data;
  return d === undefined ? null : typeof d === 'string' ? (JSON.parse(d) as Snapshot) : d;
}

export async function insertDecisions(pool: Pool, ds: Decision[], now: number): Promise<void> {
  if (!ds.length) return;
  await pool.batch(
    `INSERT IGNORE INTO decisions (id, symbol, ts, strategy, verdict, score, vetoed, vetoes, source_votes, intent, reasoning, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ds.map((d) => [d.decisionId, d.symbol, d.ts, d.strategy, d.verdict, d.score.toFixed(8), d.vetoes.length ? 1 : 0, JSON.stringify(d.vetoes), JSON.stringify({}), d.intent ? JSON.stringify(d.intent) : null, d.reasoning, now]),
  );
}

export async function lastIntentTs(pool: Pool): Promise<number | null> {
  const rows = await pool.query<Array<{ ts: number | null }>>('SELECT MAX(ts) AS ts FROM decisions WHERE intent IS NOT NULL');
  return rows[0]?.ts ?? null;
}
