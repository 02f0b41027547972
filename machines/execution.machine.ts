// execution machine (the account): booting → reconciling → ready { book: trading / flattening, loop, health: ok /
// degraded } / halted, with one position machine per symbol (machines/position.machine.ts). Pure: exchange and DB work
// are invoked actors the host provides (boot, reconcile, tick, flatten, enter); time from input.now, deadlines in context.
// Guarantees: nothing is placed before reconciliation is done (or after it timed out: halted, never guessing); an entry
// is taken only when entryRefusal finds nothing across all positions at that moment (paused, halts, degraded, drift,
// max positions, sector cap, notional against equity × leverage); a loop tick every loopMs and at once after any fill.
import { assign, enqueueActions, fromPromise, raise, setup, type ActorRefFrom } from 'xstate';
import { positionMachine, type PositionPhase } from './position.machine.js';
import type { PublishEvent } from '../src/protocol/index.js';
import type { AlertPayload, Anomaly, Decision, HaltCommand, Intent, PositionEvent, PositionView } from '../src/protocol/index.js';

export interface ExecutionInput {
  symbols: string[];
  limits: EntryLimits;
  now: () => number;
  /** Loop period (clock ms). */
  loopMs: number;
  /** Loop period while flat and healthy (only leftovers to clean up): clock ms. */
  idleLoopMs: number;
  /** Startup reconciliation must be done within this (clock ms) or trading halts. */
  reconcileTimeoutMs: number;
}

export type Phase = PositionPhase;

/** Account-wide limits checked when an entry is taken (risk.* in config). */
export interface EntryLimits {
  maxPositions: number;
  maxPerSector: number;
  sectors: Record<string, string>;
  leverage: number;
}

