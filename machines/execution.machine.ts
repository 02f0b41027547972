// execution machine: booting → reconciling → ready { trade: flat / entering / in_position / exiting / flattening,
// loop, health: ok / degraded } / halted. Pure: exchange and DB work are invoked actors the host provides (boot,
// reconcile, tick, flatten); time from input.now, deadlines in context, delays re-armed from them.
// Guarantees: nothing is placed before reconciliation is done (or after it timed out: halted, never guessing); no new
// entry while paused, halted by risk, degraded, or on a drifted symbol; a loop tick every loopMs and at once after
// any fill, so protection is re-checked continuously while a position is open.
import { assign, enqueueActions, fromPromise, raise, setup } from 'xstate';
import type { PublishEvent } from '../src/host/host.js';
import type { AlertPayload, Anomaly, Decision, HaltCommand, Intent, PositionEvent, PositionView } from '../src/protocol/index.js';

export interface ExecutionInput {
  symbols: string[];
  now: () => number;
  /** Loop period (clock ms). */
  loopMs: number;
  /** Loop period while flat and healthy (only leftovers to clean up): clock ms. */
  idleLoopMs: number;
  /** Startup reconciliation must be done within this (clock ms) or trading halts. */
  reconcileTimeoutMs: number;
}

export type Phase = 'flat' | 'entering' | 'in_position' | 'exiting' | 'flattening';

export interface ExecutionContext extends ExecutionInput {
  positions: Record<string, PositionView>;
  pending: Intent | null;
  phase: Phase;
  paused: boolean;
  haltReason: string | null;
  /** A risk halt from the decision engine: no new entries while it is in force (until null: until resume). */
  entryHalt: HaltCommand | null;
  /** A flatten requested (risk halt with flatten, kill switch) and not yet carried out. */
  flattenPending: boolean;
  /** Symbols the reconciler found drifted: no new entries on them until a later drift message clears them. */
  drifted: string[];
  /** Why the exchange or DB is unreachable; null when healthy. */
  degraded: string | null;
  reconcileDue: number;
  tickDue: number;
  /** A fill or a new entry arrived during a tick: run the next one at once. */
  kick: boolean;
  lastError: string | null;
}

export type FillNotice = {
  type: 'execution.fill';
  leg: string;
  outcome: 'opened' | 'increased' | 'reduced' | 'closed';
  position: PositionView;
  event: PositionEvent;
};

export interface TickInput {
  phase: Phase;
  intent: Intent | null;
}

export interface TickOutput {
  /** Entry progress when entering: still working, or over (filled, expired, or given up). */
  entry: 'working' | 'done' | null;
  /** A market exit is working for the open position. */
  exiting: boolean;
  alerts: AlertPayload[];
}

export type ExecutionEvent =
  | { type: 'execution.decision'; decision: Decision }
  | FillNotice
  | { type: 'execution.anomaly'; anomaly: Anomaly }
  | { type: 'execution.risk_halt'; halt: HaltCommand }
  | { type: 'execution.drift'; symbols: string[] }
  | { type: 'control.pause' }
  | { type: 'control.resume' }
  /** The operator's flatten cancelled entries and sent closes: leave any entry state. */
  | { type: 'execution.flattened' }
  /** Kill switch: flatten, then stop trading until an operator resumes. */
  | { type: 'execution.halt'; reason: string }
  /** The host could not reach the exchange or the DB (or it came back). */
  | { type: 'execution.degraded'; reason: string }
  | { type: 'execution.recovered' }
  // internal
  | { type: 'execution.kick' }
  | { type: 'execution.entry_done' }
  | { type: 'execution.exit_started' }
  | { type: 'execution.exit_cleared' }
  | { type: 'execution.flatten_request' };

export interface ReconcileOutput {
  positions: PositionView[];
  anomalies: Anomaly[];
}

