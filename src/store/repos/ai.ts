// The AI swarm in MariaDB: predictions (with prompt and raw answer), consensus records, their scores once the horizon
// passed, per-agent statistics and the per-day budget. Guarantees a prediction is scored once, from the stored 1m candle
// that closes at its horizon (never a guessed price), and a budget reservation never exceeds the day's limits.
import type { Pool } from 'mariadb';
import type { CallBudget } from '../../ai/client.js';
import { scoreOne, scoreStats, type ScoreStats } from '../../ai/consensus.js';
import type { AiConsensusView } from '../../protocol/index.js';

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const DAY = 86_400_000;

export interface PredictionRecord {
  cycleId: string;
  symbol: string;
  agent: string;
  role: 'generalist' | 'persona';
  model: string;
  madeAt: number;
  basedOn: number;
  refPrice: number;
  horizonMin: number;
  /** `ok` or a rejection code. */
  status: string;
  detail: string | null;
  pUp: number | null;
  confidence: number | null;
  thesis: string | null;
  prompt: unknown;
  answer: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  attempts: number;
  latencyMs: number;
}

const ANSWER_MAX = 16 * 1024;

export async function insertPredictions(pool: Pool, rows: PredictionRecord[]): Promise<void> {
  if (!rows.length) return;
  await pool.batch(
    `INSERT INTO ai_predictions (cycle_id, symbol, agent, role, model, made_at, based_on_ts, ref_price, horizon_min, status, detail, p_up, confidence, thesis, prompt, answer, tokens_in, tokens_out, attempts, latency_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    rows.map((r) => [
      r.cycleId, r.symbol, r.agent, r.role, r.model.slice(0, 128), r.madeAt, r.basedOn, r.refPrice, r.horizonMin, r.status, r.detail?.slice(0, 300) ?? null,
      r.pUp, r.confidence, r.thesis, JSON.stringify(r.prompt), r.answer === null ? null : r.answer.slice(0, ANSWER_MAX), r.tokensIn, r.tokensOut, r.attempts, r.latencyMs,
    ]),
  );
}

export interface ConsensusRecord extends AiConsensusView {
  symbol: string;
  refPrice: number;
  weights: Record<string, number>;
}

export async function insertConsensus(pool: Pool, c: ConsensusRecord): Promise<void> {
  await pool.query(
    `INSERT IGNORE INTO ai_consensus (cycle_id, symbol, made_at, based_on_ts, ref_price, horizon_min, p_up, agreement, generalist_p_up, swarm_p_up, agents_ok, agents_asked, weights)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [c.cycleId, c.symbol, c.madeAt, c.basedOn, c.refPrice, c.horizonMin, c.pUp, c.agreement, c.generalistPUp, c.swarmPUp, c.agents, c.of, JSON.stringify(c.weights)],
  );
}

type ConsensusRow = { cycle_id: string; symbol: string; made_at: number; based_on_ts: number; horizon_min: number; p_up: number; agreement: number; generalist_p_up: number | null; swarm_p_up: number | null; agents_ok: number; agents_asked: number };

const view = (r: ConsensusRow): AiConsensusView => ({
  madeAt: Number(r.made_at), basedOn: Number(r.based_on_ts), pUp: Number(r.p_up), agreement: Number(r.agreement),
  generalistPUp: r.generalist_p_up === null ? null : Number(r.generalist_p_up), swarmPUp: r.swarm_p_up === null ? null : Number(r.swarm_p_up),
  agents: Number(r.agents_ok), of: Number(r.agents_asked), horizonMin: Number(r.horizon_min), cycleId: r.cycle_id,
});

const COLS = 'cycle_id, symbol, made_at, based_on_ts, horizon_min, p_up, agreement, generalist_p_up, swarm_p_up, agents_ok, agents_asked';

/** Per symbol, the latest consensus (what a restarted analytics worker serves until the next cycle). */
export async function latestConsensus(pool: Pool, symbols: string[]): Promise<Record<string, AiConsensusView>> {
  const out: Record<string, AiConsensusView> = {};
  for (const s of symbols) {
    const [r] = await pool.query<ConsensusRow[]>(`SELECT ${COLS} FROM ai_consensus WHERE symbol = ? ORDER BY made_at DESC, id DESC LIMIT 1`, [s]);
    if (r) out[s] = view(r);
  }
  return out;
}

/** Stored consensus records of a symbol made in [from, to], oldest first (a backtest's timeline; made_at is when it existed). */
export async function consensusTimeline(pool: Pool, symbol: string, from: number, to: number): Promise<AiConsensusView[]> {
  const rows = await pool.query<ConsensusRow[]>(`SELECT ${COLS} FROM ai_consensus WHERE symbol = ? AND made_at >= ? AND made_at <= ? ORDER BY made_at, id`, [symbol, from, to]);
  return rows.map(view);
}

