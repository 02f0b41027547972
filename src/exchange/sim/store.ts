// The simulated venue's durable state in MariaDB (venue_* tables): account, both books, fills, positions, funding,
// its clock and the candles it served. Guarantees: one save is one transaction (a crash keeps all of it or none),
// and load() rebuilds exactly the state that was last saved.
import type { Pool } from 'mariadb';
import { str } from '../../domain/decimal.js';
import type { Candle } from '../../protocol/index.js';
import { inTx } from '../../store/tx.js';
import type { ExFill, ExOrderStatus, OrderSide, OrderType } from '../types.js';
import type { AlgoStatus, ChangeSet, SimFunding, SimOrder, SimPosition, SimState } from './sim-types.js';

export interface VenueClockSpec {
  simStart: number;
  wallStart: number;
  speed: number;
  /** Bumped whenever the venue re-anchors its clock (time is not continuous across that restart). */
  epoch: number;
}

export interface LoadedVenue {
  state: SimState;
  clock: VenueClockSpec | null;
}

type AccountJson = Pick<SimState, 'ts' | 'leverage' | 'prices' | 'marks' | 'premium' | 'nextFundingTime' | 'marginType'>;

/** The small part of the state rewritten on every save (orders, fills and funding are written as they change). */
export type AccountSnapshot = AccountJson & Pick<SimState, 'seq' | 'balance' | 'positions'>;

interface OrderRow {
  order_id: number; book: 'regular' | 'algo'; client_id: string; symbol: string; side: OrderSide; type: OrderType; status: ExOrderStatus;
  algo_status: AlgoStatus | null; qty: string; filled_qty: string; avg_price: string | null; cum_quote: string; price: string | null; stop_price: string | null;
  time_in_force: 'GTC' | 'IOC' | 'GTX'; reduce_only: number; close_position: number; working_type: 'MARK_PRICE' | 'CONTRACT_PRICE';
  actual_order_id: number | null; parent_algo_id: number | null; reason: string | null; created_at: number; updated_at: number; triggered_at: number | null;
}

const s = (v: string | null): string | null => (v === null ? null : str(v));

export class VenueStore {
  constructor(private readonly pool: Pool, readonly venueId: string) {}

  async load(): Promise<LoadedVenue | null> {
    const acc = (await this.pool.query<Array<{ seq: number; balance: string; state: string; clock: string | null }>>('SELECT seq, balance, state, clock FROM venue_accounts WHERE venue_id = ?', [this.venueId]))[0];
    if (!acc) return null;
    const j = JSON.parse(acc.state) as AccountJson;
    const orders = (await this.pool.query<OrderRow[]>('SELECT * FROM venue_orders WHERE venue_id = ? ORDER BY order_id', [this.venueId])).map((r): SimOrder => ({
      id: r.order_id, book: r.book, clientId: r.client_id, symbol: r.symbol, side: r.side, type: r.type, status: r.status, algoStatus: r.algo_status,
      qty: str(r.qty), filledQty: str(r.filled_qty), avgPrice: s(r.avg_price), cumQuote: str(r.cum_quote), price: s(r.price), stopPrice: s(r.stop_price),
      timeInForce: r.time_in_force, reduceOnly: !!r.reduce_only, closePosition: !!r.close_position, workingType: r.working_type,
      actualOrderId: r.actual_order_id, parentAlgoId: r.parent_algo_id, createdAt: r.created_at, updatedAt: r.updated_at, triggeredAt: r.triggered_at, reason: r.reason,
    }));
    const fills = (await this.pool.query<Array<Record<string, string | number>>>('SELECT * FROM venue_fills WHERE venue_id = ? ORDER BY trade_id', [this.venueId])).map((r): ExFill => ({
      symbol: String(r.symbol), tradeId: String(r.trade_id), clientId: String(r.client_id), exchangeOrderId: String(r.order_id), side: r.side as OrderSide,
      qty: str(r.qty!), price: str(r.price!), fee: str(r.fee!), feeAsset: String(r.fee_asset), realizedPnl: str(r.realized_pnl!), isMaker: !!Number(r.is_maker), ts: Number(r.ts),
    }));
    const positions: Record<string, SimPosition> = {};
    for (const r of await this.pool.query<Array<{ symbol: string; side: 'long' | 'short'; qty: string; entry_price: string; updated_at: number }>>('SELECT * FROM venue_positions WHERE venue_id = ?', [this.venueId])) {
      positions[r.symbol] = { side: r.side, qty: str(r.qty), entryPrice: str(r.entry_price), updatedAt: r.updated_at };
    }
    const funding = (await this.pool.query<Array<{ id: number; symbol: string; amount: string; rate: string; mark_price: string; ts: number }>>('SELECT * FROM venue_funding WHERE venue_id = ? ORDER BY id', [this.venueId])).map(
      (r): SimFunding => ({ id: r.id, symbol: r.symbol, amount: str(r.amount), rate: Number(r.rate), markPrice: Number(r.mark_price), ts: r.ts }),
    );
    return {
      state: { ...j, seq: acc.seq, balance: str(acc.balance), positions, orders, fills, funding },
      clock: acc.clock ? (JSON.parse(acc.clock) as VenueClockSpec) : null,
    };
  }