export interface ExecutionContext extends ExecutionInput {
  positions: Record<string, PositionView>;
  /** One position machine per traded symbol. */
  slots: Record<string, PositionRef>;
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
  /** Account equity from the reconciler's last check (null: not known yet). */
  equity: string | null;
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

/** A symbol with no position. */
export const flatView = (symbol: string): PositionView => ({ symbol, positionId: null, side: null, qty: '0', entryPrice: null, stopLoss: null, takeProfit: null, unrealizedPnl: '0' });

/** One symbol's lifecycle as the loop tick sees it. */
export interface SlotInput {
  symbol: string;
  phase: Phase;
  intent: Intent | null;
}

export interface TickInput {
  slots: SlotInput[];
}

export interface TickOutput {
  /** Entry progress of each entering symbol: still working, or over (filled, expired, or given up). */
  entries: Record<string, 'working' | 'done'>;
  /** Symbols with a market exit working for their open position. */
  exiting: string[];
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
  /** The operator's flatten cancelled entries and sent closes: those symbols (all: none given) leave any entry state. */
  | { type: 'execution.flattened'; symbols?: string[] }
  | { type: 'execution.equity'; equity: string }
  /** Kill switch: flatten, then stop trading until an operator resumes. */
  | { type: 'execution.halt'; reason: string }
  /** The host could not reach the exchange or the DB (or it came back). */
  | { type: 'execution.degraded'; reason: string }
  | { type: 'execution.recovered' }
  // internal
  | { type: 'execution.kick' }
  | { type: 'execution.flatten_request' };

export interface ReconcileOutput {
  positions: PositionView[];
  anomalies: Anomaly[];
}

type Ctx = ExecutionContext;
type PositionRef = ActorRefFrom<typeof positionMachine>;
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const alertOf = (code: string, severity: AlertPayload['severity'], text: string): PublishEvent => ({ type: 'execution.alert', payload: { severity, code, text } });

/** Each symbol's lifecycle state and intent, from its position machine. */
export function slotStates(c: Pick<Ctx, 'slots'>): SlotInput[] {
  return Object.entries(c.slots).map(([symbol, ref]) => {
    const snap = ref.getSnapshot();
    return { symbol, phase: snap.value as Phase, intent: snap.context.intent };
  });
}

const busy = (s: SlotInput) => s.phase !== 'flat';
/** The announcement that an intent's entry is over (the decision actor frees that intent's slot on it). */
const entryEnded = (i: Intent, filled: boolean) =>
  ({ type: 'execution.entry_ended', payload: { symbol: i.symbol, decisionId: i.decisionId, expiresAt: i.expiresAt, filled } }) as const;
const sectorOf = (symbol: string, l: EntryLimits) => l.sectors[symbol] ?? symbol;

/**
 * Why an entry may not be taken now (null: it may), across every position of the account at this moment: paused,
 * halted, degraded, a flatten pending, the symbol drifted or busy, the intent expired, max positions, the sector cap,
 * the notional of every position plus this one beyond equity × leverage.
 */
export function entryRefusal(c: Ctx, i: Intent): string | null {
  const h = c.entryHalt;
  if (c.paused) return 'paused';
  if (h && (h.until === null || h.until > c.now())) return `risk halt ${h.code}`;
  if (c.degraded !== null) return `degraded: ${c.degraded}`;
  if (c.flattenPending) return 'flatten pending';
  if (!c.symbols.includes(i.symbol)) return `${i.symbol} is not traded`;
  if (c.drifted.includes(i.symbol)) return `${i.symbol} drifted from the exchange`;
  if (i.expiresAt <= c.now()) return 'intent expired';
  const slots = slotStates(c);
  const mine = slots.find((s) => s.symbol === i.symbol);
  if (mine && busy(mine)) return `${i.symbol} is ${mine.phase}`;
  const held = slots.filter(busy).map((s) => s.symbol);
  if (held.length >= c.limits.maxPositions) return `max_positions: ${held.length} of ${c.limits.maxPositions} (${held.join(', ')})`;
  const sector = sectorOf(i.symbol, c.limits);
  const inSector = held.filter((s) => sectorOf(s, c.limits) === sector);
  if (inSector.length >= c.limits.maxPerSector) return `sector_cap: ${inSector.length} in ${sector} (${inSector.join(', ')})`;
  if (c.equity !== null) {
    const notional = (p: { qty: string; entryPrice: string | null }) => (p.entryPrice === null ? 0 : Math.abs(Number(p.qty) * Number(p.entryPrice)));
    const open = Object.values(c.positions).filter((p) => p.side !== null).reduce((a, p) => a + notional(p), 0);
    const pending = slots.filter((s) => s.intent && s.symbol !== i.symbol && !c.positions[s.symbol]?.side).reduce((a, s) => a + Number(s.intent!.notional), 0);
    const cap = Number(c.equity) * c.limits.leverage;
    const want = Number(i.notional);
    if (open + pending + want > cap) return `account_notional: ${(open + pending + want).toFixed(2)} beyond equity × leverage ${cap.toFixed(2)}`;
  }
  return null;
}

export const executionMachine = setup({
  types: {
    input: {} as ExecutionInput,
    context: {} as ExecutionContext,
    events: {} as ExecutionEvent,
    emitted: {} as PublishEvent,
  },
  actors: {
    position: positionMachine,
    boot: fromPromise<void>(async () => {}),
    reconcile: fromPromise<ReconcileOutput>(async () => ({ positions: [], anomalies: [] })),
    tick: fromPromise<TickOutput, TickInput>(async () => ({ entries: {}, exiting: [], alerts: [] })),
    /** Works a just-taken entry at once (its outcome reaches the machine through the next tick); never fails. */
    enter: fromPromise<void, Intent>(async () => {}),
    flatten: fromPromise<void, { reason: string }>(async () => {}),
  },
  delays: {
    reconcileTimeout: ({ context }) => Math.max(0, context.reconcileDue - context.now()),
    tickDelay: ({ context }) => Math.max(0, context.tickDue - context.now()),
  },
  actions: {
    /** A fill for a symbol: the account's positions and events, and the symbol's position machine. */
    applyFill: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'execution.fill') return;
      enqueue.assign({ positions: { ...context.positions, [event.position.symbol]: event.position } });
      enqueue.emit({ type: 'execution.position', payload: event.position });
      if (event.outcome === 'opened') enqueue.emit({ type: 'execution.position_opened', payload: event.event });
      if (event.outcome === 'closed') enqueue.emit({ type: 'execution.position_closed', payload: event.event });
      const slot = context.slots[event.position.symbol];
      if (slot) enqueue.sendTo(slot, { type: 'position.fill', position: event.position });
    }),
    alert: enqueueActions(({ enqueue }, p: { code: string; text: string; severity: AlertPayload['severity'] }) => {
      enqueue.emit(alertOf(p.code, p.severity, p.text));
    }),
    /** Every (or the given) symbol leaves any entry state; positions stay as known. */
    resetSlots: enqueueActions(({ context, enqueue }, p: { symbols?: string[] | undefined }) => {
      for (const [symbol, ref] of Object.entries(context.slots)) {
        if (!p.symbols || p.symbols.includes(symbol)) enqueue.sendTo(ref, { type: 'position.reset', position: context.positions[symbol] ?? null });
      }
    }),
  },
  guards: {
    flattenPending: ({ context }) => context.flattenPending,
    kicked: ({ context }) => context.kick,
  },
}).createMachine({
  id: 'execution',
  context: ({ input, spawn }) => ({
    ...input,
    slots: Object.fromEntries(input.symbols.map((symbol) => [symbol, spawn('position', { id: `position:${symbol}`, input: { symbol } })])),
    positions: {}, paused: false, haltReason: null, entryHalt: null, flattenPending: false,
    drifted: [], degraded: null, equity: null, reconcileDue: 0, tickDue: 0, kick: false, lastError: null,
  }),
  initial: 'booting',
  on: {
    'control.pause': { actions: assign({ paused: true }) },
    'control.resume': { actions: assign({ paused: false, entryHalt: null }) },
    'execution.halt': {
      target: '.halted',
      actions: [assign({ haltReason: ({ event }) => event.reason, flattenPending: true }), { type: 'resetSlots', params: {} }],
    },
    'execution.drift': { actions: assign({ drifted: ({ event }) => [...event.symbols] }) },
    'execution.equity': { actions: assign({ equity: ({ event }) => event.equity }) },
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
            // Every symbol: one with no open position after reconciliation is announced flat — a position it closed (a
            // stop that filled while the process was dead) must reach the decision actor, which would otherwise veto
            // the symbol as "position open" for good.
            const views = [
              ...Object.keys(context.slots).map((symbol) => event.output.positions.find((p) => p.symbol === symbol) ?? flatView(symbol)),
              ...event.output.positions.filter((p) => !context.slots[p.symbol]),
            ];
            const positions = { ...context.positions };
            for (const p of views) positions[p.symbol] = p;
            enqueue.assign({ positions });
            for (const p of views) {
              enqueue.emit({ type: 'execution.position', payload: p });
              const slot = context.slots[p.symbol];
              if (slot) enqueue.sendTo(slot, { type: 'position.reset', position: p });
            }
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
        // Account-wide: entries are taken (or refused) here; each symbol's lifecycle is its position machine's.
        book: {
          initial: 'route',
          on: {
            // The symbol's position machine kicks the loop after taking the fill (protection within one tick of any fill).
            'execution.fill': { actions: 'applyFill' },
            'execution.flatten_request': '.flattening',
            'execution.flattened': { actions: { type: 'resetSlots', params: ({ event }) => ({ symbols: event.symbols }) } },
          },
          states: {
            route: { always: [{ guard: 'flattenPending', target: 'flattening' }, { target: 'trading' }] },
            trading: {
              on: {
                'execution.decision': {
                  actions: enqueueActions(({ context, event, enqueue }) => {
                    const i = event.decision.intent;
                    if (!i) return;
                    const why = entryRefusal(context, i);
                    if (why !== null) {
                      enqueue.emit({ type: 'execution.alert', payload: { severity: 'info', code: 'execution.entry_refused', symbol: i.symbol, text: `${i.side} ${i.symbol} not entered: ${why}` } });
                      // The decision actor holds a slot for this intent until it expires: free it now — unless this is
                      // the very intent already being worked (delivered twice), whose entry has not ended.
                      const working = slotStates(context).some((s) => s.intent?.decisionId === i.decisionId);
                      if (!working) enqueue.emit(entryEnded(i, false));
                      return;
                    }
                    // The position machine kicks the loop once it is entering (the tick sees it so); the entry is also
                    // worked at once, not after a tick already in flight (the tick works it again: it reads its attempts back).
                    enqueue.sendTo(context.slots[i.symbol]!, { type: 'position.enter', intent: i });
                    enqueue.spawnChild('enter', { input: i });
                  }),
                },
              },
            },
            flattening: {
              entry: [assign({ flattenPending: false }), { type: 'resetSlots', params: {} }],
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
              on: { 'execution.kick': 'work' },
            },
            work: {
              entry: assign({ kick: false }),
              on: { 'execution.kick': { actions: assign({ kick: true }) } },
              invoke: {
                src: 'tick',
                input: ({ context }) => ({ slots: slotStates(context) }),
                onDone: {
                  target: 'after_work',
                  actions: enqueueActions(({ context, event, enqueue }) => {
                    const o = event.output;
                    const slots = slotStates(context);
                    const idle = slots.every((s) => s.phase === 'flat') && context.degraded === null;
                    enqueue.assign({ tickDue: context.now() + (idle ? context.idleLoopMs : context.loopMs), lastError: null });
                    if (context.degraded !== null) enqueue.raise({ type: 'execution.recovered' });
                    for (const a of o.alerts) enqueue.emit({ type: 'execution.alert', payload: a });
                    for (const s of slots) {
                      const ref = context.slots[s.symbol]!;
                      const exiting = o.exiting.includes(s.symbol);
                      // An entry or exit that ended kicks the loop from its position machine (the next tick sees it ended).
                      if (s.phase === 'entering' && o.entries[s.symbol] === 'done') {
                        enqueue.sendTo(ref, { type: 'position.entry_done' });
                        if (s.intent) enqueue.emit(entryEnded(s.intent, !!context.positions[s.symbol]?.side));
                      }
                      if (s.phase === 'in_position' && exiting) enqueue.sendTo(ref, { type: 'position.exit_started' });
                      if (s.phase === 'exiting' && !exiting) enqueue.sendTo(ref, { type: 'position.exit_cleared' });
                    }
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
            // A fill or a new entry during the tick: run the next one at once (protection within one tick of any fill).
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