/** Per symbol, the snapshot time the last cycle was based on (the cadence survives a restart). */
export async function lastCycleTs(pool: Pool, symbols: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of symbols) {
    const [r] = await pool.query<Array<{ ts: number | null }>>('SELECT MAX(based_on_ts) AS ts FROM ai_predictions WHERE symbol = ?', [s]);
    if (r?.ts !== null && r?.ts !== undefined) out[s] = Number(r.ts);
  }
  return out;
}

/** Per agent, hits and scored predictions over its last `window` scored ones (the generalists' accuracy weights). */
export async function agentAccuracy(pool: Pool, agents: string[], window: number): Promise<Record<string, { hits: number; n: number }>> {
  if (!agents.length) return {};
  const rows = await pool.query<Array<{ agent: string; hits: number | string | null; n: number | bigint }>>(
    `SELECT agent, SUM(hit) AS hits, COUNT(*) AS n FROM (
       SELECT agent, hit, ROW_NUMBER() OVER (PARTITION BY agent ORDER BY based_on_ts DESC, id DESC) AS rn
       FROM ai_predictions WHERE agent IN (?) AND status = 'ok' AND outcome IS NOT NULL
     ) t WHERE rn <= ? GROUP BY agent`, [agents, window]);
  return Object.fromEntries(rows.map((r) => [r.agent, { hits: Number(r.hits ?? 0), n: Number(r.n) }]));
}

/** Per agent, its last `window` scored predictions as (p, outcome), newest first. */
export async function scoredWindow(pool: Pool, window: number, agents?: string[]): Promise<Record<string, Array<{ p: number; y: 0 | 1 }>>> {
  const rows = await pool.query<Array<{ agent: string; p_up: number; outcome: number }>>(
    `SELECT agent, p_up, outcome FROM (
       SELECT agent, p_up, outcome, ROW_NUMBER() OVER (PARTITION BY agent ORDER BY based_on_ts DESC, id DESC) AS rn
       FROM ai_predictions WHERE status = 'ok' AND outcome IS NOT NULL${agents ? ' AND agent IN (?)' : ''}
     ) t WHERE rn <= ? ORDER BY agent, rn`, agents ? [agents, window] : [window]);
  const out: Record<string, Array<{ p: number; y: 0 | 1 }>> = {};
  for (const r of rows) (out[r.agent] ??= []).push({ p: Number(r.p_up), y: Number(r.outcome) ? 1 : 0 });
  return out;
}

/** Per agent, its scores over its last `window` scored predictions. */
export async function agentScores(pool: Pool, window: number, agents?: string[]): Promise<Record<string, ScoreStats>> {
  const w = await scoredWindow(pool, window, agents);
  return Object.fromEntries(Object.entries(w).map(([a, rows]) => [a, scoreStats(rows)!]));
}

/** Predictions per agent and status (ok, and each rejection), all time. */
export async function statusCounts(pool: Pool): Promise<Record<string, Record<string, number>>> {
  const rows = await pool.query<Array<{ agent: string; status: string; n: number | bigint }>>('SELECT agent, status, COUNT(*) AS n FROM ai_predictions GROUP BY agent, status');
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows) (out[r.agent] ??= {})[r.status] = Number(r.n);
  return out;
}

/** The consensus's own scores over its last `window` scored records. */
export async function consensusScores(pool: Pool, window: number): Promise<ScoreStats | null> {
  const rows = await pool.query<Array<{ p_up: number; outcome: number }>>('SELECT p_up, outcome FROM ai_consensus WHERE outcome IS NOT NULL ORDER BY made_at DESC, id DESC LIMIT ?', [window]);
  return scoreStats(rows.map((r) => ({ p: Number(r.p_up), y: Number(r.outcome) ? 1 : 0 })));
}

/**
 * Scores every valid prediction and consensus whose horizon has passed by `now` and whose closing candle (the 1m candle
 * that closes at based_on_ts + horizon) is stored: outcome 1 when that close is above the reference price. Idempotent.
 */
