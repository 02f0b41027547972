// Full snapshots with their flow view and named signals, written in one transaction.
// Guarantees idempotence: a snapshot per (symbol, ts, kind), a flow and a signals row per (symbol, ts) —
// a replayed batch writes nothing twice, a failed one writes nothing.
import type { Pool } from 'mariadb';
import { SIGNAL_COLUMNS, signalsOf } from '../../analytics/signals.js';
import type { Snapshot } from '../../protocol/index.js';
import { inTx } from '../tx.js';

export async function insertFullSnapshots(pool: Pool, snaps: Snapshot[]): Promise<void> {
  if (!snaps.length) return;
  await inTx(pool, async (conn) => {
    await conn.batch(
      'INSERT IGNORE INTO snapshots (symbol, ts, kind, price, regime, data) VALUES (?, ?, ?, ?, ?, ?)',
      snaps.map((s) => [s.symbol, s.ts, s.kind, s.price, s.regime?.label ?? null, JSON.stringify(s)]),
    );
    const flows = snaps.filter((s) => s.flow);
    if (flows.length) {
      await conn.batch(
        `INSERT IGNORE INTO flows (symbol, ts, risk_score, crowd_bias, trap_index, funding_rate, oi_change_pct, sentiment, etf_flow_usd, warnings, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        flows.map((s) => {
          const f = s.flow!;
          return [s.symbol, s.ts, f.riskScore, f.crowdBias, f.trapIndex, f.fundingRate, f.oiChangePct, f.sentiment, f.etfFlowUsd, JSON.stringify(f.warnings), JSON.stringify(f)];
        }),
      );
    }
    await conn.batch(
      `INSERT IGNORE INTO signals (symbol, ts, ${SIGNAL_COLUMNS.join(', ')}) VALUES (?, ?${', ?'.repeat(SIGNAL_COLUMNS.length)})`,
      snaps.map((s) => {
        const r = signalsOf(s);
        return [s.symbol, s.ts, ...SIGNAL_COLUMNS.map((c) => r[c])];
      }),
    );
  });
}
