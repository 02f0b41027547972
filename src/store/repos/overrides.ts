// Signal weight overrides in MariaDB (walk-forward's demotion or re-elevation of the ML signal), with their history.
// Guarantees each change is logged with the previous multiplier, in the same transaction as the change.
import type { Pool } from 'mariadb';
import { inTx } from '../tx.js';

export interface OverrideRow {
  scope: string;
  source: string;
  multiplier: string;
  origin: string;
  ref_id: number | null;
  reason: string;
  updated_at: number;
}

/** Multipliers by source for a strategy preset (what the decision engine applies). */
export async function loadOverrides(pool: Pool, scope: string): Promise<Record<string, number>> {
  const rows = await pool.query<OverrideRow[]>('SELECT * FROM signal_weight_overrides WHERE scope = ? ORDER BY source', [scope]);
  return Object.fromEntries(rows.map((r) => [r.source, Number(r.multiplier)]));
}

export async function listOverrides(pool: Pool, scope?: string): Promise<OverrideRow[]> {
  return pool.query<OverrideRow[]>(`SELECT * FROM signal_weight_overrides${scope ? ' WHERE scope = ?' : ''} ORDER BY scope, source`, scope ? [scope] : []);
}

export interface OverrideChange {
  scope: string;
  source: string;
  multiplier: number;
  origin: string;
  refId: number | null;
  reason: string;
  now: number;
}

/** Sets a multiplier; returns the previous one (null when there was none). */
export async function setOverride(pool: Pool, c: OverrideChange): Promise<number | null> {
  return inTx(pool, async (conn) => {
    const [old] = await conn.query<OverrideRow[]>('SELECT * FROM signal_weight_overrides WHERE scope = ? AND source = ? FOR UPDATE', [c.scope, c.source]);
    const m = c.multiplier.toFixed(8);
    const reason = c.reason.slice(0, 255);
    await conn.query(
      `INSERT INTO signal_weight_overrides (scope, source, multiplier, origin, ref_id, reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE multiplier = VALUES(multiplier), origin = VALUES(origin), ref_id = VALUES(ref_id), reason = VALUES(reason), updated_at = VALUES(updated_at)`,
      [c.scope, c.source, m, c.origin, c.refId, reason, c.now],
    );
    await conn.query(
      'INSERT INTO signal_weight_override_history (scope, source, ts, old_multiplier, new_multiplier, origin, ref_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [c.scope, c.source, c.now, old ? old.multiplier : null, m, c.origin, c.refId, reason],
    );
    return old ? Number(old.multiplier) : null;
  });
}
