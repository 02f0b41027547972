// Reads of what the daemon decided and recorded, for the operator: decisions with votes, vetoes and reasoning, risk
// breakers, WARN+ logs, notifications, operator actions, manual inputs, learning insights and backtest runs.
// Guarantees read-only access (nothing here writes), bounded result sizes, and JSON columns parsed into objects.
import type { Pool } from 'mariadb';
import { renderHtml } from '../../backtest/report-html.js';
import type { BacktestResult } from '../../backtest/result.js';

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export interface DecisionView {
  id: string; symbol: string; ts: number; strategy: string; verdict: string; score: string; vetoed: boolean;
  vetoes: Array<{ code: string; detail?: string }>;
  /** Every source's vote and weight, coverage, agreement and gates, as the decision engine recorded them. */
  detail: Record<string, unknown>;
  intent: Record<string, unknown> | null;
  reasoning: string;
  /** The AI Sentinel's note on a non-vetoed STRONG verdict (CONFIRM / CAUTION / WARN), null when none was made. */
  sentinelNote: string | null;
  /** The review: reason, model, time, or the error that kept it from being made. */
  sentinel: { note: string | null; reason: string; model: string; at: number; latencyMs: number; error?: string } | null;
}

const decisionView = (r: Record<string, unknown>): DecisionView => ({
  id: String(r.id), symbol: String(r.symbol), ts: Number(r.ts), strategy: String(r.strategy), verdict: String(r.verdict), score: String(r.score),
  vetoed: !!Number(r.vetoed), vetoes: json(r.vetoes) ?? [], detail: json(r.source_votes) ?? {}, intent: r.intent === null ? null : json(r.intent),
  reasoning: String(r.reasoning),
  sentinelNote: (r.sentinel_note as string | null | undefined) ?? null, sentinel: r.sentinel === null || r.sentinel === undefined ? null : json(r.sentinel),
});

/** Newest first; `traded`: only those that carried an intent; `verdict`: only that verdict. */
export async function decisions(pool: Pool, o: { limit: number; symbol?: string | undefined; traded?: boolean | undefined; before?: number | undefined }): Promise<DecisionView[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (o.symbol) where.push('symbol = ?'), args.push(o.symbol);
  if (o.traded) where.push('intent IS NOT NULL');
  if (o.before !== undefined) where.push('ts < ?'), args.push(o.before);
  const rows = await pool.query<Array<Record<string, unknown>>>(
    `SELECT id, symbol, ts, strategy, verdict, score, vetoed, vetoes, source_votes, intent, reasoning, sentinel_note, sentinel FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY ts DESC, id DESC LIMIT ?`, [...args, o.limit]);
  return rows.map(decisionView);
}

export async function decision(pool: Pool, id: string): Promise<DecisionView | null> {
  const rows = await pool.query<Array<Record<string, unknown>>>('SELECT id, symbol, ts, strategy, verdict, score, vetoed, vetoes, source_votes, intent, reasoning, sentinel_note, sentinel FROM decisions WHERE id = ?', [id]);
  return rows[0] ? decisionView(rows[0]) : null;
}

/** The latest decision over every symbol (what `bosun status` shows), reasoning cut to 500 characters, with its Sentinel note. */
export async function lastDecision(pool: Pool, symbols: readonly string[]): Promise<LastDecision | null> {
  let best: LastDecision | null = null;
  for (const symbol of symbols) {
    const [d] = await pool.query<Array<{ id: string; symbol: string; ts: number; verdict: string; score: string; vetoed: number; reasoning: string; sentinel_note: string | null; sentinel_reason: string | null }>>(
      "SELECT id, symbol, ts, verdict, score, vetoed, reasoning, sentinel_note, JSON_VALUE(sentinel, '$.reason') AS sentinel_reason FROM decisions WHERE symbol = ? ORDER BY ts DESC LIMIT 1", [symbol]);
    if (d && (!best || d.ts > best.ts)) {
      const { sentinel_note: note, sentinel_reason: why, ...rest } = d;
      best = { ...rest, ts: Number(d.ts), score: String(d.score), vetoed: !!d.vetoed, reasoning: d.reasoning.slice(0, 500), sentinelNote: note ?? null, sentinelReason: why ? why.slice(0, 300) : null };
    }
  }
  return best;
}

export interface LastDecision { id: string; symbol: string; ts: number; verdict: string; score: string; vetoed: boolean; reasoning: string; sentinelNote: string | null; sentinelReason: string | null }

/** The latest decision the AI Sentinel wrote a note on (status, Telegram, dashboard). */
export async function lastSentinel(pool: Pool): Promise<{ decisionId: string; symbol: string; ts: number; verdict: string; note: string; reason: string | null } | null> {
  const [n] = await pool.query<Array<{ id: string; symbol: string; ts: number; verdict: string; note: string; reason: string | null }>>(
    "SELECT id, symbol, ts, verdict, sentinel_note AS note, JSON_VALUE(sentinel, '$.reason') AS reason FROM decisions WHERE sentinel_note IS NOT NULL ORDER BY ts DESC LIMIT 1");
  return n ? { decisionId: n.id, symbol: n.symbol, ts: Number(n.ts), verdict: n.verdict, note: n.note, reason: n.reason ? n.reason.slice(0, 300) : null } : null;
}