type Ctx = ExecutionContext;
const hasOpen = (c: Ctx) => Object.values(c.positions).some((p) => p.side !== null);
const openAfter = (c: Ctx, e: ExecutionEvent) => (e.type === 'execution.fill' ? hasOpen({ ...c, positions: { ...c.positions, [e.position.symbol]: e.position } }) : hasOpen(c));
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const alertOf = (code: string, severity: AlertPayload['severity'], text: string): PublishEvent => ({ type: 'execution.alert', payload: { severity, code, text } });

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
    tick: fromPromise<TickOutput, TickInput>(async () => ({ entry: null, exiting: false, alerts: [] })),
    flatten: fromPromise<void, { reason: string }>(async () => {}),
  },
  delays: {
    reconcileTimeout: ({ context }) => Math.max(0, context.reconcileDue - context.now()),
    tickDelay: ({ context }) => Math.max(0, context.tickDue - context.now()),
  },
  actions: {
    applyFill: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'execution.fill') return;
      enqueue.assign({ positions: { ...context.positions, [event.position.symbol]: event.position } });
      enqueue.emit({ type: 'execution.position', payload: event.position });
      if (event.outcome === 'opened') enqueue.emit({ type: 'execution.position_opened', payload: event.event });
      if (event.outcome === 'closed') enqueue.emit({ type: 'execution.position_closed', payload: event.event });
    }),
    alert: enqueueActions(({ enqueue }, p: { code: string; text: string; severity: AlertPayload['severity'] }) => {
      enqueue.emit(alertOf(p.code, p.severity, p.text));
    }),
    phase: assign((_, p: { phase: Phase }) => ({ phase: p.phase })),
  },
  guards: {
    canEnter: ({ context: c, event }) => {
      if (event.type !== 'execution.decision') return false;
      const i = event.decision.intent;
      const h = c.entryHalt;
      const halted = !!h && (h.until === null || h.until > c.now());
      return (
        !!i && !c.paused && !halted && c.degraded === null && !c.flattenPending && c.symbols.includes(i.symbol) &&
        !c.drifted.includes(i.symbol) && i.expiresAt > c.now() && !hasOpen(c)
      );
    },
    hasOpenPosition: ({ context }) => hasOpen(context),
    openAfterFill: ({ context, event }) => openAfter(context, event),
    flattenPending: ({ context }) => context.flattenPending,
    kicked: ({ context }) => context.kick,
  },
}).createMachine({
  id: 'execution',
  context: ({ input }) => ({
    ...input, positions: {}, pending: null, phase: 'flat', paused: false, haltReason: null, entryHalt: null, flattenPending: false,
    drifted: [], degraded: null, reconcileDue: 0, tickDue: 0, kick: false, lastError: null,
  }),
  initial: 'booting',
  on: {
    'control.pause': { actions: assign({ paused: true }) },
    'control.resume': { actions: assign({ paused: false, entryHalt: null }) },
    'execution.halt': { target: '.halted', actions: assign({ haltReason: ({ event }) => event.reason, flattenPending: true, pending: null }) },
    'execution.drift': { actions: assign({ drifted: ({ event }) => [...event.symbols] }) },
    // A risk breaker from the decision engine: no new entries while in force; with flatten, everything is closed.
    'execution.risk_halt': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const fresh = context.entryHalt?.code !== event.halt.code;
        enqueue.assign({ entryHalt: event.halt });
        if (event.halt.flatten && fresh) {
          enqueue({ type: 'alert', params: { code: 'execution.flatten', severity: 'critical', text: `flattening every position (${event.halt.code}): ${event.halt.reason}` } });
          enqueue.assign({ flattenPending: true });
          enqueue.raise({ type: 'execution.flatten_request' });
        }
      }),
    },
  },
  states: {
    booting: {
      invoke: {
        src: 'boot',
        onDone: 'reconciling',
        onError: { target: 'halted', actions: assign({ haltReason: ({ event }) => `boot failed: ${errText(event.error)}` }) },
      },
    },
    reconciling: {
      entry: assign({ reconcileDue: ({ context }) => context.now() + context.reconcileTimeoutMs }),
      after: {
        reconcileTimeout: {
          target: 'halted',
          actions: [
            assign({ haltReason: ({ context }) => `reconciliation did not finish within ${context.reconcileTimeoutMs} ms`, flattenPending: false }),
            { type: 'alert', params: ({ context }) => ({ code: 'execution.reconcile_timeout', severity: 'critical' as const, text: `startup reconciliation did not finish within ${context.reconcileTimeoutMs} ms: trading halted (nothing is guessed)` }) },
          ],
        },
      },
      invoke: {
        src: 'reconcile',
        onDone: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const positions = { ...context.positions };
            for (const p of event.output.positions) positions[p.symbol] = p;
            enqueue.assign({ positions });
            for (const p of event.output.positions) enqueue.emit({ type: 'execution.position', payload: p });
            for (const a of event.output.anomalies) enqueue.emit({ type: 'execution.alert', payload: a });
          }),
          target: 'ready',
        },
        onError: {
          target: 'halted',
          actions: [
            assign({ haltReason: ({ event }) => `reconciliation failed: ${errText(event.error)}`, flattenPending: false }),
            { type: 'alert', params: ({ event }) => ({ code: 'execution.reconcile_failed', severity: 'critical' as const, text: `startup reconciliation failed, trading halted: ${errText(event.error)}` }) },
          ],
        },
      },
    },
    ready: {
      type: 'parallel',
      states: {
        trade: {
          initial: 'route',
          on: {
            'execution.flatten_request': '.flattening',
            'execution.flattened': { target: '.route', actions: assign({ pending: null }) },
          },
          states: {
            route: {
              always: [
                { guard: 'flattenPending', target: 'flattening' },
                { guard: 'hasOpenPosition', target: 'in_position' },
                { target: 'flat' },
              ],
            },
            flat: {
              entry: { type: 'phase', params: { phase: 'flat' } },
              on: {
                'execution.decision': { guard: 'canEnter', target: 'entering', actions: [assign({ pending: ({ event }) => event.decision.intent }), raise({ type: 'execution.kick' })] },
                'execution.fill': [{ guard: 'openAfterFill', actions: 'applyFill', target: 'in_position' }, { actions: 'applyFill' }],
              },
            },
            entering: {
              entry: { type: 'phase', params: { phase: 'entering' } },
              on: {
                'execution.fill': { actions: 'applyFill' },
                'execution.entry_done': { target: 'route', actions: [assign({ pending: null }), raise({ type: 'execution.kick' })] },
              },
            },
            in_position: {
              entry: { type: 'phase', params: { phase: 'in_position' } },
              on: {
                'execution.fill': [{ guard: 'openAfterFill', actions: 'applyFill' }, { actions: 'applyFill', target: 'flat' }],
                'execution.exit_started': 'exiting',
              },
            },
            exiting: {
              entry: { type: 'phase', params: { phase: 'exiting' } },
              on: {
                'execution.fill': [{ guard: 'openAfterFill', actions: 'applyFill' }, { actions: 'applyFill', target: 'flat' }],
                'execution.exit_cleared': { target: 'route', actions: raise({ type: 'execution.kick' }) },
              },
            },
            flattening: {
              entry: [{ type: 'phase', params: { phase: 'flattening' } }, assign({ pending: null, flattenPending: false })],
              on: { 'execution.fill': { actions: 'applyFill' } },
              invoke: {
                src: 'flatten',
                input: ({ context }) => ({ reason: context.entryHalt?.code ?? 'flatten' }),
                onDone: 'route',
                onError: {
                  target: 'route',
                  actions: { type: 'alert', params: ({ event }) => ({ code: 'execution.flatten_failed', severity: 'critical' as const, text: `flatten failed: ${errText(event.error)}` }) },
                },
              },
            },
          },
        },
        loop: {
          // The first tick runs as soon as trading is ready (protection checked at once after reconciliation).
          initial: 'work',
          states: {
            wait: {
              after: { tickDelay: 'work' },
              // Through a raised kick: the tick starts after the trade region has taken the same event (its phase).
              on: { 'execution.fill': { actions: raise({ type: 'execution.kick' }) }, 'execution.kick': 'work' },
            },
            work: {
              entry: assign({ kick: false }),
              on: { 'execution.fill': { actions: assign({ kick: true }) }, 'execution.kick': { actions: assign({ kick: true }) } },
              invoke: {
                src: 'tick',
                input: ({ context }) => ({ phase: context.phase, intent: context.pending }),
                onDone: {
                  target: 'after_work',
                  actions: enqueueActions(({ context, event, enqueue }) => {
                    const o = event.output;
                    const idle = context.phase === 'flat' && context.degraded === null;
                    enqueue.assign({ tickDue: context.now() + (idle ? context.idleLoopMs : context.loopMs), lastError: null });
                    if (context.degraded !== null) enqueue.raise({ type: 'execution.recovered' });
                    for (const a of o.alerts) enqueue.emit({ type: 'execution.alert', payload: a });
                    if (o.entry === 'done' && context.phase === 'entering') enqueue.raise({ type: 'execution.entry_done' });
                    if (o.exiting && context.phase === 'in_position') enqueue.raise({ type: 'execution.exit_started' });
                    if (!o.exiting && context.phase === 'exiting') enqueue.raise({ type: 'execution.exit_cleared' });
                  }),
                },
                onError: {
                  target: 'after_work',
                  actions: enqueueActions(({ context, event, enqueue }) => {
                    enqueue.assign({ tickDue: context.now() + context.loopMs, lastError: errText(event.error) });
                    enqueue.raise({ type: 'execution.degraded', reason: errText(event.error) });
                  }),
                },
              },
            },
            // A fill during the tick: run the next one at once (protection within one tick of any fill).
            after_work: { always: [{ guard: 'kicked', target: 'work' }, { target: 'wait' }] },
          },
        },
        health: {
          initial: 'ok',
          states: {
            ok: {
              on: {
                'execution.degraded': {
                  target: 'degraded',
                  actions: [
                    assign({ degraded: ({ event }) => event.reason }),
                    { type: 'alert', params: ({ event }) => ({ code: 'execution.degraded', severity: 'error' as const, text: `exchange or database unreachable, no new entries (protection kept): ${event.reason}` }) },
                  ],
                },
              },
            },
            degraded: {
              on: {
                'execution.degraded': { actions: assign({ degraded: ({ event }) => event.reason }) },
                'execution.recovered': {
                  target: 'ok',
                  actions: [assign({ degraded: null }), { type: 'alert', params: { code: 'execution.recovered', severity: 'info' as const, text: 'exchange and database reachable again: entries allowed' } }],
                },
              },
            },
          },
        },
      },
    },
    halted: {
      initial: 'check',
      exit: assign({ flattenPending: false }),
      on: {
        'control.resume': { target: 'reconciling', actions: assign({ paused: false, haltReason: null, entryHalt: null, flattenPending: false }) },
        // Fills still arrive (a flatten's close): positions and their events stay true while halted.
        'execution.fill': { actions: 'applyFill' },
      },
      states: {
        check: { always: [{ guard: 'flattenPending', target: 'flattening' }, { target: 'idle' }] },
        flattening: {
          invoke: {
            src: 'flatten',
            input: ({ context }) => ({ reason: context.haltReason ?? 'halt' }),
            onDone: { target: 'idle', actions: assign({ flattenPending: false }) },
            onError: {
              target: 'idle',
              actions: { type: 'alert', params: ({ event }) => ({ code: 'execution.flatten_failed', severity: 'critical' as const, text: `kill-switch flatten failed: ${errText(event.error)}` }) },
            },
          },
        },
        idle: {},
      },
    },
  },
});
