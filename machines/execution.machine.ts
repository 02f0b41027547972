// execution machine: booting → reconciling → flat / entering / awaiting_fill / protecting / in_position; halted.
// Pure: exchange and DB work are invoked actors provided by the host; nothing is placed before reconciling is done.
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { PublishEvent } from '../src/host/host.js';
import type { Anomaly, Decision, HaltCommand, Intent, PositionEvent, PositionView } from '../src/protocol/index.js';

export interface ExecutionInput {
  symbols: string[];
  now: () => number;
}

export interface ExecutionContext extends ExecutionInput {
  positions: Record<string, PositionView>;
  pending: Intent | null;
  paused: boolean;
  haltReason: string | null;
  /** A risk halt from the decision engine: no new entries while it is in force (until null: until resume). */
  entryHalt: HaltCommand | null;
  lastError: string | null;
}

export type FillNotice = {
  type: 'execution.fill';
  leg: string;
  outcome: 'opened' | 'increased' | 'reduced' | 'closed';
  position: PositionView;
  event: PositionEvent;
};

export type ExecutionEvent =
  | { type: 'execution.decision'; decision: Decision }
  | FillNotice
  | { type: 'execution.anomaly'; anomaly: Anomaly }
  | { type: 'execution.risk_halt'; halt: HaltCommand }
  | { type: 'control.pause' }
  | { type: 'control.resume' }
  /** The operator's flatten cancelled entries and sent closes: leave any entry state. */
  | { type: 'execution.flattened' }
  /** Kill switch: stop trading until an operator resumes. */
  | { type: 'execution.halt'; reason: string };

export interface ReconcileOutput {
  positions: PositionView[];
  anomalies: Anomaly[];
}

const hasOpen = (c: ExecutionContext) => Object.values(c.positions).some((p) => p.side !== null);

