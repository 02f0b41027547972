// Builds the `bosun status` document from the supervisor's view (heartbeats) and MariaDB (the source of truth).
// Guarantees status answers even when the DB is down (the DB section then says why), reports unknown values as
// null rather than guessing, and lists every reason it is degraded (exit code 1 of `bosun status`).
import type { Pool } from 'mariadb';
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/schema.js';
import { readSecrets } from '../config/secrets.js';
import { aiState } from '../ai/state.js';
import { records, trading, type PositionView } from '../ops/queries/index.js';
import { readMigrations } from '../store/migrate.js';
import { dayStart, pnlSince, weekStart } from '../store/repos/equity.js';
import type { ChildStatus, Supervisor } from '../supervisor/supervisor.js';

export interface OperatorState {
  paused: { by: string; at: number } | null;
  killSwitch: { by: string; at: number; reason: string } | null;
}

/** What the main thread's ops runtime adds to the supervisor's view. */
export interface StatusExtras {
  heartbeatMs: number;
  rates(id: string): { inPerSec: number; outPerSec: number } | null;
  operatorState(): OperatorState;
  metrics(): { url: string | null; error: string | null };
  /** The HTTP API and dashboard (`ops.api`): where it listens, or why it does not. */
  api?(): { url: string | null; error: string | null };
}

export type ActorStatusDoc = ChildStatus & { rates: { inPerSec: number; outPerSec: number } | null };

export interface StatusDoc {
  daemon: { pid: number; mode: string; environment: string; venue: string; endpoint: string; symbols: string[]; startedAt: number; uptimeMs: number; clock: { speed: number; now: number }; /** The whole process's resident memory (every thread), bytes. */ rssBytes: number };
  actors: ActorStatusDoc[];
  exchange: {
    venue: string; environment: string; connected: boolean | null; clockOffsetMs: number | null; latencyMs: number | null; source: string;
    /** The exchange's usage headers (weight this minute of its limit, orders in 10 s and a minute) and the requests slowed for them. */
    requestWeight?: { used1m: number | null; limit1m: number | null; orders10s: number | null; orders1m: number | null; waits: number; waitMs: number } | null;
    /** Set while the exchange is in maintenance. */
    maintenance?: { since: number; reason: string } | null;
  };
  db: { ok: boolean; latencyMs: number | null; migration: number | null; expectedMigration: number; migrated: boolean | null; error: string | null; embedded?: { pid: number; dir: string; port: number; socket: string; text: string } | null };
  /** Every open position (one per symbol), each with its stop and take-profit legs, from MariaDB. */
  positions: PositionView[];
  equity: { ts: number; equity: string; balance: string; unrealizedPnl: string; dayPnl: string; weekPnl: string } | null;
  risk: { paused: boolean; pausedBy: string | null; halted: boolean; haltReason: string | null; killSwitch: OperatorState['killSwitch']; cooldownUntil: number | null; breakers: unknown };
  lastDecision: { id: string; symbol: string; ts: number; verdict: string; score: string; vetoed: boolean; reasoning: string; sentinelNote?: string | null; sentinelReason?: string | null } | null;
  ai: AiStatus;
  notifications: { telegram: string; telegramOn: boolean; backlog: number | null; oldestPendingAgeMs: number | null; lastSentAt: number | null; lastError: string | null };
  operator: { lastActions: Array<{ ts: number; action: string; by: string; source: string; status: string }> };
  metrics: { url: string | null; error: string | null };
  api: { url: string | null; error: string | null };
  health: { status: 'healthy' | 'degraded'; reasons: string[] };
  healthy: boolean;
}

/** The AI swarm: on or off (and why), its latest consensus per symbol with its age, answers by outcome, the budget, the last Sentinel note. */
export interface AiStatus {
  on: boolean;
  text: string;
  consensus: Array<{ symbol: string; pUp: number; agreement: number; agents: number; of: number; madeAt: number; ageMs: number }>;
  cycles: number | null;
  answers: Record<string, number>;
  scored: number | null;
  lastError: string | null;
  budget: { calls: number; tokens: number; callsPerDay: number; tokensPerDay: number } | null;
  sentinel: { gate: string; reviews: number; notes: Record<string, number> } | null;
  lastSentinel: { decisionId: string; symbol: string; ts: number; verdict: string; note: string; reason: string | null } | null;
}

type Details = Record<string, unknown>;
const obj = (v: unknown): Details | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Details) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

let expected: number | null = null;
const expectedMigration = () => (expected ??= Math.max(0, ...readMigrations().map((m) => m.version)));

/** Telegram on or off, and why: the notifier reports it; before its first heartbeat it is derived from config and env. */
export function telegramState(config: Config, env: NodeJS.ProcessEnv = process.env): { on: boolean; text: string } {
  const t = config.notifier.telegram;
  if (!t.enabled) return { on: false, text: 'off (notifier.telegram.enabled is false): notifications are stored and logged only' };
  if (!readSecrets(env).telegramToken) return { on: false, text: 'off (no BOSUN_TELEGRAM_TOKEN in the environment): notifications are stored and logged only' };
  if (!t.chatIds.length) return { on: false, text: 'off (notifier.telegram.chatIds is empty): notifications are stored and logged only' };
  return { on: true, text: `on (${t.chatIds.length} chat${t.chatIds.length > 1 ? 's' : ''})` };
}

