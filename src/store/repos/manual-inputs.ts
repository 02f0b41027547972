// Manual inputs in MariaDB: append-only history, and the latest valid value of each kind.
// Guarantees a stored row is re-validated when read (a hand-edited row that no longer validates is skipped).
import type { Pool, PoolConnection } from 'mariadb';
import { emptyManual, SCHEMAS, type ManualKind, type ManualRecord, type ManualState } from '../../analytics/manual-inputs.js';

export async function insertManualInput(pool: Pool | PoolConnection, r: { kind: ManualKind; asOf: number; receivedAt: number; payload: unknown; source?: string | null; comment?: string | null }): Promise<number> {
  const res = await pool.query<{ insertId: number }>(
    'INSERT INTO manual_inputs (kind, as_of, received_at, payload, source, comment) VALUES (?, ?, ?, ?, ?, ?)',
    [r.kind, r.asOf, r.receivedAt, JSON.stringify(r.payload), r.source ?? null, r.comment ?? null],
  );
  return Number(res.insertId);
}

interface Row {
  id: number;
  kind: string;
  as_of: number;
  received_at: number;
  payload: string | object;
}

export async function latestManualInputs(pool: Pool, onInvalid?: (id: number, kind: string, why: string) => void): Promise<ManualState> {
  const rows = await pool.query<Row[]>(
    'SELECT m.id, m.kind, m.as_of, m.received_at, m.payload FROM manual_inputs m JOIN (SELECT kind, MAX(id) AS id FROM manual_inputs GROUP BY kind) l ON l.id = m.id',
  );
  const out = emptyManual();
  for (const r of rows) {
    const kind = r.kind as ManualKind;
    const schema = SCHEMAS[kind];
    if (!schema) continue;
    const parsed = schema.safeParse(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload);
    if (!parsed.success) {
      onInvalid?.(r.id, r.kind, parsed.error.message);
      continue;
    }
    const rec = { id: r.id, kind, asOf: r.as_of, receivedAt: r.received_at, data: parsed.data } as ManualRecord;
    if (rec.kind === 'sentiment') out.sentiment = rec;
    else if (rec.kind === 'etf_flow') out.etfFlow = rec;
    else out.liquidations = rec;
  }
  return out;
}

export async function countManualInputs(pool: Pool): Promise<number> {
  const rows = await pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM manual_inputs');
  return Number(rows[0]!.n);
}
