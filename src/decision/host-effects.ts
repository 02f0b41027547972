// The decision actor's IO: restoring engine and risk state from MariaDB, and the effects its machine names.
// Guarantees breakers and risk values are written one at a time in order, decisions in batches, nothing dropped while alive.
import { lockstepWork } from '../clock/lockstep.js';
import type { Pool } from 'mariadb';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { Decision, PositionView, SentinelReview, Snapshot } from '../protocol/index.js';
import type { SentinelResult } from '../../machines/decision.machine.js';
import { writeSentinel } from '../store/repos/ai.js';
import { BatchWriter } from '../store/batch-writer.js';
import { lastSnapshot } from '../store/repos/analytics.js';
import { insertDecisions, intentStats, lastDecisionTs, lastIntentExpiry, lastRawDirections } from '../store/repos/decisions.js';
import { loadLearning, recordOutcome } from '../store/repos/learning.js';
import { loadOverrides } from '../store/repos/overrides.js';
import { activeBreakerRows, clearBreakers, closedTrades, fireBreakers, getRiskValue, setRiskValue } from '../store/repos/risk.js';
import { Serial } from '../util/serial.js';
import { effectiveRisk, type EngineConfig } from './engine.js';
import { emptyLearning, type LearningState } from './learning.js';
import { dayStart, emptyRisk, lossCooldownMs, type Baseline, type Breaker, type BreakerCode, type RiskState } from './risk.js';
import type { Dir } from './signals/types.js';

export const engineConfig = (config: Config): EngineConfig => {
  const preset = config.decision.presets[config.decision.strategy];
  if (!preset) throw new Error(`decision.strategy names no preset: ${config.decision.strategy}`);
  return { strategy: config.decision.strategy, preset, decision: config.decision, risk: effectiveRisk(config.risk, preset), takerFee: config.execution.takerFee };
};

export interface Restored {
  cfg: EngineConfig;
  fallbackEquity: number;
  risk: RiskState;
  prev: Record<string, Snapshot | null>;
  prevDir: Record<string, { dir: Dir; ts: number } | null>;
  decidedTs: Record<string, number>;
  learning: LearningState;
  overrides: Record<string, number>;
}

/** Everything the engine needs from MariaDB after a restart: breakers in force, cooldowns, counters, positions, last snapshots. */
export async function restoreDecisionState(pool: Pool, config: Config, now: number): Promise<Restored> {
  const cfg = engineConfig(config);
  const risk = emptyRisk();
  risk.breakers = await activeBreakerRows(pool, now);
  risk.reference = (await getRiskValue<{ equity: number }>(pool, 'account_reference'))?.equity ?? null;
  const base = await getRiskValue<{ day: Baseline | null; week: Baseline | null }>(pool, 'baselines');
  if (base) risk.baselines = base;
  const eq = await pool.query<Array<{ equity: string }>>('SELECT equity FROM equity_curve ORDER BY ts DESC, id DESC LIMIT 1');
  risk.equity = eq[0] ? Number(eq[0].equity) : null;
  const closed = await closedTrades(pool);
  risk.closed = { trades: closed.trades, wins: closed.wins };
  let streak = 0;
  while (streak < closed.recent.length && closed.recent[streak]!.net < 0) streak++;
  risk.lossStreak = streak;
  risk.lossCooldownUntil = streak > 0 ? closed.recent[0]!.closedAt + lossCooldownMs(streak, config.risk) : 0;
  const intents = await intentStats(pool, dayStart(now));
  risk.lastIntentAt = intents.last;
  risk.tradesDay = { day: dayStart(now), count: intents.today };
  risk.pending = Object.fromEntries(Object.entries(await lastIntentExpiry(pool)).filter(([, exp]) => exp > now));
  const open = await pool.query<Array<{ id: number; symbol: string; side: 'long' | 'short'; qty: string; entry_price: string; stop_loss: string | null; take_profit: string | null }>>(
    "SELECT id, symbol, side, qty, entry_price, stop_loss, take_profit FROM positions WHERE status = 'open'");
  for (const p of open) {
    const view: PositionView = { symbol: p.symbol, positionId: Number(p.id), side: p.side, qty: p.qty, entryPrice: p.entry_price, stopLoss: p.stop_loss, takeProfit: p.take_profit, unrealizedPnl: '0' };
    risk.positions[p.symbol] = view;
    delete risk.pending[p.symbol];
  }
  const prev: Record<string, Snapshot | null> = {};
  for (const s of config.symbols) prev[s] = await lastSnapshot(pool, s, 'full');
  for (const s of config.symbols) risk.regimes[s] = prev[s]?.regime?.label ?? null;
  const prevDir = await lastRawDirections(pool, config.symbols);
  const decidedTs = await lastDecisionTs(pool);
  const learning = config.decision.learning.enabled ? await loadLearning(pool, cfg.strategy) : emptyLearning();
  const overrides = await loadOverrides(pool, cfg.strategy);
  return { cfg, fallbackEquity: risk.equity ?? config.execution.paperStartingBalance, risk, prev, prevDir, decidedTs, learning, overrides };
}

