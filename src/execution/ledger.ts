// The execution ledger in MariaDB: write-ahead order rows, fills stored once, positions derived from fills.
// Guarantees: a fill is applied exactly once (unique trade id, same transaction as the position change);
// at most one open position per symbol (unique index); order statuses move only through the status table.
import type { Pool, PoolConnection } from 'mariadb';
import { dec, str } from '../domain/decimal.js';
import type { Leg } from '../domain/ids.js';
import { isOpen, nextStatus, type OrderEvent, type OrderStatus } from '../domain/order-status.js';
import type { ExFill, ExOrder, OrderRequest } from '../exchange/types.js';
import type { PositionEvent, PositionView, Side } from '../protocol/index.js';
import { inTx } from '../store/tx.js';
import { isTargetLeg, type HeldOrder, type PlanPosition, type TargetLevel } from './policy/protection.js';
import { InvariantError } from '../errors.js';
import { fillProblem } from './fill-attribution.js';

export interface OrderRow {
  client_id: string;
  decision_id: string | null;
  position_id: number | null;
  symbol: string;
  leg: Leg;
  attempt: number;
  side: 'buy' | 'sell';
  type: string;
  qty: string;
  price: string | null;
  stop_price: string | null;
  status: OrderStatus;
  filled_qty: string;
  /** What the exchange last said this order executed; may run ahead of filled_qty (fills not recorded yet). */
  executed_qty: string;
  avg_price: string | null;
  exchange_order_id: string | null;
  created_at: number;
}

export interface PositionRow {
  id: number;
  symbol: string;
  side: Side;
  status: 'open' | 'closed';
  qty: string;
  /** Largest quantity the position reached (take-profit legs are shares of it); null on rows from before legs. */
  max_qty: string | null;
  entry_price: string;
  exit_price: string | null;
  stop_loss: string | null;
  take_profit: string | null;
  /** Take-profit legs `[{ price, fraction }]` (JSON); null: none known (take_profit alone, or the defaults). */
  take_profits: string | TargetLevel[] | null;
  /** Best price since the position opened (trailing rules); null until the execution loop first saw it. */
  peak_price: string | null;
  /** The stop-loss the position opened with (1R for the breakeven move). */
  initial_stop: string | null;
  realized_pnl: string;
  fees: string;
  exit_reason: string | null;
  decision_id: string | null;
  opened_at: number;
  closed_at: number | null;
}

export type FillOutcome =
  | { kind: 'duplicate' }
  | { kind: 'opened' | 'increased' | 'reduced' | 'closed'; position: PositionRow; order: OrderRow | null };

const EXIT_REASON: Partial<Record<Leg, string>> = { sl: 'stop_loss', tp: 'take_profit', tp2: 'take_profit', tp3: 'take_profit', exit: 'signal', flatten: 'flatten', time: 'max_hold', trail: 'trailing_stop' };

const exToEvent = (o: ExOrder): OrderEvent =>
  ({ new: 'accepted', partially_filled: 'partial_fill', filled: 'fill', cancelled: 'cancelled', rejected: 'rejected', expired: 'expired' } as const)[o.status];

export class Ledger {
  constructor(private readonly pool: Pool, private readonly now: () => number) {}

  /** The pool, for reconciliation's own writes (src/execution/reconcile-ledger.ts). */
  get db(): Pool {
    return this.pool;
  }

  /** Commits the order row before any exchange call (write-ahead). Idempotent on the client id. */
  async insertPending(req: OrderRequest, meta: { decisionId: string | null; positionId: number | null; leg: Leg; attempt: number }): Promise<void> {
    await this.insertPendingIfNew(req, meta);
  }

  /** As insertPending, in one round trip: null when written now, else the row this client id already had. */
  async insertPendingIfNew(req: OrderRequest, meta: { decisionId: string | null; positionId: number | null; leg: Leg; attempt: number }): Promise<OrderRow | null> {
    const t = this.now();
    const r = await this.pool.query<{ affectedRows: number }>(
      `INSERT IGNORE INTO orders (client_id, decision_id, position_id, symbol, leg, attempt, side, type, qty, price, stop_price, reduce_only, close_position, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending_submit', ?, ?)`,
      [req.clientId, meta.decisionId, meta.positionId, req.symbol, meta.leg, meta.attempt, req.side, req.type, req.qty ?? '0', req.price ?? null, req.stopPrice ?? null, req.reduceOnly ? 1 : 0, req.closePosition ? 1 : 0, t, t],
    );
    return r.affectedRows === 1 ? null : this.order(req.clientId);
  }

