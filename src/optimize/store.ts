// Optimize runs and trials in MariaDB (optimize_runs, optimize_trials): a run found again by its key resumes with the
// trials it already has; each trial is written once (a second report of the same trial number is ignored).
import type { Pool } from 'mariadb';
import type { TrialResult } from './evaluate.js';

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const finite = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

export interface RunRecord {
  runKey: string;
  strategy: string;
  symbol: string;
  objective: string;
  sampler: string;
  seed: number;
  trials: number;
  baseConfigHash: string;
  dataSource: string;
  dataSha256: string;
  from: number;
  to: number;
  spec: unknown;
}

export interface OptimizeRunRow {
  id: number;
  run_key: string;
  strategy: string;
  status: string;
  best_trial: number | null;
  best_config_hash: string | null;
  deflated_sharpe: number | null;
  pbo: number | null;
  created_at: number;
  finished_at: number | null;
}

/** The unfinished run with this key, if any (the latest). */
export async function findUnfinished(pool: Pool, runKey: string): Promise<number | null> {
  const rows = await pool.query<Array<{ id: number | bigint }>>("SELECT id FROM optimize_runs WHERE run_key = ? AND status = 'running' ORDER BY id DESC LIMIT 1", [runKey]);
  return rows[0] ? Number(rows[0].id) : null;
}

export async function insertRun(pool: Pool, r: RunRecord, now: number): Promise<number> {
  const res = await pool.query<{ insertId: number | bigint }>(
    `INSERT INTO optimize_runs (run_key, strategy, symbol, objective, sampler, seed, trials, base_config_hash, data_source, data_sha256, data_from, data_to, spec, status, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)`,
    [r.runKey, r.strategy, r.symbol, r.objective, r.sampler, r.seed, r.trials, r.baseConfigHash, r.dataSource.slice(0, 255), r.dataSha256, r.from, r.to, JSON.stringify(r.spec), now],
  );
  return Number(res.insertId);
}

/** Records a trial; false when that trial number was already recorded (it counts once). */
export async function insertTrial(pool: Pool, runId: number, t: TrialResult, now: number): Promise<boolean> {
  const res = await pool.query<{ affectedRows: number }>(
    `INSERT IGNORE INTO optimize_trials (run_id, number, state, value, first_window, params, duplicate_of, error, series, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [runId, t.number, t.state, finite(t.value), finite(t.firstWindow), JSON.stringify(t.params), t.duplicateOf ?? null, t.error, t.series ? JSON.stringify(t.series) : null, now],
  );
  return res.affectedRows === 1;
}

export async function loadTrials(pool: Pool, runId: number): Promise<TrialResult[]> {
  const rows = await pool.query<Array<{ number: number; state: TrialResult['state']; value: number | null; first_window: number | null; params: unknown; duplicate_of: number | null; error: string | null; series: string | null }>>(
    'SELECT number, state, value, first_window, params, duplicate_of, error, series FROM optimize_trials WHERE run_id = ? ORDER BY number', [runId]);
  return rows.map((r) => ({
    number: Number(r.number), state: r.state, value: r.value, firstWindow: r.first_window, params: json(r.params), duplicateOf: r.duplicate_of === null ? null : Number(r.duplicate_of),
    error: r.error, series: r.series === null ? null : json(r.series),
  }));
}

export async function finishRun(pool: Pool, runId: number, f: { status: 'done' | 'failed'; bestTrial: number | null; bestConfigHash: string | null; bestValue: number | null; deflatedSharpe: number | null; pbo: number | null; report: unknown }, now: number): Promise<void> {
  await pool.query(
    'UPDATE optimize_runs SET status = ?, best_trial = ?, best_config_hash = ?, best_value = ?, deflated_sharpe = ?, pbo = ?, report = ?, finished_at = ? WHERE id = ?',
    [f.status, f.bestTrial, f.bestConfigHash, finite(f.bestValue), finite(f.deflatedSharpe), finite(f.pbo), JSON.stringify(f.report), now, runId],
  );
}

/** The latest finished run whose best config has this hash (what `bosun promote` judges an optimized config by). */
export async function latestRunForConfig(pool: Pool, configHash: string): Promise<OptimizeRunRow | null> {
  const rows = await pool.query<OptimizeRunRow[]>(
    "SELECT id, run_key, strategy, status, best_trial, best_config_hash, deflated_sharpe, pbo, created_at, finished_at FROM optimize_runs WHERE best_config_hash = ? AND status = 'done' ORDER BY id DESC LIMIT 1", [configHash]);
  return rows[0] ? { ...rows[0], id: Number(rows[0].id), created_at: Number(rows[0].created_at) } : null;
}

export async function trialCount(pool: Pool, runId: number): Promise<number> {
  const rows = await pool.query<Array<{ n: number | bigint }>>('SELECT COUNT(*) AS n FROM optimize_trials WHERE run_id = ?', [runId]);
  return Number(rows[0]!.n);
}
