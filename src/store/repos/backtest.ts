// Backtest and walk-forward runs, promotions and daemon config runs in MariaDB.
// Guarantees a run is one row written once, with the hashes of the config and data it came from.
import type { Pool, PoolConnection } from 'mariadb';
import { resultJson, type BacktestResult } from '../../backtest/result.js';
import { inTx } from '../tx.js';

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const finite = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : v);

export interface BacktestRunRow {
  id: number;
  config_hash: string;
  strategy: string;
  symbol: string;
  data_source: string;
  data_from: number;
  data_to: number;
  trades: number;
  net_pnl: string;
  profit_factor: number | null;
  win_rate: number | null;
  max_drawdown: number;
  metrics: BacktestResult['metrics'];
  result_sha256: string;
  created_at: number;
}

/** The run's row and its full result (`backtest_results`, what the dashboard renders the report from), in one transaction. */
export async function insertBacktestRun(pool: Pool, r: BacktestResult, resultSha256: string, now: number): Promise<number> {
  return inTx(pool, async (conn) => {
    const id = await insertRunRow(conn, r, resultSha256, now);
    await conn.query('INSERT INTO backtest_results (run_id, result) VALUES (?, ?)', [id, resultJson(r)]);
    return id;
  });
}

/** The symbol column (32 characters): several symbols as the list when it fits, else the first and how many more. */
const symbolColumn = (r: BacktestResult): string =>
  r.data.symbol.length <= 32 || !r.data.series ? r.data.symbol : `${r.data.series[0]!.symbol} +${r.data.series.length - 1}`;