export async function buildStatus(sup: Supervisor, pool: Pool, config: Config, clock: Clock, startedAt: number, extras?: StatusExtras): Promise<StatusDoc> {
  const now = clock.now();
  const wall = Date.now();
  const actors: ActorStatusDoc[] = sup.status().map((a) => ({ ...a, rates: extras?.rates(a.id) ?? null }));
  const details = (id: string): Details => actors.find((a) => a.id === id)?.details ?? {};
  const exec = details('execution');
  const decision = details('decision');
  const notifier = details('notifier');
  const op = extras?.operatorState() ?? { paused: null, killSwitch: null };

  const db: StatusDoc['db'] = { ok: false, latencyMs: null, migration: null, expectedMigration: expectedMigration(), migrated: null, error: null };
  let positions: StatusDoc['positions'] = [];
  let equity: StatusDoc['equity'] = null;
  let lastDecision: StatusDoc['lastDecision'] = null;
  let backlog: number | null = null;
  let oldestPending: number | null = null;
  let lastSentAt: number | null = null;
  let lastActions: StatusDoc['operator']['lastActions'] = [];
  let lastSentinel: AiStatus['lastSentinel'] = null;
  const aiOn = config.ai.baseUrl !== null;
  try {
    const t0 = Date.now();
    const [m] = await pool.query<Array<{ v: number | null }>>('SELECT MAX(version) AS v FROM schema_migrations');
    db.ok = true;
    db.latencyMs = Date.now() - t0;
    db.migration = m?.v ?? null;
    db.migrated = db.migration === db.expectedMigration;
    // The query layer (shared with Telegram and the HTTP API); the mark comes from the DB, else execution's heartbeat.
    const views = Array.isArray(exec.positions) ? (exec.positions as Array<{ symbol: string; unrealizedPnl?: string }>) : [];
    positions = (await trading.openPositions(pool)).map((p) => {
      const live = p.markSource === 'exchange' ? undefined : views.find((v) => v.symbol === p.symbol)?.unrealizedPnl;
      return live === undefined ? p : { ...p, unrealizedPnl: live };
    });
    const e = await trading.latestEquity(pool);
    if (e) {
      const [dayPnl, weekPnl] = await Promise.all([pnlSince(pool, dayStart(now), e.equity), pnlSince(pool, weekStart(now), e.equity)]);
      equity = { ts: e.ts, equity: e.equity, balance: e.balance, unrealizedPnl: e.unrealizedPnl, dayPnl, weekPnl };
    }
    lastDecision = await records.lastDecision(pool, config.symbols);
    const b = await records.notificationBacklog(pool);
    backlog = b.pending;
    oldestPending = b.oldestWallTs;
    lastSentAt = b.lastSentAt;
    lastActions = (await records.operatorActions(pool, { limit: 5 })).map((a) => ({ ts: a.ts, action: a.action, by: a.by, source: a.source, status: a.status }));
    if (aiOn) lastSentinel = await records.lastSentinel(pool);
  } catch (err) {
    db.error = (err as Error).message;
  }

  const ex = obj(exec.exchange) ?? obj(details('market-feed').exchange);
  const execRunning = actors.find((a) => a.id === 'execution')?.lifecycle === 'running';
  const exchange: StatusDoc['exchange'] = ex
    ? {
        venue: config.exchange.venue, environment: config.exchange.environment,
        connected: typeof ex.connected === 'boolean' ? ex.connected : null,
        clockOffsetMs: num(ex.clockOffsetMs), latencyMs: num(ex.latencyMs), source: 'exchange layer heartbeat',
        requestWeight: (obj(ex.requestWeight) as NonNullable<StatusDoc['exchange']['requestWeight']> | null) ?? null,
        maintenance: (obj(ex.maintenance) as { since: number; reason: string } | null) ?? null,
      }
    : config.exchange.venue === 'sim'
      ? { venue: 'sim', environment: config.exchange.environment, connected: execRunning, clockOffsetMs: 0, latencyMs: 0, source: 'in-process simulated venue on the daemon clock' }
      : { venue: config.exchange.venue, environment: config.exchange.environment, connected: null, clockOffsetMs: null, latencyMs: null, source: 'not reported by the exchange layer yet' };

  const risk = obj(decision.risk) ?? obj(exec.risk);
  const haltReason = (typeof exec.haltReason === 'string' && exec.haltReason) || (typeof risk?.haltReason === 'string' && risk.haltReason) || (op.killSwitch ? `kill switch by ${op.killSwitch.by}` : null) || null;
  const cooldown = num(risk?.cooldownUntil ?? decision.cooldownUntil);
  const riskDoc: StatusDoc['risk'] = {
    paused: !!op.paused || exec.paused === true || decision.paused === true,
    pausedBy: op.paused?.by ?? null,
    halted: haltReason !== null || risk?.halted === true,
    haltReason,
    killSwitch: op.killSwitch,
    cooldownUntil: cooldown !== null && cooldown > now ? cooldown : null,
    breakers: risk?.breakers ?? null,
  };

  const tg = typeof notifier.telegram === 'string' ? { on: notifier.telegramOn === true, text: notifier.telegram } : telegramState(config);
  const notifications: StatusDoc['notifications'] = {
    telegram: tg.text, telegramOn: tg.on, backlog,
    oldestPendingAgeMs: oldestPending === null ? null : Math.max(0, wall - oldestPending),
    lastSentAt, lastError: typeof notifier.lastError === 'string' ? notifier.lastError : null,
  };

  const ai = aiStatus(config, details('analytics'), decision, now, lastSentinel);

  const reasons: string[] = [];
  const hbLimit = (extras?.heartbeatMs ?? 1000) * 5;
  for (const a of actors) {
    if (a.lifecycle !== 'running') reasons.push(`actor ${a.id} is ${a.lifecycle}${typeof a.details.degraded === 'string' ? `: ${a.details.degraded}` : ''}`);
    else if (a.heartbeatAgeMs !== null && a.heartbeatAgeMs > hbLimit) reasons.push(`actor ${a.id} last heartbeat ${Math.round(a.heartbeatAgeMs / 1000)} s ago`);
  }
  if (!db.ok) reasons.push(`database unreachable: ${db.error}`);
  else if (!db.migrated) reasons.push(`database at migration ${db.migration}, this build expects ${db.expectedMigration}`);
  if (riskDoc.halted) reasons.push(`trading halted: ${riskDoc.haltReason ?? 'by the risk manager'}`);
  if (exchange.connected === false) reasons.push('exchange disconnected');
  if (exchange.maintenance) reasons.push(`exchange in maintenance since ${new Date(exchange.maintenance.since).toISOString()}: no new entries, stops kept`);
  if (tg.on && notifications.oldestPendingAgeMs !== null && notifications.oldestPendingAgeMs > config.notifier.degradedAfterSec * 1000) {
    reasons.push(`${backlog} notification(s) undelivered for ${Math.round(notifications.oldestPendingAgeMs / 1000)} s${notifications.lastError ? `: ${notifications.lastError}` : ''}`);
  }

  return {
    daemon: {
      pid: process.pid, mode: config.mode, environment: config.exchange.environment, venue: config.exchange.venue, endpoint: config.exchange.url ?? `binance ${config.exchange.environment}`, symbols: config.symbols,
      startedAt, uptimeMs: wall - startedAt, clock: { speed: config.clock.speed, now }, rssBytes: process.memoryUsage.rss(),
    },
    actors, exchange, db, positions, equity, risk: riskDoc, lastDecision, ai, notifications,
    operator: { lastActions },
    metrics: extras?.metrics() ?? { url: null, error: 'metrics are not running' },
    api: extras?.api?.() ?? { url: null, error: 'the API is not running' },
    health: { status: reasons.length ? 'degraded' : 'healthy', reasons },
    healthy: reasons.length === 0,
  };
}

