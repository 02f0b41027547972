// decision machine: idle ⇄ cooldown, halted; every full snapshot yields one persisted, explained decision.
// Pure: the strategy is a pure function; the cooldown deadline lives in context and re-arms on restore.
import { assign, enqueueActions, setup } from 'xstate';
import { evaluateEmaRsi, type EmaRsiParams } from '../src/decision/ema-rsi.js';
import type { PublishEvent } from '../src/host/host.js';
import type { Decision, EquityPoint, PositionView, Snapshot } from '../src/protocol/index.js';

export interface DecisionInput {
  params: EmaRsiParams;
  cooldownSec: number;
  startingEquity: number;
  now: () => number;
  /** Restored from MariaDB at start. */
  cooldownUntil: number;
  prevSpread: Record<string, number | null>;
}

export interface DecisionContext extends DecisionInput {
  positions: Record<string, PositionView>;
  equity: number;
  paused: boolean;
  decisions: number;
  lastDecision: Pick<Decision, 'decisionId' | 'verdict' | 'ts'> | null;
}

export type DecisionEvent =
  | { type: 'decision.snapshot'; snapshot: Snapshot }
  | { type: 'decision.position'; position: PositionView }
  | { type: 'decision.equity'; equity: EquityPoint }
  | { type: 'control.pause' }
  | { type: 'control.resume' };

export const decisionMachine = setup({
  types: {
    input: {} as DecisionInput,
    context: {} as DecisionContext,
    events: {} as DecisionEvent,
    emitted: {} as PublishEvent,
  },
  actions: {
    /** Provided by the host: write the decision (with its reasoning) to MariaDB. */
    persistDecision: (_, _d: Decision) => {},
  },
  guards: {
    inCooldown: ({ context }) => context.cooldownUntil > context.now(),
  },
  delays: {
    cooldownLeft: ({ context }) => Math.max(0, context.cooldownUntil - context.now()),
  },
}).createMachine({
  id: 'decision',
  context: ({ input }) => ({ ...input, positions: {}, equity: input.startingEquity, paused: false, decisions: 0, lastDecision: null }),
  initial: 'idle',
  on: {
    'decision.position': { actions: assign(({ context, event }) => ({ positions: { ...context.positions, [event.position.symbol]: event.position } })) },
    'decision.equity': { actions: assign(({ event }) => ({ equity: Number(event.equity.equity) })) },
    'control.pause': { actions: assign({ paused: true }) },
    'control.resume': { actions: assign({ paused: false }) },
    'decision.snapshot': {
      actions: enqueueActions(({ context, event, enqueue }) => {
          if (event.type !== 'decision.snapshot' || event.snapshot.kind !== 'full') return;
          const s = event.snapshot;
          const { decision, spread } = evaluateEmaRsi(s, {
            prevSpread: context.prevSpread[s.symbol] ?? null,
            position: context.positions[s.symbol] ?? null,
            equity: context.equity,
            paused: context.paused,
            cooldownUntil: context.cooldownUntil,
          }, context.params);
          enqueue({ type: 'persistDecision', params: decision });
          enqueue.emit({ type: 'decision.made', payload: decision, tsEvent: s.ts });
          enqueue.assign({
            prevSpread: { ...context.prevSpread, [s.symbol]: spread },
            decisions: context.decisions + 1,
            lastDecision: { decisionId: decision.decisionId, verdict: decision.verdict, ts: decision.ts },
            ...(decision.intent ? { cooldownUntil: s.ts + context.cooldownSec * 1000 } : {}),
          });
        }),
    },
  },
  states: {
    idle: {
      always: { guard: 'inCooldown', target: 'cooldown' },
    },
    cooldown: {
      after: { cooldownLeft: 'idle' },
    },
  },
});