export async function scorePending(pool: Pool, now: number, opts: { scoredAt?: number; anyTime?: boolean } = {}): Promise<{ predictions: number; consensus: number }> {
  const out = { predictions: 0, consensus: 0 };
  const scoredAt = opts.scoredAt ?? now;
  for (const table of ['ai_predictions', 'ai_consensus'] as const) {
    const valid = table === 'ai_predictions' ? "p.status = 'ok' AND " : '';
    // The CLI (wall time) may look at a paper database whose clock runs ahead: there the stored candle alone decides.
    const due = opts.anyTime ? '' : ' AND p.based_on_ts + p.horizon_min * 60000 <= ?';
    const rows = await pool.query<Array<{ id: number; p_up: number; ref_price: number; close: string }>>(
      `SELECT p.id, p.p_up, p.ref_price, c.close FROM ${table} p
       JOIN candles c ON c.symbol = p.symbol AND c.tf = '1m' AND c.open_time = p.based_on_ts + p.horizon_min * 60000 - 60000
       WHERE ${valid}p.outcome IS NULL${due} LIMIT 5000`, opts.anyTime ? [] : [now]);
    if (!rows.length) continue;
    const extra = table === 'ai_predictions' ? ', outcome_price = ?' : '';
    await pool.batch(
      `UPDATE ${table} SET outcome = ?, brier = ?, log_loss = ?, hit = ?, scored_at = ?${extra} WHERE id = ? AND outcome IS NULL`,
      rows.map((r) => {
        const y: 0 | 1 = Number(r.close) > Number(r.ref_price) ? 1 : 0;
        const s = scoreOne(Number(r.p_up), y);
        return table === 'ai_predictions' ? [y, s.brier, s.logLoss, s.hit, scoredAt, Number(r.close), r.id] : [y, s.brier, s.logLoss, s.hit, scoredAt, r.id];
      }),
    );
    out[table === 'ai_predictions' ? 'predictions' : 'consensus'] = rows.length;
  }
  return out;
}

export interface BudgetLimits {
  callsPerDay: number;
  tokensPerDay: number;
}

export const budgetDay = (wallMs: number): number => Math.floor(wallMs / DAY) * DAY;

/** Today's use (UTC wall day). */
export async function budgetToday(pool: Pool, wallNow = Date.now()): Promise<{ day: number; calls: number; tokens: number }> {
  const day = budgetDay(wallNow);
  const [r] = await pool.query<Array<{ calls: number; tokens: number | bigint }>>('SELECT calls, tokens FROM ai_budget WHERE day = ?', [day]);
  return { day, calls: Number(r?.calls ?? 0), tokens: Number(r?.tokens ?? 0) };
}

/** The per-day budget in MariaDB: one conditional UPDATE reserves a call and its tokens, so every actor and restart shares it. */
export function dbBudget(pool: Pool, limits: BudgetLimits, wallNow: () => number = Date.now): CallBudget {
  return {
    async reserve(tokens) {
      const day = budgetDay(wallNow());
      await pool.query('INSERT IGNORE INTO ai_budget (day, calls, tokens, updated_at) VALUES (?, 0, 0, ?)', [day, wallNow()]);
      const r = await pool.query<{ affectedRows: number }>(
        'UPDATE ai_budget SET calls = calls + 1, tokens = tokens + ?, updated_at = ? WHERE day = ? AND calls + 1 <= ? AND tokens + ? <= ?',
        [tokens, wallNow(), day, limits.callsPerDay, tokens, limits.tokensPerDay]);
      return r.affectedRows === 1;
    },
    async settle(reserved, used) {
      if (reserved === used) return;
      const day = budgetDay(wallNow());
      await pool.query('UPDATE ai_budget SET tokens = GREATEST(0, tokens + ?), updated_at = ? WHERE day = ?', [used - reserved, wallNow(), day]);
    },
  };
}

/** Reviews written to a decision row (advisory Sentinel). */
export async function writeSentinel(pool: Pool, decisionId: string, note: string | null, review: unknown): Promise<boolean> {
  const r = await pool.query<{ affectedRows: number }>('UPDATE decisions SET sentinel_note = ?, sentinel = ? WHERE id = ?', [note, JSON.stringify(review), decisionId]);
  return r.affectedRows === 1;
}

/** The last `n` decisions of a symbol up to `ts`, newest first, as the Sentinel sees them. */
export async function recentDecisions(pool: Pool, symbol: string, ts: number, n: number) {
  const rows = await pool.query<Array<{ id: string; ts: number; verdict: string; score: string; vetoed: number; vetoes: unknown; source_votes: unknown; sentinel_note: string | null }>>(
    'SELECT id, ts, verdict, score, vetoed, vetoes, source_votes, sentinel_note FROM decisions WHERE symbol = ? AND ts <= ? ORDER BY ts DESC LIMIT ?', [symbol, ts, n]);
  return rows.map((r) => ({
    id: r.id, ts: Number(r.ts), verdict: r.verdict, score: Number(r.score), vetoes: json<Array<{ code: string }>>(r.vetoes).map((v) => v.code),
    coverage: (json<{ coverage?: number }>(r.source_votes).coverage ?? null), sentinel: r.sentinel_note,
  }));
}
