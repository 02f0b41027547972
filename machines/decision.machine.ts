// decision machine: route → idle / cooldown / halted; every full snapshot yields one persisted, explained decision.
// Pure: the engine is a pure function; deadlines (cooldowns, breaker periods) live in context and re-arm on restore.
import { assign, enqueueActions, setup } from 'xstate';
import { decide, isDecisionClose, type EngineConfig } from '../src/decision/engine.js';
import type { LearningState } from '../src/decision/learning.js';
import {
  activeBreakers, afterIntent, checkEquity, describeBreakers, expiredBreakers, onClosed, resumeBaselines,
  type Breaker, type BreakerCode, type RiskState,
} from '../src/decision/risk.js';
import type { Dir } from '../src/decision/signals/types.js';
import type { PublishEvent } from '../src/protocol/index.js';
import type { Decision, EntryEnded, EquityPoint, HaltCommand, PositionEvent, PositionView, SentinelReview, Snapshot } from '../src/protocol/index.js';

export interface DecisionInput {
  cfg: EngineConfig;
  now: () => number;
  /** Equity for sizing until the reconciler reports one. */
  fallbackEquity: number;
  /** Restored from MariaDB at start. */
  risk: RiskState;
  prev: Record<string, Snapshot | null>;
  prevDir: Record<string, { dir: Dir; ts: number } | null>;
  /** Per symbol, the time of the last snapshot decided on: nothing is decided twice (a restarted analytics re-sends its last one). */
  decidedTs: Record<string, number>;
  learning: LearningState;
  /** Signal weight multipliers from walk-forward validation (signal_weight_overrides), applied with or without learning. */
  overrides?: Record<string, number>;
  /**
   * The AI Sentinel (`ai.sentinel`; absent: off, as in backtests): `advisory` reviews each non-vetoed STRONG decision after
   * it went out; `warn_vetoes` holds it until the review (or the symbol's next snapshot) and a WARN vetoes it.
   */
  sentinel?: 'advisory' | 'warn_vetoes';
}

/** What the host reports back about a reviewed decision. */
export interface SentinelResult {
  decision: Pick<Decision, 'decisionId' | 'symbol' | 'verdict' | 'score'>;
  review: SentinelReview;
}

export interface DecisionContext extends DecisionInput {
  decisions: number;
  lastDecision: Pick<Decision, 'decisionId' | 'verdict' | 'ts'> | null;
  /** Recently closed position ids: a redelivered close is counted once. */
  closedIds: number[];
  /** Per symbol, a decision held for the Sentinel's review (`warn_vetoes`): not persisted or sent yet. */
  held: Record<string, Decision>;
}

export type DecisionEvent =
  | { type: 'decision.snapshot'; snapshot: Snapshot }
  | { type: 'decision.position'; position: PositionView }
  | { type: 'decision.equity'; equity: EquityPoint }
  | { type: 'decision.closed'; event: PositionEvent }
  /** Execution ended an intent's entry (refused, expired, given up or filled): its pending slot is free. */
  | { type: 'decision.entry_ended'; ended: EntryEnded }
  | { type: 'decision.learning'; learning: LearningState }
  | { type: 'decision.overrides'; overrides: Record<string, number> }
  | { type: 'decision.sentinel'; result: SentinelResult }
  | { type: 'control.pause' }
  | { type: 'control.resume' }
  /** Internal: the state is chosen again (a breaker fired on an equity point). */
  | { type: 'decision.reroute' };

export interface ClearBreakers {
  codes: BreakerCode[];
  by: 'period_end' | 'operator';
  at: number;
}

/** One halt command for everything in force: flatten if any breaker flattens; until the latest end (null wins). */
export function haltFor(bs: Breaker[], ts: number): HaltCommand {
  return {
    code: bs.map((b) => `risk.${b.code}`).join(','),
    reason: bs.map((b) => b.reason).join('; '),
    flatten: bs.some((b) => b.flatten),
    until: bs.some((b) => b.until === null) ? null : Math.max(...bs.map((b) => b.until!)),
    ts,
  };
}

/** The account's loss cooldown, or the end of the latest symbol's intent cooldown (each symbol's own is a veto). */
const cooldownUntil = (c: DecisionContext) =>
  Math.max(0, ...Object.values(c.risk.lastIntentAt).map((t) => t + c.cfg.decision.cooldownSec * 1000), c.risk.lossCooldownUntil);

const isStrong = (d: Decision) => d.verdict === 'STRONG_BUY' || d.verdict === 'STRONG_SELL';

