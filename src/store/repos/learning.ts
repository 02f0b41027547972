// The learning loop in MariaDB: trade outcomes with their entry conditions, insights per pattern and signal, their history.
// Guarantees an outcome is counted once per position; every insight change is logged with its previous value (reversible).
import type { Pool, PoolConnection } from 'mariadb';
import type { LearningConfig } from '../../config/sections/decision.js';
import { evolveWeights, patternStats, type InsightStatus, type LearningState, type Outcome, type PatternAction } from '../../decision/learning.js';
import { netPnl } from '../../decision/risk.js';
import type { DecisionDetail, PositionEvent, SourceVote } from '../../protocol/index.js';
import { inTx } from '../tx.js';

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export interface InsightRow {
  scope: string;
  kind: 'pattern' | 'weight';
  pattern_key: string;
  sample_count: number;
  wins: number;
  win_rate: string | null;
  ci_lo: string | null;
  ci_hi: string | null;
  action: PatternAction | 'weight';
  multiplier: string;
  status: InsightStatus;
  updated_at: number;
}

interface Change {
  key: string;
  kind: 'pattern' | 'weight';
  n: number;
  wins: number;
  p: number | null;
  lo: number | null;
  hi: number | null;
  action: string;
  multiplier: number;
  status: InsightStatus;
  why: string;
}

async function upsertInsight(conn: PoolConnection, scope: string, c: Change, now: number): Promise<void> {
  const [old] = await conn.query<InsightRow[]>('SELECT * FROM learning_insights WHERE scope = ? AND pattern_key = ? FOR UPDATE', [scope, c.key]);
  // An operator's DISABLED sticks: the statistics keep updating, the insight stays off.
  const status = old?.status === 'DISABLED' ? 'DISABLED' : c.status;
  await conn.query(
    `INSERT INTO learning_insights (scope, kind, pattern_key, sample_count, wins, win_rate, ci_lo, ci_hi, action, multiplier, status, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE sample_count = VALUES(sample_count), wins = VALUES(wins), win_rate = VALUES(win_rate), ci_lo = VALUES(ci_lo),
       ci_hi = VALUES(ci_hi), action = VALUES(action), multiplier = VALUES(multiplier), status = VALUES(status), updated_at = VALUES(updated_at)`,
    [scope, c.kind, c.key, c.n, c.wins, c.p?.toFixed(8) ?? null, c.lo?.toFixed(8) ?? null, c.hi?.toFixed(8) ?? null, c.action, c.multiplier.toFixed(8), status, now],
  );
  const changed = !old || old.action !== c.action || Math.abs(Number(old.multiplier) - c.multiplier) > 1e-9 || old.status !== status;
  if (changed) {
    await conn.query(
      `INSERT INTO learning_history (scope, pattern_key, ts, old_action, new_action, old_multiplier, new_multiplier, old_status, new_status, why)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [scope, c.key, now, old?.action ?? null, c.action, old ? old.multiplier : null, c.multiplier.toFixed(8), old?.status ?? null, status, c.why.slice(0, 255)],
    );
  }
}

export interface RecordResult {
  recorded: boolean;
  scope: string | null;
  evolved: boolean;
  why: string;
}

/** Attributes a closed trade to its entry conditions, refreshes the pattern insights and, every N trades, evolves the signal weights. */
export async function recordOutcome(pool: Pool, e: PositionEvent, c: LearningConfig, now: number): Promise<RecordResult> {
  if (!e.decisionId) return { recorded: false, scope: null, evolved: false, why: 'position has no decision (imported or external)' };
  return inTx(pool, async (conn) => {
    const [d] = await conn.query<Array<{ strategy: string; source_votes: unknown }>>('SELECT strategy, source_votes FROM decisions WHERE id = ?', [e.decisionId]);
    if (!d) return { recorded: false, scope: null, evolved: false, why: `decision ${e.decisionId} not found` };
    const detail = json<Partial<DecisionDetail>>(d.source_votes);
    const net = netPnl(e);
    const ins = await conn.query<{ affectedRows: number }>(
      `INSERT IGNORE INTO trade_outcomes (position_id, decision_id, strategy, symbol, side, net_pnl, win, conditions, votes, closed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [e.positionId, e.decisionId, d.strategy, e.symbol, e.side, net.toFixed(12), net > 0 ? 1 : 0, JSON.stringify(detail.conditions ?? {}), JSON.stringify(detail.votes ?? []), now],
    );
    if (ins.affectedRows === 0) return { recorded: false, scope: d.strategy, evolved: false, why: 'already recorded' };
    const rows = await conn.query<Array<{ side: 'long' | 'short'; win: number; conditions: unknown; votes: unknown }>>(
      'SELECT side, win, conditions, votes FROM trade_outcomes WHERE strategy = ? ORDER BY closed_at, position_id', [d.strategy]);
    const outcomes: Outcome[] = rows.map((r) => ({ side: r.side, win: !!r.win, conditions: json(r.conditions), votes: json<SourceVote[]>(r.votes) }));
    for (const p of patternStats(outcomes, c)) {
      await upsertInsight(conn, d.strategy, { key: p.key, kind: 'pattern', n: p.n, wins: p.wins, p: p.p, lo: p.lo, hi: p.hi, action: p.action, multiplier: p.multiplier, status: p.status, why: `Wilson CI ${p.lo.toFixed(3)}–${p.hi.toFixed(3)} over ${p.n} trades` }, now);
    }
    let evolved = false;
    if (outcomes.length % c.evolveEvery === 0) {
      const current = await weightMultipliers(conn, d.strategy, true);
      for (const ev of evolveWeights(current, outcomes.slice(-c.evolveEvery), c)) {
        await upsertInsight(conn, d.strategy, {
          key: `weight:${ev.source}`, kind: 'weight', n: ev.counted, wins: ev.right, p: ev.right / ev.counted, lo: null, hi: null, action: 'weight',
          multiplier: ev.next, status: 'ACTIVE', why: `evolution after ${outcomes.length} trades: right ${ev.right}/${ev.counted}, ×${(ev.next / ev.old).toFixed(4)}`,
        }, now);
      }
      evolved = true;
    }
    return { recorded: true, scope: d.strategy, evolved, why: `outcome ${net > 0 ? 'win' : 'loss'} ${net.toFixed(2)}` };
  });
}

