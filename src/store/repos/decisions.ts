// Decisions in MariaDB: every decision with its votes, weights, gates, vetoes and reasoning; what the engine restores at start.
// Guarantees idempotence: a decision id is written once, whichever incarnation wrote it first.
import type { Pool } from 'mariadb';
import type { Decision, DecisionDetail, SentinelReview, Verdict } from '../../protocol/index.js';

export async function insertDecisions(pool: Pool, ds: Decision[], now: number): Promise<void> {
  if (!ds.length) return;
  await pool.batch(
    `INSERT IGNORE INTO decisions (id, symbol, ts, strategy, verdict, score, vetoed, vetoes, source_votes, intent, reasoning, created_at, sentinel_note, sentinel)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ds.map((d) => [
      d.decisionId, d.symbol, d.ts, d.strategy, d.verdict, d.score.toFixed(8), d.vetoes.length ? 1 : 0, JSON.stringify(d.vetoes),
      JSON.stringify(d.detail ?? {}), d.intent ? JSON.stringify(d.intent) : null, d.reasoning, now,
      d.sentinel?.note ?? null, d.sentinel ? JSON.stringify(d.sentinel) : null,
    ]),
  );
}

export interface DecisionRow {
  id: string;
  symbol: string;
  ts: number;
  strategy: string;
  verdict: Verdict;
  score: string;
  vetoed: number;
  vetoes: Array<{ code: string; detail: string }>;
  detail: DecisionDetail | Record<string, never>;
  intent: Decision['intent'];
  reasoning: string;
  /** The AI Sentinel's note (CONFIRM / CAUTION / WARN) and review, when one was made. */
  sentinelNote: SentinelReview['note'];
  sentinel: SentinelReview | null;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export async function decisionRow(pool: Pool, id: string): Promise<DecisionRow | null> {
  const rows = await pool.query<Array<Record<string, unknown>>>('SELECT id, symbol, ts, strategy, verdict, score, vetoed, vetoes, source_votes, intent, reasoning, sentinel_note, sentinel FROM decisions WHERE id = ?', [id]);
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id as string, symbol: r.symbol as string, ts: Number(r.ts), strategy: r.strategy as string, verdict: r.verdict as Verdict,
    score: String(r.score), vetoed: Number(r.vetoed), vetoes: json(r.vetoes), detail: json(r.source_votes), intent: r.intent === null ? null : json(r.intent),
    reasoning: r.reasoning as string,
    sentinelNote: (r.sentinel_note ?? null) as SentinelReview['note'], sentinel: r.sentinel === null || r.sentinel === undefined ? null : json(r.sentinel),
  };
}

/** Time of the last decision that carried an intent (the spacing cooldown), and intents since `dayFrom`. */
export async function intentStats(pool: Pool, dayFrom: number): Promise<{ last: Record<string, number>; today: number }> {
  const rows = await pool.query<Array<{ symbol: string; last: number | null; today: number | bigint | null }>>(
    'SELECT symbol, MAX(ts) AS last, SUM(ts >= ?) AS today FROM decisions WHERE intent IS NOT NULL GROUP BY symbol', [dayFrom]);
  const last = Object.fromEntries(rows.filter((r) => r.last !== null).map((r) => [r.symbol, Number(r.last)]));
  return { last, today: rows.reduce((a, r) => a + Number(r.today ?? 0), 0) };
}

/** Per symbol, the expiry of its latest intent (pending entries still count against the caps). */
export async function lastIntentExpiry(pool: Pool): Promise<Record<string, number>> {
  const rows = await pool.query<Array<{ symbol: string; exp: string | number | null }>>(
    `SELECT d.symbol, JSON_VALUE(d.intent, '$.expiresAt') AS exp FROM decisions d
     JOIN (SELECT symbol, MAX(ts) AS ts FROM decisions WHERE intent IS NOT NULL GROUP BY symbol) m ON m.symbol = d.symbol AND m.ts = d.ts
     WHERE d.intent IS NOT NULL`);
  return Object.fromEntries(rows.filter((r) => r.exp !== null).map((r) => [r.symbol, Number(r.exp)]));
}

/** Per symbol, the last directional raw verdict and its time (signal debounce). */
export async function lastRawDirections(pool: Pool, symbols: string[]): Promise<Record<string, { dir: -1 | 1; ts: number } | null>> {
  const out: Record<string, { dir: -1 | 1; ts: number } | null> = {};
  for (const s of symbols) {
    const rows = await pool.query<Array<{ ts: number; raw: string | null }>>(
      `SELECT ts, JSON_VALUE(source_votes, '$.rawVerdict') AS raw FROM decisions
       WHERE symbol = ? AND JSON_VALUE(source_votes, '$.rawVerdict') IN ('BUY', 'STRONG_BUY', 'SELL', 'STRONG_SELL') ORDER BY ts DESC LIMIT 1`, [s]);
    const r = rows[0];
    out[s] = r ? { dir: r.raw === 'BUY' || r.raw === 'STRONG_BUY' ? 1 : -1, ts: Number(r.ts) } : null;
  }
  return out;
}

/** Per symbol, the time of the last decision made (snapshots at or before it are not decided again). */
export async function lastDecisionTs(pool: Pool): Promise<Record<string, number>> {
  const rows = await pool.query<Array<{ symbol: string; ts: number }>>('SELECT symbol, MAX(ts) AS ts FROM decisions GROUP BY symbol');
  return Object.fromEntries(rows.map((r) => [r.symbol, Number(r.ts)]));
}
