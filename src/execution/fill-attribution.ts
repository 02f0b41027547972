// Which fills may move the ledger: the attribution rule for fills as they arrive (pure), and the stray fill's record
// (the fill row, unattached to any position, and its audit row in one transaction).
// Guarantees: a fill with a non-finite, zero or negative price or quantity never reaches the ledger; a fill that cannot be
// attributed (unknown order with no position, a symbol not traded, reduce-only or the exchange's own close with no open
// position, one that would grow or flip a position it could only close) opens nothing and is recorded once.
import type { Pool } from 'mariadb';
import type { ExFill } from '../exchange/types.js';
import { inTx } from '../store/tx.js';

export type StrayKind = 'symbol_not_traded' | 'unknown_order' | 'reduce_only_without_position' | 'reduce_only_would_grow' | 'forced_without_position' | 'forced_would_grow';

export interface Stray {
  kind: StrayKind;
  text: string;
}

/** What is known of a fill when it arrives. */
export interface FillFacts {
  fill: Pick<ExFill, 'symbol' | 'side' | 'qty' | 'price' | 'tradeId' | 'clientId' | 'forced'>;
  /** Whether the config trades this symbol. */
  traded: boolean;
  /** Our order row for its client id (null: not one of ours). */
  order: { leg: string } | null;
  /** The symbol's open DB position, if any. */
  position: { side: 'long' | 'short'; qty: string } | null;
}

/** Why a fill's numbers cannot be booked (non-finite, zero or negative price or quantity, non-finite fee), or null. */
export function fillProblem(f: Pick<ExFill, 'qty' | 'price' | 'fee' | 'realizedPnl'>): string | null {
  const n = (v: unknown) => (typeof v === 'string' && /^[-+]?\d+(\.\d+)?$/.test(v) ? Number(v) : NaN);
  if (!(Number.isFinite(n(f.price)) && n(f.price) > 0)) return `price ${JSON.stringify(f.price)} is not a finite number > 0`;
  if (!(Number.isFinite(n(f.qty)) && n(f.qty) > 0)) return `quantity ${JSON.stringify(f.qty)} is not a finite number > 0`;
  if (!Number.isFinite(n(f.fee))) return `fee ${JSON.stringify(f.fee)} is not finite`;
  if (!Number.isFinite(n(f.realizedPnl))) return `realized PnL ${JSON.stringify(f.realizedPnl)} is not finite`;
  return null;
}

/** The attribution rule: null when the fill may be booked, else why it is a stray. */
export function strayFill(x: FillFacts): Stray | null {
  const f = x.fill;
  const what = `fill ${f.tradeId} (${f.side} ${f.qty} ${f.symbol} @ ${f.price}${f.clientId ? `, order ${f.clientId}` : ''})`;
  if (!x.traded) return { kind: 'symbol_not_traded', text: `${what}: ${f.symbol} is not traded by this config; nothing booked` };
  const dir = f.side === 'buy' ? 'long' : 'short';
  const p = x.position;
  const grows = !!p && p.side === dir;
  const flips = !!p && p.side !== dir && Number(f.qty) > Number(p.qty);
  if (f.forced) {
    if (!p) return { kind: 'forced_without_position', text: `${what}: the exchange's own close (${f.forced}) with no open position; nothing opened` };
    if (grows || flips) return { kind: 'forced_would_grow', text: `${what}: the exchange's own close (${f.forced}) would ${grows ? 'grow' : 'flip'} the ${p.side} ${p.qty}; not booked` };
    return null;
  }
  if (x.order && x.order.leg !== 'entry' && x.order.leg !== 'adopted') {
    if (!p) return { kind: 'reduce_only_without_position', text: `${what}: a ${x.order.leg} (reduce-only) fill with no open position; nothing opened` };
    if (grows || flips) return { kind: 'reduce_only_would_grow', text: `${what}: a ${x.order.leg} (reduce-only) fill would ${grows ? 'grow' : 'flip'} the ${p.side} ${p.qty}; not booked` };
    return null;
  }
  if (!x.order && !p) return { kind: 'unknown_order', text: `${what}: not an order of ours and no open position to close; nothing opened` };
  return null;
}

/**
 * Records a stray fill: the fill row (no position) so it is seen once, and a reconcile_audit row, in one transaction.
 * Returns false when the fill was already stored (nothing new to report).
 */
export async function recordStray(pool: Pool, f: ExFill, s: Stray, now: number): Promise<boolean> {
  return inTx(pool, async (conn) => {
    const ins = await conn.query<{ affectedRows: number }>(
      `INSERT IGNORE INTO fills (symbol, trade_id, client_id, exchange_order_id, side, qty, price, fee, fee_asset, realized_pnl, is_maker, ts, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [f.symbol, f.tradeId, f.clientId, f.exchangeOrderId, f.side, f.qty, f.price, f.fee, f.feeAsset, f.realizedPnl, f.isMaker ? 1 : 0, f.ts, now],
    );
    if (ins.affectedRows === 0) return false;
    await conn.query('INSERT INTO reconcile_audit (ts, symbol, code, subject, before_state, after_state, why) VALUES (?, ?, ?, ?, NULL, ?, ?)', [
      now, f.symbol, `execution.stray_fill`, `fill:${f.tradeId}`.slice(0, 96), JSON.stringify({ kind: s.kind, fill: f }), s.text,
    ]);
    return true;
  });
}