/** The Sentinel's note as a notification (Telegram): CONFIRM is info, CAUTION and WARN are warnings. */
function sentinelAlert(r: SentinelResult, vetoed: boolean): PublishEvent | null {
  const n = r.review.note;
  if (!n) return null;
  const d = r.decision;
  return {
    type: 'decision.alert',
    payload: {
      severity: n === 'CONFIRM' ? 'info' : 'warning', code: 'ai.sentinel', symbol: d.symbol,
      text: `${d.verdict} ${d.symbol} (score ${d.score.toFixed(4)}): Sentinel ${n}${vetoed ? ' — vetoed (ai.sentinel.gate warn_vetoes)' : ''}: ${r.review.reason}`,
    },
  };
}

/** A held decision with its review applied: the note recorded, and under the gate a WARN vetoes it (`sentinel_warn`). */
export function applyReview(d: Decision, review: SentinelReview): Decision {
  if (review.note !== 'WARN') return { ...d, sentinel: review, reasoning: `${d.reasoning}; sentinel ${review.note ?? `unavailable (${review.error ?? 'no answer'})`}` };
  const veto = { code: 'sentinel_warn', detail: `Sentinel WARN: ${review.reason}`.slice(0, 300) };
  return { ...d, sentinel: review, intent: null, vetoes: [...d.vetoes, veto], reasoning: `${d.reasoning}; vetoed: sentinel_warn (${review.reason})` };
}

/** Longest single wait before re-checking (timers never need to span more; a breaker without end re-arms). */
const MAX_WAIT = 3_600_000;

