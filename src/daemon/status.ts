// Builds the `bosun status` document from the supervisor's view and MariaDB (the source of truth).
// Guarantees status answers even when the DB is down (the DB section then says why).
import type { Pool } from 'mariadb';
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/schema.js';
import type { Supervisor } from '../supervisor/supervisor.js';

export interface StatusDoc {
  daemon: { pid: number; mode: string; environment: string; venue: string; startedAt: number; uptimeMs: number; clock: { speed: number; now: number } };
  actors: ReturnType<Supervisor['status']>;
  db: { ok: boolean; latencyMs: number | null; migration: number | null; error: string | null };
  positions: Array<Record<string, unknown>>;
  equity: { ts: number; equity: string; balance: string; unrealizedPnl: string } | null;
  healthy: boolean;
}

export async function buildStatus(sup: Supervisor, pool: Pool, config: Config, clock: Clock, startedAt: number): Promise<StatusDoc> {
  const t0 = Date.now();
  const db: StatusDoc['db'] = { ok: false, latencyMs: null, migration: null, error: null };
  let positions: StatusDoc['positions'] = [];
  let equity: StatusDoc['equity'] = null;
  try {
    const [m] = await pool.query<Array<{ v: number | null }>>('SELECT MAX(version) AS v FROM schema_migrations');
    db.ok = true;
    db.latencyMs = Date.now() - t0;
    db.migration = m?.v ?? null;
    positions = await pool.query("SELECT id, symbol, side, qty, entry_price AS entryPrice, stop_loss AS stopLoss, take_profit AS takeProfit, opened_at AS openedAt FROM positions WHERE status = 'open' ORDER BY id");
    const e = await pool.query<Array<{ ts: number; equity: string; balance: string; unrealized_pnl: string }>>('SELECT ts, equity, balance, unrealized_pnl FROM equity_curve ORDER BY ts DESC, id DESC LIMIT 1');
    equity = e[0] ? { ts: e[0].ts, equity: e[0].equity, balance: e[0].balance, unrealizedPnl: e[0].unrealized_pnl } : null;
  } catch (err) {
    db.error = (err as Error).message;
  }
  const actors = sup.status();
  const healthy = db.ok && actors.every((a) => a.lifecycle === 'running');
  return {
    daemon: { pid: process.pid, mode: config.mode, environment: config.exchange.environment, venue: config.exchange.venue, startedAt, uptimeMs: Date.now() - startedAt, clock: { speed: config.clock.speed, now: clock.now() } },
    actors, db, positions, equity, healthy,
  };
}