export interface BreakerView { code: string; firedAt: number; until: number | null; reason: string; flatten: boolean }

/** Breakers in force at `now` (read only: lapsing them is the risk manager's job). */
export async function activeBreakers(pool: Pool, now: number): Promise<BreakerView[]> {
  const rows = await pool.query<Array<{ code: string; fired_at: number; until_ts: number | null; reason: string; flatten: number }>>(
    'SELECT code, fired_at, until_ts, reason, flatten FROM risk_breakers WHERE cleared_at IS NULL AND (until_ts IS NULL OR until_ts > ?) ORDER BY id', [now]);
  return rows.map((r) => ({ code: r.code, firedAt: Number(r.fired_at), until: r.until_ts === null ? null : Number(r.until_ts), reason: r.reason, flatten: !!r.flatten }));
}

export async function breakerHistory(pool: Pool, limit: number): Promise<Array<BreakerView & { clearedAt: number | null; clearedBy: string | null }>> {
  const rows = await pool.query<Array<{ code: string; fired_at: number; until_ts: number | null; reason: string; flatten: number; cleared_at: number | null; cleared_by: string | null }>>(
    'SELECT code, fired_at, until_ts, reason, flatten, cleared_at, cleared_by FROM risk_breakers ORDER BY id DESC LIMIT ?', [limit]);
  return rows.map((r) => ({ code: r.code, firedAt: Number(r.fired_at), until: r.until_ts === null ? null : Number(r.until_ts), reason: r.reason, flatten: !!r.flatten, clearedAt: r.cleared_at === null ? null : Number(r.cleared_at), clearedBy: r.cleared_by }));
}

export interface LogView { id: number; ts: number; level: string; actor: string; msg: string; data: unknown }

/** WARN and above (what the daemon writes to the `logs` table), newest first. */
export async function logs(pool: Pool, o: { limit: number; level?: 'warn' | 'error' | 'fatal' | undefined; afterId?: number | undefined }): Promise<LogView[]> {
  const levels = o.level === 'fatal' ? ['fatal'] : o.level === 'error' ? ['error', 'fatal'] : ['warn', 'error', 'fatal'];
  const rows = await pool.query<Array<{ id: number; ts: number; level: string; actor: string; msg: string; data: unknown }>>(
    `SELECT id, ts, level, actor, msg, data FROM logs WHERE level IN (${levels.map(() => '?').join(',')}) AND id > ? ORDER BY id DESC LIMIT ?`, [...levels, o.afterId ?? 0, o.limit]);
  return rows.map((r) => ({ id: Number(r.id), ts: Number(r.ts), level: r.level, actor: r.actor, msg: r.msg, data: r.data === null ? null : json(r.data) }));
}

export interface NotificationView { id: number; ts: number; wallTs: number | null; code: string; severity: string; text: string; status: string; attempts: number; repeats: number; lastError: string | null; sentAt: number | null }

export async function notifications(pool: Pool, o: { limit: number; status?: string | undefined; afterId?: number | undefined }): Promise<NotificationView[]> {
  const rows = await pool.query<Array<Record<string, unknown>>>(
    `SELECT id, ts, wall_ts, code, severity, text, status, attempts, repeats, last_error, sent_at FROM notifications WHERE id > ? ${o.status ? 'AND status = ?' : ''} ORDER BY id DESC LIMIT ?`,
    o.status ? [o.afterId ?? 0, o.status, o.limit] : [o.afterId ?? 0, o.limit]);
  return rows.map((r) => ({
    id: Number(r.id), ts: Number(r.ts), wallTs: r.wall_ts === null ? null : Number(r.wall_ts), code: String(r.code), severity: String(r.severity), text: String(r.text),
    status: String(r.status), attempts: Number(r.attempts), repeats: Number(r.repeats), lastError: (r.last_error as string | null) ?? null, sentAt: r.sent_at === null ? null : Number(r.sent_at),
  }));
}

export async function notificationBacklog(pool: Pool): Promise<{ pending: number; oldestWallTs: number | null; lastSentAt: number | null }> {
  const [b] = await pool.query<Array<{ n: number; oldest: number | null }>>("SELECT COUNT(*) AS n, MIN(wall_ts) AS oldest FROM notifications WHERE status = 'pending'");
  const [s] = await pool.query<Array<{ sent_at: number | null }>>("SELECT sent_at FROM notifications WHERE status = 'sent' ORDER BY id DESC LIMIT 1");
  return { pending: Number(b?.n ?? 0), oldestWallTs: b?.oldest === null || b?.oldest === undefined ? null : Number(b.oldest), lastSentAt: s?.sent_at === null || s?.sent_at === undefined ? null : Number(s.sent_at) };
}

export interface OperatorActionView { id: number; ts: number; action: string; by: string; source: string; status: string; args: unknown; result: unknown; error: string | null; finishedAt: number | null }