async function insertRunRow(pool: Pool | PoolConnection, r: BacktestResult, resultSha256: string, now: number): Promise<number> {
  const m = r.metrics;
  const res = await pool.query<{ insertId: number | bigint }>(
    `INSERT INTO backtest_runs (config_hash, strategy_hash, strategy, symbol, data_source, data_sha256, data_from, data_to, candles, trades, net_pnl,
       profit_factor, win_rate, max_drawdown, metrics, trades_json, result_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [r.config.hash, r.config.strategyHash, r.config.strategy, symbolColumn(r), r.data.source.slice(0, 255), r.data.sha256, r.data.from, r.data.to, r.data.candles,
      m.trades, m.netPnl.toFixed(8), m.profitFactorInfinite ? null : finite(m.profitFactor), finite(m.winRate), m.maxDrawdown,
      JSON.stringify(m), JSON.stringify(r.trades), resultSha256, now],
  );
  return Number(res.insertId);
}

export async function latestBacktest(pool: Pool, configHash: string): Promise<BacktestRunRow | null> {
  const rows = await pool.query<BacktestRunRow[]>(
    `SELECT id, config_hash, strategy, symbol, data_source, data_from, data_to, trades, net_pnl, profit_factor, win_rate, max_drawdown, metrics, result_sha256, created_at
     FROM backtest_runs WHERE config_hash = ? ORDER BY id DESC LIMIT 1`, [configHash]);
  return rows[0] ? { ...rows[0], id: Number(rows[0].id), metrics: json(rows[0].metrics) } : null;
}

export interface WalkforwardRecord {
  configHash: string;
  strategyHash: string;
  strategy: string;
  symbol: string;
  modelKind: string;
  from: number;
  to: number;
  windows: number;
  oosRows: number;
  oosAccuracy: number;
  oosBalancedAccuracy: number;
  oosLogLoss: number;
  baselineLogLoss: number;
  threshold: number;
  demoted: boolean;
  mlMultiplier: number;
  report: unknown;
}

export interface WalkforwardRow {
  id: number;
  config_hash: string;
  strategy: string;
  windows: number;
  oos_rows: number;
  oos_accuracy: number;
  oos_balanced_accuracy: number;
  oos_log_loss: number;
  baseline_log_loss: number;
  threshold: number;
  demoted: number;
  ml_multiplier: number;
  report: unknown;
  created_at: number;
}

export async function insertWalkforward(pool: Pool, w: WalkforwardRecord, now: number): Promise<number> {
  const res = await pool.query<{ insertId: number | bigint }>(
    `INSERT INTO walkforward_runs (config_hash, strategy_hash, strategy, symbol, model_kind, data_from, data_to, windows, oos_rows, oos_accuracy, oos_balanced_accuracy,
       oos_log_loss, baseline_log_loss, threshold, demoted, ml_multiplier, report, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [w.configHash, w.strategyHash, w.strategy, w.symbol, w.modelKind, w.from, w.to, w.windows, w.oosRows, w.oosAccuracy, w.oosBalancedAccuracy, w.oosLogLoss, w.baselineLogLoss,
      w.threshold, w.demoted ? 1 : 0, w.mlMultiplier, JSON.stringify(w.report), now],
  );
  return Number(res.insertId);
}

export async function latestWalkforward(pool: Pool, configHash: string): Promise<WalkforwardRow | null> {
  const rows = await pool.query<WalkforwardRow[]>('SELECT * FROM walkforward_runs WHERE config_hash = ? ORDER BY id DESC LIMIT 1', [configHash]);
  return rows[0] ? { ...rows[0], id: Number(rows[0].id), report: json(rows[0].report) } : null;
}

export interface PromotionRecord {
  configHash: string;
  strategyHash: string;
  strategy: string;
  target: 'testnet' | 'mainnet';
  passed: boolean;
  reasons: string[];
  backtestRunId: number | null;
  walkforwardRunId: number | null;
  trackRecord: unknown;
  requestedBy: string;
}

export async function insertPromotion(pool: Pool, p: PromotionRecord, now: number): Promise<number> {
  const res = await pool.query<{ insertId: number | bigint }>(
    `INSERT INTO promotions (config_hash, strategy_hash, strategy, target, passed, reasons, backtest_run_id, walkforward_run_id, track_record, requested_by, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [p.configHash, p.strategyHash, p.strategy, p.target, p.passed ? 1 : 0, JSON.stringify(p.reasons), p.backtestRunId, p.walkforwardRunId, p.trackRecord === null ? null : JSON.stringify(p.trackRecord), p.requestedBy.slice(0, 128), now],
  );
  return Number(res.insertId);
}

/** The latest passed promotion of this exact config to `target`, or null. */
export async function passedPromotion(pool: Pool, target: string, configHash: string): Promise<{ id: number; created_at: number } | null> {
  const rows = await pool.query<Array<{ id: number; created_at: number }>>(
    'SELECT id, created_at FROM promotions WHERE target = ? AND config_hash = ? AND passed = 1 ORDER BY id DESC LIMIT 1', [target, configHash]);
  return rows[0] ? { id: Number(rows[0].id), created_at: Number(rows[0].created_at) } : null;
}

/** Records a daemon start with its config; returns the run id to keep alive. */
export async function startConfigRun(pool: Pool, r: { configHash: string; strategyHash: string; strategy: string; mode: string; clockNow: number; wallNow: number }): Promise<number> {
  const res = await pool.query<{ insertId: number | bigint }>(
    `INSERT INTO config_runs (config_hash, strategy_hash, strategy, mode, started_at, last_seen_at, wall_started_at, wall_last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [r.configHash, r.strategyHash, r.strategy, r.mode, r.clockNow, r.clockNow, r.wallNow, r.wallNow],
  );
  return Number(res.insertId);
}

export async function touchConfigRun(pool: Pool, id: number, clockNow: number, wallNow: number): Promise<void> {
  await pool.query('UPDATE config_runs SET last_seen_at = GREATEST(last_seen_at, ?), wall_last_seen_at = ? WHERE id = ?', [clockNow, wallNow, id]);
}

/** The latest backtest of a strategy whatever its config (to tell an operator the config changed since). */
export async function latestBacktestOfStrategy(pool: Pool, strategy: string): Promise<{ id: number; config_hash: string } | null> {
  const rows = await pool.query<Array<{ id: number; config_hash: string }>>('SELECT id, config_hash FROM backtest_runs WHERE strategy = ? ORDER BY id DESC LIMIT 1', [strategy]);
  return rows[0] ? { id: Number(rows[0].id), config_hash: rows[0].config_hash } : null;
}

export interface TrackRows {
  runs: number;
  /** Clock days covered by the runs (overlaps counted once). */
  days: number;
  /** Net pnl (realized − fees + funding) of each position of the strategy closed while one of the runs was alive. */
  pnls: number[];
}

/** What paper/testnet runs of a strategy (by strategy hash) recorded in this database. */
export async function trackRecordRows(pool: Pool, strategyHash: string, strategy: string): Promise<TrackRows> {
  const runs = await pool.query<Array<{ started_at: number; last_seen_at: number }>>(
    "SELECT started_at, last_seen_at FROM config_runs WHERE strategy_hash = ? AND mode IN ('paper', 'testnet') ORDER BY started_at", [strategyHash]);
  const spans: Array<[number, number]> = [];
  for (const r of runs) {
    const s = Number(r.started_at);
    const e = Number(r.last_seen_at);
    const last = spans.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else spans.push([s, e]);
  }
  const days = spans.reduce((a, [s, e]) => a + (e - s), 0) / 86_400_000;
  const closed = await pool.query<Array<{ realized_pnl: string; fees: string; funding: string; closed_at: number }>>(
    `SELECT p.realized_pnl, p.fees, p.funding, p.closed_at FROM positions p JOIN decisions d ON d.id = p.decision_id
     WHERE p.status = 'closed' AND d.strategy = ? ORDER BY p.closed_at, p.id`, [strategy]);
  const pnls = closed
    .filter((p) => spans.some(([s, e]) => Number(p.closed_at) >= s && Number(p.closed_at) <= e))
    .map((p) => Number(p.realized_pnl) - Number(p.fees) + Number(p.funding));
  return { runs: runs.length, days, pnls };
}
