// The API's live feed: while a WebSocket client is connected, new rows in MariaDB (candles, decisions, orders and
// fills, positions, alerts, equity) are pushed to every client as `{ type, data }` events.
// Guarantees it reads the source of truth (what a client sees was committed), polls only while someone listens, never
// overlaps two polls, and a DB error only skips a round (logged once until it recovers).
import type { Pool } from 'mariadb';
import type { Logger } from '../log/logger.js';
import { records, trading } from '../ops/queries/index.js';

export type LiveEvent =
  | { type: 'candle'; data: { symbol: string; openTime: number; open: number; high: number; low: number; close: number; volume: number } }
  | { type: 'decision'; data: { id: string; symbol: string; ts: number; verdict: string; score: string; vetoed: boolean } }
  | { type: 'order'; data: trading.OrderView }
  | { type: 'fill'; data: { id: number; symbol: string; side: string; qty: string; price: string; fee: string; clientId: string | null; ts: number } }
  | { type: 'positions'; data: trading.PositionView[] }
  | { type: 'alert'; data: records.NotificationView }
  | { type: 'equity'; data: { ts: number; equity: number; balance: number; unrealizedPnl: number } };

export interface LiveOptions {
  pool: Pool;
  symbols: readonly string[];
  pollMs: number;
  log: Logger;
}

export class LiveFeed {
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private failing = false;
  private cur: {
    candle: Map<string, number>; decision: Map<string, number>; fill: number; alert: number; equity: number;
    orderTs: number; orders: Map<number, string>; positions: string;
  } | null = null;

  constructor(private readonly o: LiveOptions) {}

  subscribe(fn: (e: LiveEvent) => void): () => void {
    this.listeners.add(fn);
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.o.pollMs);
      this.timer.unref();
      void this.poll();
    }
    return () => {
      this.listeners.delete(fn);
      if (!this.listeners.size) this.stop();
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.cur = null;
  }

  private emit(e: LiveEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  /** Cursors start at what exists now: a client gets history from the REST routes, then news from here. */
  private async start(pool: Pool): Promise<NonNullable<LiveFeed['cur']>> {
    const one = async (sql: string, args: unknown[] = []) => Number((await pool.query<Array<{ v: number | null }>>(sql, args))[0]?.v ?? 0);
    const candle = new Map<string, number>();
    const decision = new Map<string, number>();
    for (const s of this.o.symbols) {
      candle.set(s, await one("SELECT MAX(open_time) AS v FROM candles WHERE symbol = ? AND tf = '1m'", [s]));
      decision.set(s, await one('SELECT MAX(ts) AS v FROM decisions WHERE symbol = ?', [s]));
    }
    const positions = JSON.stringify(await trading.openPositions(pool));
    return {
      candle, decision, positions,
      fill: await one('SELECT MAX(id) AS v FROM fills'),
      alert: await one('SELECT MAX(id) AS v FROM notifications'),
      equity: await one('SELECT MAX(id) AS v FROM equity_curve'),
      orderTs: await one('SELECT MAX(updated_at) AS v FROM orders'),
      orders: new Map(),
    };
  }

  private async poll(): Promise<void> {
    if (this.busy || !this.listeners.size) return;
    this.busy = true;
    const pool = this.o.pool;
    try {
      if (!this.cur) {
        this.cur = await this.start(pool);
        return;
      }
      const c = this.cur;
      for (const s of this.o.symbols) {
        const rows = await pool.query<Array<{ open_time: number; open: string; high: string; low: string; close: string; volume: string }>>(
          "SELECT open_time, open, high, low, close, volume FROM candles WHERE symbol = ? AND tf = '1m' AND open_time > ? ORDER BY open_time LIMIT 500", [s, c.candle.get(s) ?? 0]);
        for (const r of rows) {
          c.candle.set(s, Number(r.open_time));
          this.emit({ type: 'candle', data: { symbol: s, openTime: Number(r.open_time), open: Number(r.open), high: Number(r.high), low: Number(r.low), close: Number(r.close), volume: Number(r.volume) } });
        }
        const ds = await pool.query<Array<{ id: string; ts: number; verdict: string; score: string; vetoed: number }>>(
          'SELECT id, ts, verdict, score, vetoed FROM decisions WHERE symbol = ? AND ts > ? ORDER BY ts LIMIT 200', [s, c.decision.get(s) ?? 0]);
        for (const d of ds) {
          c.decision.set(s, Number(d.ts));
          this.emit({ type: 'decision', data: { id: d.id, symbol: s, ts: Number(d.ts), verdict: d.verdict, score: String(d.score), vetoed: !!d.vetoed } });
        }
      }
      // Orders change in place: everything touched since the last round, emitted when its state differs from what was sent.
      const os = await pool.query<Array<{ id: number; updated_at: number }>>('SELECT id, updated_at FROM orders WHERE updated_at >= ? ORDER BY updated_at LIMIT 500', [c.orderTs]);
      if (os.length) {
        const views = (await trading.orders(pool, { limit: 500 })).filter((v) => os.some((o) => Number(o.id) === v.id));
        for (const v of views.reverse()) {
          const sig = `${v.status}|${v.filledQty}|${v.updatedAt}`;
          if (c.orders.get(v.id) === sig) continue;
          c.orders.set(v.id, sig);
          this.emit({ type: 'order', data: v });
        }
        c.orderTs = Math.max(c.orderTs, ...os.map((o) => Number(o.updated_at)));
        if (c.orders.size > 5000) c.orders.clear();
      }
      const fills = await pool.query<Array<{ id: number; symbol: string; side: string; qty: string; price: string; fee: string; client_id: string | null; ts: number }>>(
        'SELECT id, symbol, side, qty, price, fee, client_id, ts FROM fills WHERE id > ? ORDER BY id LIMIT 500', [c.fill]);
      for (const f of fills) {
        c.fill = Number(f.id);
        this.emit({ type: 'fill', data: { id: Number(f.id), symbol: f.symbol, side: f.side, qty: f.qty, price: f.price, fee: f.fee, clientId: f.client_id, ts: Number(f.ts) } });
      }
      const positions = await trading.openPositions(pool);
      const sig = JSON.stringify(positions);
      if (sig !== c.positions) {
        c.positions = sig;
        this.emit({ type: 'positions', data: positions });
      }
      const alerts = await records.notifications(pool, { limit: 200, afterId: c.alert });
      for (const a of alerts.reverse()) {
        c.alert = Math.max(c.alert, a.id);
        this.emit({ type: 'alert', data: a });
      }
      const eq = await pool.query<Array<{ id: number; ts: number; equity: string; balance: string; unrealized_pnl: string }>>(
        'SELECT id, ts, equity, balance, unrealized_pnl FROM equity_curve WHERE id > ? ORDER BY id LIMIT 1000', [c.equity]);
      for (const e of eq) {
        c.equity = Number(e.id);
        this.emit({ type: 'equity', data: { ts: Number(e.ts), equity: Number(e.equity), balance: Number(e.balance), unrealizedPnl: Number(e.unrealized_pnl) } });
      }
      if (this.failing) this.o.log.info({}, 'api live feed: database reads recovered');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.o.log.warn({ err: (err as Error).message }, 'api live feed: database read failed; retrying');
      this.failing = true;
    } finally {
      this.busy = false;
    }
  }
}