  async order(clientId: string, conn: Pool | PoolConnection = this.pool): Promise<OrderRow | null> {
    const rows = await conn.query<OrderRow[]>('SELECT * FROM orders WHERE client_id = ?', [clientId]);
    return rows[0] ?? null;
  }

  async openOrders(symbol?: string): Promise<OrderRow[]> {
    const rows = await this.pool.query<OrderRow[]>(
      `SELECT * FROM orders WHERE status IN ('pending_submit','new','partially_filled','pending_cancel') ${symbol ? 'AND symbol = ?' : ''} ORDER BY id`,
      symbol ? [symbol] : [],
    );
    return rows;
  }

  /** Applies what the exchange says about an order (status, exchange id) through the status table. */
  async applyOrderUpdate(o: ExOrder): Promise<OrderStatus | null> {
    return inTx(this.pool, async (conn) => {
      const rows = await conn.query<OrderRow[]>('SELECT * FROM orders WHERE client_id = ? FOR UPDATE', [o.clientId]);
      const row = rows[0];
      if (!row) return null;
      const next = nextStatus(row.status, exToEvent(o), dec(row.filled_qty).gt(0));
      const status = next instanceof Error ? row.status : next;
      await conn.query('UPDATE orders SET status = ?, exchange_order_id = COALESCE(exchange_order_id, ?), executed_qty = GREATEST(executed_qty, ?), updated_at = ? WHERE client_id = ?',
        [status, o.exchangeId, o.filledQty, this.now(), o.clientId]);
      return status;
    });
  }

  async markNeverPlaced(clientId: string, reason: string): Promise<void> {
    await this.setStatusByEvent(clientId, 'not_found', reason);
  }

  async markRejected(clientId: string, reason: string): Promise<void> {
    await this.setStatusByEvent(clientId, 'rejected', reason);
  }

  /** Moves an order through the status table on an event of ours (cancel requested, cancel failed). */
  async applyEvent(clientId: string, event: OrderEvent, reason = ''): Promise<void> {
    await this.setStatusByEvent(clientId, event, reason);
  }

  /** Every order of one leg of a decision, by attempt. */
  async legOrders(decisionId: string, leg: Leg): Promise<OrderRow[]> {
    return this.pool.query<OrderRow[]>('SELECT * FROM orders WHERE decision_id = ? AND leg = ? ORDER BY attempt', [decisionId, leg]);
  }

  /** Take-profit legs of a position that have filled (reduce-only legs close their share once). */
  async filledTargets(positionId: number): Promise<Set<Leg>> {
    const rows = await this.pool.query<Array<{ leg: Leg }>>(
      "SELECT DISTINCT leg FROM orders WHERE position_id = ? AND leg IN ('tp','tp2','tp3') AND filled_qty > 0", [positionId]);
    return new Set(rows.map((r) => r.leg));
  }

  /** The exchange's open orders with the leg each has in our ledger (null: not ours, or unknown). */
  async held(orders: ExOrder[]): Promise<HeldOrder[]> {
    if (!orders.length) return [];
    const rows = await this.pool.query<Array<{ client_id: string; leg: Leg }>>(
      `SELECT client_id, leg FROM orders WHERE client_id IN (${orders.map(() => '?').join(',')})`, orders.map((o) => o.clientId));
    const legs = new Map(rows.map((r) => [r.client_id, r.leg]));
    return orders.map((o) => ({ ...o, leg: legs.get(o.clientId) ?? null }));
  }