/** The ai section: from the analytics worker's heartbeat when it reported, else from config and env (before its first one). */
export function aiStatus(config: Config, analytics: Details, decision: Details, now: number, lastSentinel: AiStatus['lastSentinel'] = null): AiStatus {
  const hb = obj(analytics.ai);
  const base = aiState(config);
  const on = typeof hb?.on === 'boolean' ? hb.on : base.on;
  const text = typeof hb?.text === 'string' ? hb.text : base.text;
  const last = obj(hb?.lastConsensus) ?? {};
  const consensus = Object.entries(last).flatMap(([symbol, v]) => {
    const c = obj(v);
    if (!c || num(c.pUp) === null || num(c.madeAt) === null) return [];
    return [{ symbol, pUp: num(c.pUp)!, agreement: num(c.agreement) ?? 0, agents: num(c.agents) ?? 0, of: num(c.of) ?? 0, madeAt: num(c.madeAt)!, ageMs: Math.max(0, now - num(c.madeAt)!) }];
  });
  const b = obj(hb?.budget);
  const sen = obj(decision.sentinel);
  return {
    on, text, consensus,
    cycles: num(hb?.cycles), answers: (obj(hb?.answers) as Record<string, number> | null) ?? {}, scored: num(hb?.scored),
    lastError: typeof hb?.lastError === 'string' ? hb.lastError : null,
    budget: on && b ? { calls: num(b.calls) ?? 0, tokens: num(b.tokens) ?? 0, callsPerDay: config.ai.budget.callsPerDay, tokensPerDay: config.ai.budget.tokensPerDay } : null,
    sentinel: sen?.on === true ? { gate: String(sen.gate), reviews: num(sen.reviews) ?? 0, notes: (obj(sen.notes) as Record<string, number> | null) ?? {} } : null,
    lastSentinel,
  };
}