  /** Writes a change set, the account row and closed candles in one transaction. */
  async save(state: AccountSnapshot, changes: ChangeSet, candles: Candle[], clock: VenueClockSpec | null, now: number): Promise<void> {
    await inTx(this.pool, async (conn) => {
      const account: AccountJson = { ts: state.ts, leverage: state.leverage, prices: state.prices, marks: state.marks, premium: state.premium, nextFundingTime: state.nextFundingTime, ...(state.marginType ? { marginType: state.marginType } : {}) };
      await conn.query(
        `INSERT INTO venue_accounts (venue_id, seq, balance, state, clock, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE seq = VALUES(seq), balance = VALUES(balance), state = VALUES(state), clock = COALESCE(VALUES(clock), clock), updated_at = VALUES(updated_at)`,
        [this.venueId, state.seq, state.balance, JSON.stringify(account), clock ? JSON.stringify(clock) : null, now],
      );
      if (changes.orders.length) {
        await conn.batch(
          `INSERT INTO venue_orders (venue_id, order_id, book, client_id, symbol, side, type, status, algo_status, qty, filled_qty, avg_price, cum_quote, price, stop_price,
             time_in_force, reduce_only, close_position, working_type, actual_order_id, parent_algo_id, reason, created_at, updated_at, triggered_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE status = VALUES(status), algo_status = VALUES(algo_status), qty = VALUES(qty), filled_qty = VALUES(filled_qty), avg_price = VALUES(avg_price),
             cum_quote = VALUES(cum_quote), actual_order_id = VALUES(actual_order_id), reason = VALUES(reason), updated_at = VALUES(updated_at), triggered_at = VALUES(triggered_at)`,
          changes.orders.map((o) => [
            this.venueId, o.id, o.book, o.clientId, o.symbol, o.side, o.type, o.status, o.algoStatus, o.qty, o.filledQty, o.avgPrice, o.cumQuote, o.price, o.stopPrice,
            o.timeInForce, o.reduceOnly ? 1 : 0, o.closePosition ? 1 : 0, o.workingType, o.actualOrderId, o.parentAlgoId, o.reason?.slice(0, 128) ?? null, o.createdAt, o.updatedAt, o.triggeredAt,
          ]),
        );
      }
      if (changes.fills.length) {
        await conn.batch(
          `INSERT INTO venue_fills (venue_id, trade_id, order_id, client_id, symbol, side, qty, price, fee, fee_asset, realized_pnl, is_maker, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          changes.fills.map((f) => [this.venueId, Number(f.tradeId), Number(f.exchangeOrderId), f.clientId ?? '', f.symbol, f.side, f.qty, f.price, f.fee, f.feeAsset, f.realizedPnl, f.isMaker ? 1 : 0, f.ts]),
        );
      }
      for (const symbol of changes.positions) {
        const p = state.positions[symbol];
        if (!p) await conn.query('DELETE FROM venue_positions WHERE venue_id = ? AND symbol = ?', [this.venueId, symbol]);
        else {
          await conn.query(
            `INSERT INTO venue_positions (venue_id, symbol, side, qty, entry_price, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON DUPLICATE KEY UPDATE side = VALUES(side), qty = VALUES(qty), entry_price = VALUES(entry_price), updated_at = VALUES(updated_at)`,
            [this.venueId, symbol, p.side, p.qty, p.entryPrice, p.updatedAt],
          );
        }
      }
      if (changes.funding.length) {
        await conn.batch(
          'INSERT INTO venue_funding (venue_id, id, symbol, amount, rate, mark_price, ts) VALUES (?, ?, ?, ?, ?, ?, ?)',
          changes.funding.map((f) => [this.venueId, f.id, f.symbol, f.amount, f.rate.toFixed(10), f.markPrice, f.ts]),
        );
      }
      if (candles.length) {
        await conn.batch(
          `INSERT INTO venue_candles (venue_id, symbol, open_time, open, high, low, close, volume, taker_buy_volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE open = VALUES(open), high = VALUES(high), low = VALUES(low), close = VALUES(close), volume = VALUES(volume), taker_buy_volume = VALUES(taker_buy_volume)`,
          candles.map((c) => [this.venueId, c.symbol, c.openTime, c.open, c.high, c.low, c.close, c.volume, c.takerBuyVolume ?? null]),
        );
      }
    });
  }

  /** Closed 1m candles in [from, to], oldest first, at most `limit`. */
  async candles(symbol: string, from: number, to: number, limit: number): Promise<Candle[]> {
    const rows = await this.pool.query<Array<Record<string, string | number | null>>>(
      'SELECT * FROM venue_candles WHERE venue_id = ? AND symbol = ? AND open_time >= ? AND open_time <= ? ORDER BY open_time LIMIT ?',
      [this.venueId, symbol, from, to, limit],
    );
    return rows.map(rowToCandle);
  }

  /** The latest `limit` closed candles up to `to`, oldest first. */
  async latestCandles(symbol: string, to: number, limit: number): Promise<Candle[]> {
    const rows = await this.pool.query<Array<Record<string, string | number | null>>>(
      'SELECT * FROM (SELECT * FROM venue_candles WHERE venue_id = ? AND symbol = ? AND open_time <= ? ORDER BY open_time DESC LIMIT ?) t ORDER BY open_time',
      [this.venueId, symbol, to, limit],
    );
    return rows.map(rowToCandle);
  }

  async lastCandle(symbol: string): Promise<Candle | null> {
    return (await this.latestCandles(symbol, Number.MAX_SAFE_INTEGER, 1))[0] ?? null;
  }
}

const rowToCandle = (r: Record<string, string | number | null>): Candle => ({
  symbol: String(r.symbol), tf: '1m', openTime: Number(r.open_time), open: Number(r.open), high: Number(r.high), low: Number(r.low), close: Number(r.close),
  volume: Number(r.volume), ...(r.taker_buy_volume !== null ? { takerBuyVolume: Number(r.taker_buy_volume) } : {}), closed: true,
});
