// The pure comparison of the exchange's view with the DB's: which positions, orders and fills differ, and how.
// Guarantees: no IO; the same inputs give the same drifts in the same order; quantities compare within the lot step
// and average prices within 0.01 % (the reconciliation invariants), so a corrected DB compares equal.
import { dec, type Dec } from '../domain/decimal.js';
import type { ExFill, ExOrder, ExPosition } from '../exchange/types.js';
import type { Anomaly } from '../protocol/index.js';
import type { OrderRow, PositionRow } from './ledger.js';

/** Average prices within this fraction of the exchange's are equal. */
export const PRICE_TOLERANCE = '0.0001';

export interface ExchangeView {
  positions: ExPosition[];
  /** Open orders of both books (regular and conditional). */
  openOrders: ExOrder[];
  /** The exchange's fills since the DB's fill watermark (optional: only compared when given). */
  fills?: ExFill[];
}

export interface LedgerView {
  positions: PositionRow[];
  /** Rows in an open status (pending_submit, new, partially_filled, pending_cancel). */
  openOrders: OrderRow[];
  /** Every client id the DB has a row for, among those the exchange lists as open (or all of them). */
  knownClientIds: Set<string>;
  /** `symbol|tradeId` of every stored fill among `ExchangeView.fills`. */
  knownFills?: Set<string>;
}

export type DriftKind = 'orphan_position' | 'position_gone' | 'position_mismatch' | 'foreign_order' | 'order_missing' | 'unprotected' | 'missed_fill';

export interface Drift {
  kind: DriftKind;
  symbol: string;
  text: string;
  data?: Record<string, unknown>;
}

/** Quantities equal within half a lot step (exact when the step is unknown). */
export const sameQty = (a: string | Dec, b: string | Dec, step?: string): boolean =>
  step ? dec(a).sub(b).abs().lt(dec(step).div(2)) : dec(a).eq(b);

/** Average prices equal within PRICE_TOLERANCE of the exchange's (`ex`). */
export const samePrice = (ex: string | Dec, db: string | Dec): boolean => dec(ex).sub(db).abs().lte(dec(ex).abs().mul(PRICE_TOLERANCE));

/** The exchange position per symbol (only non-zero ones). */
const byExSymbol = (ps: ExPosition[]) => new Map(ps.filter((p) => dec(p.qty).gt(0)).map((p) => [p.symbol, p]));

/** A stop-loss on the exchange covers the position: it closes all of it, or at least its quantity. */
export const hasStop = (orders: ExOrder[], symbol: string, side: 'long' | 'short', qty: string | Dec): boolean =>
  orders.some((o) => o.symbol === symbol && o.conditional && o.type === 'stop_market' && o.side === (side === 'long' ? 'sell' : 'buy') && (o.closePosition || dec(o.qty).gte(qty)));

/** Every difference between the two views for `symbols`, in a stable order (symbol, then kind). */
export function compare(symbols: string[], ex: ExchangeView, db: LedgerView, qtyStep: (symbol: string) => string | undefined = () => undefined): Drift[] {
  const out: Drift[] = [];
  const exPos = byExSymbol(ex.positions);
  for (const symbol of [...symbols].sort()) {
    const e = exPos.get(symbol);
    const d = db.positions.find((p) => p.symbol === symbol && p.status === 'open');
    if (e && !d) out.push({ kind: 'orphan_position', symbol, text: `exchange holds ${e.side} ${e.qty} @ ${e.entryPrice}, the DB nothing`, data: { exchange: pos(e) } });
    else if (!e && d) out.push({ kind: 'position_gone', symbol, text: `DB position ${d.id} (${d.side} ${dec(d.qty)}) is not on the exchange`, data: { positionId: d.id } });
    else if (e && d && (e.side !== d.side || !sameQty(e.qty, d.qty, qtyStep(symbol)) || !samePrice(e.entryPrice, d.entry_price))) {
      out.push({
        kind: 'position_mismatch', symbol, text: `DB ${d.side} ${dec(d.qty)} @ ${dec(d.entry_price)}, exchange ${e.side} ${e.qty} @ ${e.entryPrice}`,
        data: { positionId: d.id, db: { side: d.side, qty: dec(d.qty).toString(), entryPrice: dec(d.entry_price).toString() }, exchange: pos(e) },
      });
    }
    if (e && !hasStop(ex.openOrders, symbol, e.side, e.qty)) out.push({ kind: 'unprotected', symbol, text: `${e.side} ${e.qty} has no stop-loss on the exchange` });
    const open = ex.openOrders.filter((o) => o.symbol === symbol).sort((a, b) => a.clientId.localeCompare(b.clientId));
    for (const o of open) {
      if (!db.knownClientIds.has(o.clientId)) out.push({ kind: 'foreign_order', symbol, text: `open ${o.type} ${o.side} order ${o.clientId} is unknown to the DB`, data: { clientId: o.clientId, type: o.type } });
    }
    const onEx = new Set(open.map((o) => o.clientId));
    for (const r of db.openOrders.filter((x) => x.symbol === symbol && x.status !== 'pending_submit')) {
      if (!onEx.has(r.client_id)) out.push({ kind: 'order_missing', symbol, text: `DB order ${r.client_id} (${r.leg}, ${r.status}) is not open on the exchange`, data: { clientId: r.client_id } });
    }
    if (ex.fills && db.knownFills) {
      const missed = ex.fills.filter((f) => f.symbol === symbol && !db.knownFills!.has(`${f.symbol}|${f.tradeId}`));
      if (missed.length) out.push({ kind: 'missed_fill', symbol, text: `${missed.length} fill(s) on the exchange are not in the DB`, data: { tradeIds: missed.map((f) => f.tradeId) } });
    }
  }
  return out;
}

const pos = (e: ExPosition) => ({ side: e.side, qty: e.qty, entryPrice: e.entryPrice });

const SEVERITY: Record<DriftKind, Anomaly['severity']> = {
  orphan_position: 'critical', position_gone: 'warning', position_mismatch: 'warning', foreign_order: 'warning',
  order_missing: 'warning', unprotected: 'critical', missed_fill: 'warning',
};

/** A drift as an alert with a stable code (`reconcile.<kind>`). */
export const driftAnomaly = (d: Drift, prefix = ''): Anomaly => ({
  kind: d.kind, code: `reconcile.${d.kind}`, severity: SEVERITY[d.kind], symbol: d.symbol, text: `${prefix}${d.symbol}: ${d.text}`, ...(d.data ? { data: d.data } : {}),
});