export const decisionMachine = setup({
  types: {
    input: {} as DecisionInput,
    context: {} as DecisionContext,
    events: {} as DecisionEvent,
    emitted: {} as PublishEvent,
  },
  actions: {
    /** Provided by the host: write the decision (votes, vetoes, reasoning) to MariaDB. */
    persistDecision: (_, _d: Decision) => {},
    /** Provided by the host: record fired breakers in risk_breakers. */
    persistBreakers: (_, _b: Breaker[]) => {},
    clearBreakers: (_, _c: ClearBreakers) => {},
    /** Provided by the host: a keyed risk value in risk_state. */
    persistRisk: (_, _kv: { key: string; value: unknown }) => {},
    /** Provided by the host: learning attribution of a closed trade (no-op unless learning is enabled). */
    recordOutcome: (_, _e: PositionEvent) => {},
    /** Provided by the host: ask the Sentinel to review the decision; it answers with `decision.sentinel` (always, error or not). */
    requestSentinel: (_, _d: Decision) => {},
    /** Provided by the host: write an advisory review to the decision's row. */
    persistSentinel: (_, _r: SentinelResult) => {},
  },
  guards: {
    halted: ({ context }) => activeBreakers(context.risk, context.now()).length > 0,
    inCooldown: ({ context }) => cooldownUntil(context) > context.now(),
  },
  delays: {
    cooldownLeft: ({ context }) => Math.min(MAX_WAIT, Math.max(0, cooldownUntil(context) - context.now())),
    breakerLeft: ({ context }) => {
      const ends = activeBreakers(context.risk, context.now()).map((b) => b.until).filter((u): u is number => u !== null);
      return ends.length ? Math.min(MAX_WAIT, Math.max(0, Math.min(...ends) - context.now())) : MAX_WAIT;
    },
  },
}).createMachine({
  id: 'decision',
  context: ({ input }) => ({ ...input, decisions: 0, lastDecision: null, closedIds: [], held: {} }),
  initial: 'route',
  on: {
    'decision.position': {
      actions: assign(({ context, event }) => {
        const pending = { ...context.risk.pending };
        if (event.position.side) delete pending[event.position.symbol];
        return { risk: { ...context.risk, positions: { ...context.risk.positions, [event.position.symbol]: event.position }, pending } };
      }),
    },
    // Every reconciler check (each minute): the state is chosen again only when a breaker fires — an equity point that
    // fires nothing changes no guard of `route` (breakers and cooldowns end on their own timers).
    'decision.reroute': '.route',
    'decision.equity': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const now = context.now();
        let risk: RiskState = { ...context.risk, equity: Number(event.equity.equity) };
        const out = checkEquity(risk, event.equity, context.cfg.risk, now);
        if (out.reference !== null) {
          risk = { ...risk, reference: out.reference };
          enqueue({ type: 'persistRisk', params: { key: 'account_reference', value: { equity: out.reference, since: now } } });
        }
        if (out.fired.length) {
          risk = { ...risk, breakers: [...risk.breakers, ...out.fired] };
          enqueue({ type: 'persistBreakers', params: out.fired });
          enqueue.emit({ type: 'decision.halt', payload: haltFor(activeBreakers(risk, now), now) });
          for (const b of out.fired) {
            enqueue.emit({ type: 'decision.alert', payload: { severity: b.flatten ? 'critical' : 'error', code: `risk.${b.code}`, text: `${b.code} fired: ${b.reason}` } });
          }
          enqueue.raise({ type: 'decision.reroute' });
        }
        enqueue.assign({ risk });
      }),
    },
    'decision.entry_ended': {
      // Only the slot of that very intent (its expiry names it): a later intent on the symbol keeps its own.
      guard: ({ context, event }) => context.risk.pending[event.ended.symbol] === event.ended.expiresAt,
      actions: assign(({ context, event }) => {
        const pending = { ...context.risk.pending };
        delete pending[event.ended.symbol];
        return { risk: { ...context.risk, pending } };
      }),
    },
    'decision.closed': {
      target: '.route',
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (context.closedIds.includes(event.event.positionId)) return;
        // From the closing fill's time when the event carries it: a backtest and a late-delivering runtime agree.
        const upd = onClosed(context.risk, event.event, context.cfg.risk, event.event.ts ?? context.now());
        enqueue.assign({ risk: { ...context.risk, ...upd }, closedIds: [...context.closedIds.slice(-49), event.event.positionId] });
        enqueue({ type: 'recordOutcome', params: event.event });
      }),
    },
    'decision.learning': { actions: assign({ learning: ({ event }) => event.learning }) },
    'decision.overrides': { actions: assign({ overrides: ({ event }) => event.overrides }) },
    'decision.sentinel': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const r = event.result;
        const held = context.held[r.decision.symbol];
        if (held && held.decisionId === r.decision.decisionId) {
          const d = applyReview(held, r.review);
          const rest = { ...context.held };
          delete rest[d.symbol];
          enqueue({ type: 'persistDecision', params: d });
          enqueue.emit({ type: 'decision.made', payload: d, tsEvent: d.ts });
          const alert = sentinelAlert(r, r.review.note === 'WARN');
          if (alert) enqueue.emit(alert);
          const risk = d.intent ? { ...context.risk, ...afterIntent(context.risk, d.symbol, d.ts, d.intent.expiresAt) } : context.risk;
          enqueue.assign({ held: rest, risk });
          return;
        }
        // The decision went out already (advisory, or released unreviewed under the gate): the note goes to its row and
        // to the operator, and blocks nothing.
        enqueue({ type: 'persistSentinel', params: r });
        const alert = sentinelAlert(r, false);
        if (alert && context.sentinel === 'warn_vetoes' && alert.type === 'decision.alert') alert.payload.text += ' (arrived after the decision went out: not gated)';
        if (alert) enqueue.emit(alert);
      }),
    },
    'control.pause': { actions: assign({ risk: ({ context }) => ({ ...context.risk, paused: true }) }) },
    'control.resume': {
      target: '.route',
      actions: enqueueActions(({ context, enqueue }) => {
        const now = context.now();
        const active = activeBreakers(context.risk, now);
        let risk: RiskState = { ...context.risk, paused: false };
        if (active.length) {
          const base = resumeBaselines(context.risk, now);
          risk = { ...risk, ...base, breakers: [] };
          enqueue({ type: 'clearBreakers', params: { codes: active.map((b) => b.code), by: 'operator', at: now } });
          enqueue({ type: 'persistRisk', params: { key: 'baselines', value: base.baselines } });
          if (base.reference !== null) enqueue({ type: 'persistRisk', params: { key: 'account_reference', value: { equity: base.reference, since: now } } });
          enqueue.emit({ type: 'decision.alert', payload: { severity: 'warning', code: 'risk.resumed', text: `operator resume cleared ${describeBreakers(active)}; drawdowns now measured from equity ${risk.equity ?? 'unknown'}` } });
        }
        enqueue.assign({ risk });
      }),
    },
    'decision.snapshot': {
      // Fast snapshots (every 1m candle), full ones off the close of the preset's decision timeframe and snapshots already
      // decided on: no transition at all.
      guard: ({ context, event }) => event.snapshot.kind === 'full' && isDecisionClose(context.cfg.preset, event.snapshot.ts)
        && event.snapshot.ts > (context.decidedTs[event.snapshot.symbol] ?? -Infinity),
      target: '.route',
      actions: [
        // Breakers whose period ended are cleared (and persisted as period_end) before deciding.
        enqueueActions(({ context, enqueue }) => {
          const now = context.now();
          const gone = expiredBreakers(context.risk, now);
          if (!gone.length) return;
          enqueue({ type: 'clearBreakers', params: { codes: gone.map((b) => b.code), by: 'period_end', at: now } });
          enqueue.assign({ risk: { ...context.risk, breakers: context.risk.breakers.filter((b) => !gone.includes(b)) } });
          enqueue.emit({ type: 'decision.alert', payload: { severity: 'info', code: 'risk.breaker_ended', text: `breaker period ended: ${gone.map((b) => b.code).join(', ')}` } });
        }),
        enqueueActions(({ context, event, enqueue }) => {
          const s = event.snapshot;
          // A decision still held for review when its symbol's next snapshot comes goes out unreviewed (no WARN, no veto).
          const stale = context.held[s.symbol];
          let base = context.risk;
          if (stale) {
            const d = applyReview(stale, { note: null, reason: '', model: '', at: context.now(), latencyMs: 0, error: 'no review before the next snapshot' });
            enqueue({ type: 'persistDecision', params: d });
            enqueue.emit({ type: 'decision.made', payload: d, tsEvent: d.ts });
            if (d.intent) base = { ...base, ...afterIntent(base, d.symbol, d.ts, d.intent.expiresAt) };
          }
          const risk0: RiskState = { ...base, regimes: { ...base.regimes, [s.symbol]: s.regime?.label ?? null } };
          const { decision, rawDir } = decide(s, {
            risk: risk0, fallbackEquity: context.fallbackEquity, prev: context.prev[s.symbol] ?? null,
            prevDir: context.prevDir[s.symbol] ?? null, learning: context.learning, overrides: context.overrides ?? {},
          }, context.cfg);
          const review = context.sentinel !== undefined && isStrong(decision) && decision.vetoes.length === 0;
          const hold = review && context.sentinel === 'warn_vetoes';
          const held = { ...context.held };
          delete held[s.symbol];
          if (hold) held[s.symbol] = decision;
          else {
            enqueue({ type: 'persistDecision', params: decision });
            enqueue.emit({ type: 'decision.made', payload: decision, tsEvent: s.ts });
          }
          if (review) enqueue({ type: 'requestSentinel', params: decision });
          const halted = activeBreakers(risk0, s.ts);
          // Re-asserted every cycle so a restarted execution actor learns of a halt within one snapshot.
          if (halted.length) enqueue.emit({ type: 'decision.halt', payload: haltFor(halted, s.ts), tsEvent: s.ts });
          const risk = decision.intent && !hold ? { ...risk0, ...afterIntent(risk0, s.symbol, s.ts, decision.intent.expiresAt) } : risk0;
          enqueue.assign({
            held,
            risk,
            prev: { ...context.prev, [s.symbol]: s },
            decidedTs: { ...context.decidedTs, [s.symbol]: s.ts },
            prevDir: rawDir !== 0 ? { ...context.prevDir, [s.symbol]: { dir: rawDir, ts: s.ts } } : context.prevDir,
            decisions: context.decisions + 1,
            lastDecision: { decisionId: decision.decisionId, verdict: decision.verdict, ts: decision.ts },
          });
        }),
      ],
    },
  },
  states: {
    route: {
      always: [{ guard: 'halted', target: 'halted' }, { guard: 'inCooldown', target: 'cooldown' }, { target: 'idle' }],
    },
    idle: {},
    cooldown: {
      after: { cooldownLeft: 'route' },
    },
    halted: {
      after: {
        breakerLeft: {
          target: 'route',
          actions: enqueueActions(({ context, enqueue }) => {
            const now = context.now();
            const gone = expiredBreakers(context.risk, now);
            if (!gone.length) return;
            enqueue({ type: 'clearBreakers', params: { codes: gone.map((b) => b.code), by: 'period_end', at: now } });
            enqueue.assign({ risk: { ...context.risk, breakers: context.risk.breakers.filter((b) => !gone.includes(b)) } });
            enqueue.emit({ type: 'decision.alert', payload: { severity: 'info', code: 'risk.breaker_ended', text: `breaker period ended: ${gone.map((b) => b.code).join(', ')}` } });
          }),
        },
      },
    },
  },
});
