// Snapshots in MariaDB (decisions: repos/decisions.ts).
// Guarantees idempotence: a snapshot per (symbol, ts, kind) is written once.
import type { Pool } from 'mariadb';
import type { Snapshot } from '../../protocol/index.js';

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