export async function operatorActions(pool: Pool, o: { limit: number }): Promise<OperatorActionView[]> {
  const rows = await pool.query<Array<Record<string, unknown>>>('SELECT id, ts, action, by_whom, source, status, args, result, error, finished_at FROM operator_actions ORDER BY id DESC LIMIT ?', [o.limit]);
  return rows.map((r) => ({
    id: Number(r.id), ts: Number(r.ts), action: String(r.action), by: String(r.by_whom), source: String(r.source), status: String(r.status),
    args: r.args === null ? null : json(r.args), result: r.result === null ? null : json(r.result), error: (r.error as string | null) ?? null, finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  }));
}

export interface ManualInputView { id: number; kind: string; asOf: number; receivedAt: number; payload: unknown; source: string | null; comment: string | null }

export async function manualInputs(pool: Pool, o: { limit: number; kind?: string | undefined }): Promise<ManualInputView[]> {
  const rows = await pool.query<Array<Record<string, unknown>>>(
    `SELECT id, kind, as_of, received_at, payload, source, comment FROM manual_inputs ${o.kind ? 'WHERE kind = ?' : ''} ORDER BY id DESC LIMIT ?`, o.kind ? [o.kind, o.limit] : [o.limit]);
  return rows.map((r) => ({ id: Number(r.id), kind: String(r.kind), asOf: Number(r.as_of), receivedAt: Number(r.received_at), payload: json(r.payload), source: (r.source as string | null) ?? null, comment: (r.comment as string | null) ?? null }));
}

export async function insights(pool: Pool, o: { scope?: string | undefined }): Promise<Array<Record<string, unknown>>> {
  const rows = await pool.query<Array<Record<string, unknown>>>(
    `SELECT scope, kind, pattern_key, sample_count, wins, win_rate, ci_lo, ci_hi, action, multiplier, status, updated_at FROM learning_insights ${o.scope ? 'WHERE scope = ?' : ''} ORDER BY scope, kind, pattern_key LIMIT 500`,
    o.scope ? [o.scope] : []);
  return rows.map((r) => ({ ...r, sample_count: Number(r.sample_count), wins: Number(r.wins), updated_at: Number(r.updated_at) }));
}

export interface BacktestRunView {
  id: number; configHash: string; strategy: string; symbol: string; dataSource: string; dataFrom: number; dataTo: number; candles: number; trades: number;
  netPnl: string; profitFactor: number | null; winRate: number | null; maxDrawdown: number; createdAt: number; hasReport: boolean;
}

export async function backtests(pool: Pool, o: { limit: number }): Promise<BacktestRunView[]> {
  const rows = await pool.query<Array<Record<string, unknown>>>(
    `SELECT b.id, config_hash, strategy, symbol, data_source, data_from, data_to, candles, trades, net_pnl, profit_factor, win_rate, max_drawdown, created_at, r.run_id IS NOT NULL AS has_report
     FROM backtest_runs b LEFT JOIN backtest_results r ON r.run_id = b.id ORDER BY b.id DESC LIMIT ?`, [o.limit]);
  return rows.map((r) => ({
    id: Number(r.id), configHash: String(r.config_hash), strategy: String(r.strategy), symbol: String(r.symbol), dataSource: String(r.data_source),
    dataFrom: Number(r.data_from), dataTo: Number(r.data_to), candles: Number(r.candles), trades: Number(r.trades), netPnl: String(r.net_pnl),
    profitFactor: r.profit_factor === null ? null : Number(r.profit_factor), winRate: r.win_rate === null ? null : Number(r.win_rate), maxDrawdown: Number(r.max_drawdown),
    createdAt: Number(r.created_at), hasReport: !!Number(r.has_report),
  }));
}

/**
 * The run's HTML report (the same renderer as `bosun backtest --html`), from the result stored with it; a run recorded
 * before results were stored renders from its metrics and trades, without the equity and drawdown charts.
 */
export async function backtestReport(pool: Pool, id: number): Promise<string | null> {
  const [stored] = await pool.query<Array<{ result: string }>>('SELECT result FROM backtest_results WHERE run_id = ?', [id]);
  if (stored) return renderHtml(JSON.parse(stored.result) as BacktestResult);
  const [r] = await pool.query<Array<Record<string, unknown>>>(
    'SELECT config_hash, strategy_hash, strategy, symbol, data_source, data_sha256, data_from, data_to, candles, metrics, trades_json FROM backtest_runs WHERE id = ?', [id]);
  if (!r) return null;
  return renderHtml({
    kind: 'bosun.backtest', version: 1,
    config: { hash: String(r.config_hash), strategyHash: String(r.strategy_hash), strategy: String(r.strategy), overrides: {} },
    data: { symbol: String(r.symbol), source: String(r.data_source), sha256: String(r.data_sha256), from: Number(r.data_from), to: Number(r.data_to), candles: Number(r.candles) },
    metrics: json(r.metrics), trades: json(r.trades_json), equity: [], drawdown: [],
  });
}