export const executionMachine = setup({
  types: {
    input: {} as ExecutionInput,
    context: {} as ExecutionContext,
    events: {} as ExecutionEvent,
    emitted: {} as PublishEvent,
  },
  actors: {
    boot: fromPromise<void>(async () => {}),
    reconcile: fromPromise<ReconcileOutput>(async () => ({ positions: [], anomalies: [] })),
    enter: fromPromise<void, { intent: Intent }>(async () => {}),
    protect: fromPromise<void, { symbol: string }>(async () => {}),
    cleanup: fromPromise<void, { symbol: string }>(async () => {}),
  },
  actions: {
    applyFill: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'execution.fill') return;
      enqueue.assign({ positions: { ...context.positions, [event.position.symbol]: event.position } });
      enqueue.emit({ type: 'execution.position', payload: event.position });
      if (event.outcome === 'opened') enqueue.emit({ type: 'execution.position_opened', payload: event.event });
      if (event.outcome === 'closed') enqueue.emit({ type: 'execution.position_closed', payload: event.event });
    }),
    alert: enqueueActions(({ enqueue }, p: { code: string; text: string; severity: 'warning' | 'error' | 'critical' }) => {
      enqueue.emit({ type: 'execution.alert', payload: { severity: p.severity, code: p.code, text: p.text } });
    }),
  },
  guards: {
    canEnter: ({ context, event }) => {
      if (event.type !== 'execution.decision') return false;
      const i = event.decision.intent;
      const h = context.entryHalt;
      const halted = !!h && (h.until === null || h.until > context.now());
      return !!i && !context.paused && !halted && context.symbols.includes(i.symbol) && i.expiresAt > context.now() && !hasOpen(context);
    },
    hasOpenPosition: ({ context }) => hasOpen(context),
    entryFilled: ({ event }) => event.type === 'execution.fill' && event.leg === 'entry' && event.outcome === 'opened',
    positionClosed: ({ event }) => event.type === 'execution.fill' && event.outcome === 'closed',
  },
}).createMachine({
  id: 'execution',
  context: ({ input }) => ({ ...input, positions: {}, pending: null, paused: false, haltReason: null, entryHalt: null, lastError: null }),
  initial: 'booting',
  on: {
    'control.pause': { actions: assign({ paused: true }) },
    'control.resume': { actions: assign({ paused: false, entryHalt: null }) },
    'execution.halt': { target: '.halted', actions: assign({ haltReason: ({ event }) => event.reason }) },
    // A risk breaker from the decision engine: no new entries while in force; protection keeps running.
    // Flatten-at-market on `halt.flatten` is issue 6's; until then the request is raised as an alert.
    'execution.risk_halt': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (event.halt.flatten && context.entryHalt?.code !== event.halt.code) {
          enqueue({ type: 'alert', params: { code: 'execution.flatten_requested', severity: 'critical', text: `flatten requested (${event.halt.code}): ${event.halt.reason}` } });
        }
        enqueue.assign({ entryHalt: event.halt });
      }),
    },
  },
  states: {
    booting: {
      invoke: {
        src: 'boot',
        onDone: 'reconciling',
        onError: { target: 'halted', actions: assign({ haltReason: ({ event }) => `boot failed: ${(event.error as Error).message}` }) },
      },
    },
    reconciling: {
      invoke: {
        src: 'reconcile',
        onDone: [
          {
            actions: enqueueActions(({ context, event, enqueue }) => {
              const positions = { ...context.positions };
              for (const p of event.output.positions) positions[p.symbol] = p;
              enqueue.assign({ positions });
              for (const p of event.output.positions) enqueue.emit({ type: 'execution.position', payload: p });
              for (const a of event.output.anomalies) enqueue.emit({ type: 'execution.alert', payload: a });
            }),
            target: 'ready',
          },
        ],
        onError: {
          target: 'halted',
          actions: [
            assign({ haltReason: ({ event }) => `reconciliation failed: ${(event.error as Error).message}` }),
            { type: 'alert', params: ({ event }) => ({ code: 'execution.reconcile_failed', severity: 'critical' as const, text: `startup reconciliation failed, trading halted: ${(event.error as Error).message}` }) },
          ],
        },
      },
    },
    ready: {
      initial: 'route',
      on: { 'execution.fill': { actions: 'applyFill' }, 'execution.flattened': '.route' },
      states: {
        route: {
          always: [{ guard: 'hasOpenPosition', target: 'in_position' }, { target: 'flat' }],
        },
        flat: {
          on: {
            'execution.decision': { guard: 'canEnter', target: 'entering', actions: assign({ pending: ({ event }) => event.decision.intent }) },
          },
        },
        entering: {
          invoke: {
            src: 'enter',
            input: ({ context }) => ({ intent: context.pending! }),
            onDone: 'awaiting_fill',
            onError: {
              target: 'flat',
              actions: { type: 'alert', params: ({ event }) => ({ code: 'execution.entry_failed', severity: 'error' as const, text: `entry order failed: ${(event.error as Error).message}` }) },
            },
          },
        },
        awaiting_fill: {
          on: {
            'execution.fill': [
              { guard: 'entryFilled', actions: 'applyFill', target: 'protecting' },
              { actions: 'applyFill' },
            ],
          },
        },
        protecting: {
          invoke: {
            src: 'protect',
            input: ({ context }) => ({ symbol: context.pending!.symbol }),
            onDone: { target: 'in_position', actions: assign({ pending: null }) },
            onError: {
              target: 'protect_retry',
              actions: { type: 'alert', params: ({ event }) => ({ code: 'execution.protection_failed', severity: 'critical' as const, text: `placing stop-loss/take-profit failed, retrying: ${(event.error as Error).message}` }) },
            },
          },
        },
        protect_retry: {
          after: { 1000: 'protecting' },
        },
        in_position: {
          on: {
            'execution.fill': [
              { guard: 'positionClosed', actions: 'applyFill', target: 'cleaning' },
              { actions: 'applyFill' },
            ],
          },
        },
        cleaning: {
          invoke: {
            src: 'cleanup',
            input: ({ event }) => ({ symbol: (event as FillNotice).position.symbol }),
            onDone: 'route',
            onError: 'route',
          },
        },
      },
    },
    halted: {
      on: {
        'control.resume': { target: 'reconciling', actions: assign({ paused: false, haltReason: null }) },
        // Fills still arrive (a flatten's close): positions and their events stay true while halted.
        'execution.fill': { actions: 'applyFill' },
      },
    },
  },
});
