// Key-value facts about the database itself (mode, clock anchor) in the meta table.
// Guarantees writes are upserts; reads of a missing key return null.
import type { Pool } from 'mariadb';
import type { Conn } from '../pool.js';

export async function getMeta(db: Pool | Conn, k: string): Promise<string | null> {
  const rows = await db.query<Array<{ v: string }>>('SELECT v FROM meta WHERE k = ?', [k]);
  return rows[0]?.v ?? null;
}

export async function setMeta(db: Pool | Conn, k: string, v: string, now: number): Promise<void> {
  await db.query('INSERT INTO meta (k, v, updated_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v), updated_at = VALUES(updated_at)', [k, v, now]);
}