async function weightMultipliers(db: Pool | PoolConnection, scope: string, includeDisabled: boolean): Promise<Record<string, number>> {
  const rows = await db.query<Array<{ pattern_key: string; multiplier: string; status: string }>>(
    "SELECT pattern_key, multiplier, status FROM learning_insights WHERE scope = ? AND kind = 'weight'", [scope]);
  return Object.fromEntries(rows.filter((r) => includeDisabled || r.status !== 'DISABLED').map((r) => [r.pattern_key.slice('weight:'.length), Number(r.multiplier)]));
}

/** What the engine applies for a strategy: ACTIVE patterns and the weight multipliers not disabled. */
export async function loadLearning(pool: Pool, scope: string): Promise<LearningState> {
  const rows = await pool.query<InsightRow[]>("SELECT * FROM learning_insights WHERE scope = ? AND kind = 'pattern' AND status = 'ACTIVE'", [scope]);
  const patterns: LearningState['patterns'] = {};
  for (const r of rows) {
    patterns[r.pattern_key] = { action: r.action as PatternAction, multiplier: Number(r.multiplier), lo: Number(r.ci_lo ?? 0), hi: Number(r.ci_hi ?? 1), n: r.sample_count };
  }
  return { patterns, weights: await weightMultipliers(pool, scope, false) };
}

export async function listInsights(pool: Pool, scope?: string): Promise<InsightRow[]> {
  return pool.query<InsightRow[]>(`SELECT * FROM learning_insights${scope ? ' WHERE scope = ?' : ''} ORDER BY scope, kind, pattern_key`, scope ? [scope] : []);
}

/** Operator controls: disable / enable one insight, or reset a scope (weights back to 1, patterns disabled). Logged in history. */
export async function setInsightStatus(pool: Pool, scope: string, key: string, status: 'ACTIVE' | 'DISABLED', now: number, minTrades: number): Promise<boolean> {
  return inTx(pool, async (conn) => {
    const [old] = await conn.query<InsightRow[]>('SELECT * FROM learning_insights WHERE scope = ? AND pattern_key = ? FOR UPDATE', [scope, key]);
    if (!old) return false;
    const next = status === 'ACTIVE' && old.kind === 'pattern' && old.sample_count < minTrades ? 'PENDING' : status;
    await conn.query('UPDATE learning_insights SET status = ?, updated_at = ? WHERE scope = ? AND pattern_key = ?', [next, now, scope, key]);
    await conn.query(
      `INSERT INTO learning_history (scope, pattern_key, ts, old_action, new_action, old_multiplier, new_multiplier, old_status, new_status, why)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'operator')`, [scope, key, now, old.action, old.action, old.multiplier, old.multiplier, old.status, next]);
    return true;
  });
}

export async function resetScope(pool: Pool, scope: string, now: number): Promise<number> {
  const rows = (await listInsights(pool, scope)).filter((r) => r.status !== 'DISABLED');
  for (const r of rows) await setInsightStatus(pool, scope, r.pattern_key, 'DISABLED', now, 0);
  return rows.length;
}