export interface EffectsDeps {
  pool: Pool;
  config: Config;
  now: () => number;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** New learning state after an outcome was recorded (sent back to the machine). */
  onLearning: (l: LearningState) => void;
  onHealth?: (err: Error | null) => void;
  /** The AI Sentinel (ai.sentinel.enabled with ai.baseUrl set); its review is sent back to the machine. */
  sentinel?: { review(d: Decision): Promise<SentinelReview> };
  onSentinel?: (r: SentinelResult) => void;
}

export function decisionEffects(d: EffectsDeps) {
  const { pool, log } = d;
  const serial = new Serial();
  const writer = new BatchWriter({
    write: (rows: Parameters<typeof insertDecisions>[1]) => insertDecisions(pool, rows, d.now()),
    maxBatch: 200,
    flushMs: 200,
    ...(d.onHealth ? { onHealth: d.onHealth } : {}),
  });
  /** Risk writes retry until they land: a fired breaker must reach MariaDB. */
  const durable = (what: string, fn: () => Promise<unknown>) =>
    serial.run(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await fn();
          if (attempt) d.onHealth?.(null);
          return;
        } catch (err) {
          log.error({ err: (err as Error).message, attempt }, `${what} failed; retrying`);
          d.onHealth?.(err as Error);
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
        }
      }
    });
  const actions = {
    persistDecision: (_: unknown, dec: Parameters<typeof insertDecisions>[1][number]) => writer.push(dec),
    persistBreakers: (_: unknown, bs: Breaker[]) => {
      for (const b of bs) log.warn({ code: b.code, until: b.until, flatten: b.flatten }, `breaker fired: ${b.reason}`);
      void durable('recording a breaker', () => fireBreakers(pool, bs));
    },
    clearBreakers: (_: unknown, c: { codes: BreakerCode[]; by: 'period_end' | 'operator'; at: number }) => {
      log.info({ codes: c.codes, by: c.by }, 'breakers cleared');
      void durable('clearing breakers', () => clearBreakers(pool, c.codes, c.by, c.at));
    },
    persistRisk: (_: unknown, kv: { key: string; value: unknown }) => void durable(`saving risk value ${kv.key}`, () => setRiskValue(pool, kv.key, kv.value, d.now())),
    requestSentinel: (_: unknown, dec: Decision) => {
      const sentinel = d.sentinel;
      if (!sentinel) return;
      const about = { decisionId: dec.decisionId, symbol: dec.symbol, verdict: dec.verdict, score: dec.score };
      // The decisions before it are read from MariaDB: written first.
      void lockstepWork.track(writer.flush().catch(() => undefined).then(() => sentinel.review(dec)).then(
        (review) => d.onSentinel?.({ decision: about, review }),
        (err: Error) => d.onSentinel?.({ decision: about, review: { note: null, reason: '', model: '', at: d.now(), latencyMs: 0, error: err.message } }),
      ));
    },
    persistSentinel: (_: unknown, r: SentinelResult) => {
      void lockstepWork.track(serial.run(async () => {
        try {
          await writer.flush(); // the decision's row must be there before its note
          if (!(await writeSentinel(pool, r.decision.decisionId, r.review.note, r.review))) log.warn({ decisionId: r.decision.decisionId }, 'sentinel: the decision row is missing; note not written');
          else log.info({ decisionId: r.decision.decisionId, note: r.review.note, error: r.review.error }, r.review.note ? `sentinel ${r.review.note}: ${r.review.reason}` : 'sentinel review unavailable');
        } catch (err) {
          log.error({ err: (err as Error).message, decisionId: r.decision.decisionId }, 'sentinel: writing the note failed');
        }
      }));
    },
    recordOutcome: (_: unknown, e: Parameters<typeof recordOutcome>[1]) => {
      const lc = d.config.decision.learning;
      if (!lc.enabled) return;
      void lockstepWork.track(serial.run(async () => {
        try {
          await writer.flush(); // the entry's decision row must be in MariaDB before its outcome is attributed
          const r = await recordOutcome(pool, e, lc, d.now());
          log.info({ positionId: e.positionId, ...r }, 'learning: trade outcome');
          if (r.recorded) d.onLearning(await loadLearning(pool, engineConfig(d.config).strategy));
        } catch (err) {
          log.error({ err: (err as Error).message, positionId: e.positionId }, 'learning: recording the outcome failed');
        }
      }));
    },
  };
  return {
    actions,
    get pending() {
      return writer.pending + serial.size;
    },
    async close() {
      await serial.idle();
      await writer.close();
    },
    async flush() {
      await serial.idle();
      await writer.flush();
    },
  };
}