  /** How many orders of this leg were written for a position. */
  async legCount(positionId: number, leg: Leg): Promise<number> {
    const rows = await this.pool.query<Array<{ n: number | bigint }>>('SELECT COUNT(*) AS n FROM orders WHERE position_id = ? AND leg = ?', [positionId, leg]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Orders of a position's exits at market (max hold, trailing exit, flatten) that may still be working. */
  async openExits(positionId: number): Promise<OrderRow[]> {
    return this.pool.query<OrderRow[]>(
      "SELECT * FROM orders WHERE position_id = ? AND leg IN ('time','trail','exit','flatten') AND status IN ('pending_submit','new','partially_filled','pending_cancel')",
      [positionId],
    );
  }

  /** The stop rules' memory: best price seen and the stop the position opened with (kept once set). */
  async setPeak(positionId: number, peak: string, initialStop: string | null): Promise<void> {
    await this.pool.query('UPDATE positions SET peak_price = ?, initial_stop = COALESCE(initial_stop, ?), updated_at = ? WHERE id = ?', [peak, initialStop, this.now(), positionId]);
  }

  private async setStatusByEvent(clientId: string, event: OrderEvent, reason: string): Promise<void> {
    await inTx(this.pool, async (conn) => {
      const row = (await conn.query<OrderRow[]>('SELECT * FROM orders WHERE client_id = ? FOR UPDATE', [clientId]))[0];
      if (!row) return;
      const next = nextStatus(row.status, event, dec(row.filled_qty).gt(0));
      if (next instanceof Error) return;
      await conn.query('UPDATE orders SET status = ?, last_error = COALESCE(?, last_error), updated_at = ? WHERE client_id = ?', [next, reason ? reason.slice(0, 1000) : null, this.now(), clientId]);
    });
  }

  async openPosition(symbol: string, conn: Pool | PoolConnection = this.pool): Promise<PositionRow | null> {
    const rows = await conn.query<PositionRow[]>("SELECT * FROM positions WHERE symbol = ? AND status = 'open'", [symbol]);
    return rows[0] ?? null;
  }

  async openPositions(): Promise<PositionRow[]> {
    return this.pool.query<PositionRow[]>("SELECT * FROM positions WHERE status = 'open' ORDER BY id");
  }

  async lastFillTs(): Promise<number | null> {
    const rows = await this.pool.query<Array<{ ts: number | null }>>('SELECT MAX(ts) AS ts FROM fills');
    return rows[0]?.ts ?? null;
  }

  async setProtection(positionId: number, stopLoss: string | null, takeProfit: string | null): Promise<void> {
    await this.pool.query('UPDATE positions SET stop_loss = COALESCE(?, stop_loss), take_profit = COALESCE(?, take_profit), updated_at = ? WHERE id = ?', [stopLoss, takeProfit, this.now(), positionId]);
  }

  /** Levels a position had none of (defaults, or an imported position's): only what is still unset is written. */
  async setLevels(positionId: number, stopLoss: string, takeProfits: TargetLevel[]): Promise<void> {
    await this.pool.query(
      `UPDATE positions SET stop_loss = COALESCE(stop_loss, ?),
         take_profits = CASE WHEN take_profit IS NULL AND take_profits IS NULL THEN ? ELSE take_profits END,
         take_profit = COALESCE(take_profit, ?), updated_at = ? WHERE id = ?`,
      [stopLoss, JSON.stringify(takeProfits), takeProfits[0]?.price ?? null, this.now(), positionId],
    );
  }

  /**
   * Stores the fill once and moves the position accordingly, in one transaction. `open` gives stop and
   * target for a position this fill opens; `reasonIfUnknown` names the exit when the order is not ours.
   */
  async recordFill(f: ExFill, open?: OpenLevels, reasonIfUnknown = 'external'): Promise<FillOutcome> {
    const insane = fillProblem(f);
    if (insane) throw new InvariantError(`fill ${f.tradeId} (${f.symbol}) refused: ${insane}`);
    return inTx(this.pool, async (conn) => {
      const t = this.now();
      const ins = await conn.query<{ affectedRows: number }>(
        `INSERT IGNORE INTO fills (symbol, trade_id, client_id, exchange_order_id, side, qty, price, fee, fee_asset, realized_pnl, is_maker, ts, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [f.symbol, f.tradeId, f.clientId, f.exchangeOrderId, f.side, f.qty, f.price, f.fee, f.feeAsset, f.realizedPnl, f.isMaker ? 1 : 0, f.ts, t],
      );
      if (ins.affectedRows === 0) return { kind: 'duplicate' };
      const order = f.clientId ? ((await conn.query<OrderRow[]>('SELECT * FROM orders WHERE client_id = ? FOR UPDATE', [f.clientId]))[0] ?? null) : null;
      const pos = (await conn.query<PositionRow[]>("SELECT * FROM positions WHERE symbol = ? AND status = 'open' FOR UPDATE", [f.symbol]))[0];
      const dir: Side = f.side === 'buy' ? 'long' : 'short';
      let outcome: FillOutcome['kind'];
      let positionId: number;
      if (!pos) {
        const r = await conn.query<{ insertId: number }>(
          `INSERT INTO positions (symbol, side, status, qty, max_qty, entry_price, stop_loss, take_profit, take_profits, initial_stop, fees, decision_id, opened_at, updated_at)
           VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            f.symbol, dir, f.qty, f.qty, f.price, open?.stopLoss ?? null, open?.takeProfits[0]?.price ?? null, open?.takeProfits.length ? JSON.stringify(open.takeProfits) : null,
            open?.stopLoss ?? null, f.fee, order?.decision_id ?? null, f.ts, t,
          ],
        );
        positionId = r.insertId;
        outcome = 'opened';
        // The stop placed before the entry (named by the decision) is this position's stop from now on.
        if (order?.leg === 'entry' && order.decision_id) {
          await conn.query("UPDATE orders SET position_id = ? WHERE decision_id = ? AND leg = 'sl' AND position_id IS NULL", [positionId, order.decision_id]);
        }
      } else if (pos.side === dir) {
        const qty = dec(pos.qty).add(f.qty);
        const entry = dec(pos.entry_price).mul(pos.qty).add(dec(f.price).mul(f.qty)).div(qty);
        await conn.query('UPDATE positions SET qty = ?, max_qty = GREATEST(COALESCE(max_qty, 0), ?), entry_price = ?, fees = fees + ?, updated_at = ? WHERE id = ?', [str(qty), str(qty), str(entry), f.fee, t, pos.id]);
        positionId = pos.id;
        outcome = 'increased';
      } else {
        const closeQty = dec(f.qty).gt(pos.qty) ? dec(pos.qty) : dec(f.qty);
        const diff = dec(f.price).sub(pos.entry_price).mul(closeQty);
        const pnl = pos.side === 'long' ? diff : diff.neg();
        const left = dec(pos.qty).sub(closeQty);
        if (left.isZero()) {
          // The exchange's own closes name themselves: liquidation, adl, insurance, settlement.
          const reason = order ? (EXIT_REASON[order.leg] ?? 'external') : (f.forced ?? reasonIfUnknown);
          await conn.query(
            `UPDATE positions SET status = 'closed', exit_price = ?, realized_pnl = realized_pnl + ?, fees = fees + ?, exit_reason = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
            [f.price, str(pnl), f.fee, reason, f.ts, t, pos.id],
          );
          outcome = 'closed';
          // A fill larger than the position flipped it (one-way mode): the rest is a new position at the fill price.
          const rest = dec(f.qty).sub(closeQty);
          if (rest.gt(0)) {
            await conn.query(
              `INSERT INTO positions (symbol, side, status, qty, max_qty, entry_price, fees, decision_id, opened_at, updated_at) VALUES (?, ?, 'open', ?, ?, ?, 0, NULL, ?, ?)`,
              [f.symbol, dir, str(rest), str(rest), f.price, f.ts, t],
            );
          }
        } else {
          await conn.query('UPDATE positions SET qty = ?, realized_pnl = realized_pnl + ?, fees = fees + ?, updated_at = ? WHERE id = ?', [str(left), str(pnl), f.fee, t, pos.id]);
          outcome = 'reduced';
        }
        positionId = pos.id;
      }
      await conn.query('UPDATE fills SET position_id = ? WHERE symbol = ? AND trade_id = ?', [positionId, f.symbol, f.tradeId]);
      let updatedOrder: OrderRow | null = null;
      if (order) {
        const filled = dec(order.filled_qty).add(f.qty);
        const avg = order.avg_price ? dec(order.avg_price).mul(order.filled_qty).add(dec(f.price).mul(f.qty)).div(filled) : dec(f.price);
        const full = order.type !== 'limit' || filled.gte(order.qty);
        const next = nextStatus(order.status, full ? 'fill' : 'partial_fill', true);
        const status = next instanceof Error ? order.status : next;
        await conn.query('UPDATE orders SET filled_qty = ?, avg_price = ?, status = ?, position_id = COALESCE(position_id, ?), updated_at = ? WHERE client_id = ?', [str(filled), str(avg), status, positionId, t, order.client_id]);
        updatedOrder = { ...order, filled_qty: str(filled), avg_price: str(avg), status };
      }
      const position = (await conn.query<PositionRow[]>('SELECT * FROM positions WHERE id = ?', [positionId]))[0]!;
      return { kind: outcome, position, order: updatedOrder };
    });
  }

  /** Corrects the DB position to what the exchange holds; the difference is returned for the audit log. */
  async correctPosition(p: PositionRow, qty: string, entryPrice: string): Promise<void> {
    await this.pool.query('UPDATE positions SET qty = ?, entry_price = ?, updated_at = ? WHERE id = ?', [qty, entryPrice, this.now(), p.id]);
  }

  async importPosition(symbol: string, side: Side, qty: string, entryPrice: string, ts: number): Promise<PositionRow> {
    const r = await this.pool.query<{ insertId: number }>(
      `INSERT INTO positions (symbol, side, status, qty, max_qty, entry_price, opened_at, updated_at, exit_reason) VALUES (?, ?, 'open', ?, ?, ?, ?, ?, NULL)`,
      [symbol, side, qty, qty, entryPrice, ts, this.now()],
    );
    return (await this.pool.query<PositionRow[]>('SELECT * FROM positions WHERE id = ?', [r.insertId]))[0]!;
  }

  async closeExternally(p: PositionRow, reason: string, ts: number): Promise<void> {
    await this.pool.query("UPDATE positions SET status = 'closed', exit_reason = ?, closed_at = ?, updated_at = ? WHERE id = ? AND status = 'open'", [reason, ts, this.now(), p.id]);
  }
}

/** Stop and take-profit legs for a position a fill opens (from its intent). */
export interface OpenLevels {
  stopLoss: string | null;
  takeProfits: TargetLevel[];
}

/** Levels of the position an intent opens: its stop and every take-profit leg. */
export const levelsOf = (i: { stopLoss: string; takeProfits: TargetLevel[] }): OpenLevels => ({ stopLoss: i.stopLoss, takeProfits: i.takeProfits.map((l) => ({ price: l.price, fraction: l.fraction })) });

/** The position's take-profit legs: its own list, else its single take_profit for all of it, else none. */
export function targetsOf(p: Pick<PositionRow, 'take_profits' | 'take_profit'>): TargetLevel[] {
  const raw = typeof p.take_profits === 'string' ? (JSON.parse(p.take_profits) as TargetLevel[]) : p.take_profits;
  if (raw?.length) return raw.map((l) => ({ price: str(l.price), fraction: Number(l.fraction) }));
  return p.take_profit === null ? [] : [{ price: str(p.take_profit), fraction: 1 }];
}

/** A positions row as the execution policy sees it. */
export const planPosition = (p: PositionRow): PlanPosition => ({
  id: p.id, symbol: p.symbol, side: p.side, qty: str(p.qty), maxQty: str(p.max_qty ?? p.qty), entryPrice: str(p.entry_price),
  stopLoss: p.stop_loss === null ? null : str(p.stop_loss), takeProfits: targetsOf(p), decisionId: p.decision_id, openedAt: p.opened_at,
});

export { isTargetLeg };

export const positionView = (symbol: string, p: PositionRow | null, mark?: number): PositionView => {
  if (!p) return { symbol, positionId: null, side: null, qty: '0', entryPrice: null, stopLoss: null, takeProfit: null, unrealizedPnl: '0' };
  const diff = mark === undefined ? dec(0) : dec(mark).sub(p.entry_price).mul(p.qty);
  return {
    symbol, positionId: p.id, side: p.side, qty: str(p.qty), entryPrice: str(p.entry_price),
    stopLoss: p.stop_loss === null ? null : str(p.stop_loss), takeProfit: p.take_profit === null ? null : str(p.take_profit),
    unrealizedPnl: str(p.side === 'long' ? diff : diff.neg()),
  };
};

export const positionEvent = (p: PositionRow, ts?: number): PositionEvent => ({
  positionId: p.id, symbol: p.symbol, side: p.side, qty: str(p.qty), entryPrice: str(p.entry_price),
  ...(p.exit_price !== null ? { exitPrice: str(p.exit_price) } : {}),
  realizedPnl: str(p.realized_pnl), fees: str(p.fees), ...(p.exit_reason ? { reason: p.exit_reason } : {}), decisionId: p.decision_id,
  ...(ts !== undefined ? { ts } : {}),
});

export { isOpen };
