// The execution machine on a SimClock with scripted effects: each tick, reconcile and flatten call is recorded and
// answered by the test. Guarantees machine tests drive only the machine (no IO), with time under the test's control.
import { createActor, fromPromise } from 'xstate';
import { executionMachine, slotStates, type ReconcileOutput, type TickInput, type TickOutput } from '../../machines/execution.machine.js';
import { SimClock } from '../../src/clock/clock.js';
import type { Decision, Intent, PositionEvent, PositionView } from '../../src/protocol/index.js';

export const T0 = Date.UTC(2026, 0, 7, 12, 0, 0);
export const SYM = 'BTC/USDT:USDT';
export const LOOP_MS = 2000;
export const RECONCILE_TIMEOUT_MS = 30_000;
export const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};

export const intent = (id: string, expiresAt: number, symbol = SYM): Intent => ({
  decisionId: id, symbol, side: 'long', entry: { reference: '100', low: '99', high: '101' }, stopLoss: '95', takeProfits: [{ price: '110', fraction: 1 }],
  qty: '0.1', notional: '10', maxSlippage: 0.01, expiresAt, confidence: 1, allowMarket: true,
});
export const decision = (id: string, expiresAt: number, symbol = SYM): Decision => ({
  decisionId: id, symbol, ts: T0, strategy: 't', verdict: 'BUY', score: 1, vetoes: [], intent: intent(id, expiresAt, symbol), reasoning: '',
});
export const view = (side: 'long' | null, qty = '0.1'): PositionView => ({
  symbol: SYM, positionId: side ? 1 : null, side, qty: side ? qty : '0', entryPrice: side ? '100' : null, stopLoss: null, takeProfit: null, unrealizedPnl: '0',
});
export const posEvent: PositionEvent = { positionId: 1, symbol: SYM, side: 'long', qty: '0.1', entryPrice: '100' };
export const fill = (outcome: 'opened' | 'increased' | 'reduced' | 'closed', leg = 'entry', qty = '0.1') =>
  ({ type: 'execution.fill', leg, outcome, position: view(outcome === 'closed' ? null : 'long', qty), event: posEvent }) as const;

/** What the scripted tick answers for every slot: the entering ones' entry state, and whether open ones are exiting. */
export interface Answer {
  entry: 'working' | 'done' | null;
  exiting: boolean;
  alerts: TickOutput['alerts'];
}

/** The per-symbol tick output for `a`, over the slots the tick was given. */
export const answerFor = (i: TickInput, a: Answer): TickOutput => ({
  entries: Object.fromEntries(i.slots.filter((s) => s.phase === 'entering' && a.entry !== null).map((s) => [s.symbol, a.entry!])),
  exiting: a.exiting ? i.slots.filter((s) => s.phase === 'in_position' || s.phase === 'exiting').map((s) => s.symbol) : [],
  alerts: a.alerts,
});

export const DEFAULT_LIMITS = { maxPositions: 3, maxPerSector: 2, sectors: {}, leverage: 5 };

export interface Script {
  reconcile?: () => Promise<ReconcileOutput>;
  tick?: (i: TickInput) => Promise<TickOutput>;
  flatten?: () => Promise<void>;
}

export function execHarness(script: Script = {}, clock = new SimClock(T0), symbols = [SYM, 'ETH/USDT:USDT'], limits = DEFAULT_LIMITS) {
  const ticks: TickInput[] = [];
  const flattens: string[] = [];
  const alerts: string[] = [];
  const emitted: string[] = [];
  /** Intents handed to the `enter` actor (worked at once, ahead of a tick in flight), by decision id. */
  const enters: string[] = [];
  let nextTick: Answer = { entry: 'working', exiting: false, alerts: [] };
  const m = executionMachine.provide({
    actors: {
      boot: fromPromise<void>(async () => {}),
      reconcile: fromPromise<ReconcileOutput>(() => (script.reconcile ?? (async () => ({ positions: [], anomalies: [] })))()),
      tick: fromPromise<TickOutput, TickInput>(async ({ input }) => {
        ticks.push(input);
        return script.tick ? script.tick(input) : answerFor(input, nextTick);
      }),
      enter: fromPromise<void, Intent>(async ({ input }) => {
        enters.push(input.decisionId);
      }),
      flatten: fromPromise<void, { reason: string }>(async ({ input }) => {
        flattens.push(input.reason);
        await script.flatten?.();
      }),
    },
  });
  const actor = createActor(m, { clock, input: { symbols, limits, now: () => clock.now(), loopMs: LOOP_MS, idleLoopMs: LOOP_MS, reconcileTimeoutMs: RECONCILE_TIMEOUT_MS } });
  actor.on('execution.alert', (e) => alerts.push(e.payload.code));
  actor.on('*', (e: { type: string }) => emitted.push(e.type));
  actor.start();
  const state = () => actor.getSnapshot().value as unknown;
  /** A symbol's lifecycle state (its position machine), or the account's state when not ready. */
  const trade = (symbol = SYM) => {
    const v = actor.getSnapshot().value as { ready?: { book: string } };
    if (!v.ready) return actor.getSnapshot().value;
    if (v.ready.book === 'flattening') return 'flattening';
    return slotStates(actor.getSnapshot().context).find((s) => s.symbol === symbol)!.phase;
  };
  const intentOf = (symbol = SYM) => slotStates(actor.getSnapshot().context).find((s) => s.symbol === symbol)!.intent;
  const entered = () => [...new Set(ticks.flatMap((t) => t.slots.filter((s) => s.phase === 'entering').map((s) => s.intent!.decisionId)))];
  return {
    actor, clock, ticks, flattens, alerts, emitted, enters, state, trade, entered, intentOf,
    setTick: (o: Partial<Answer>) => (nextTick = { entry: 'working', exiting: false, alerts: [], ...o }),
  };
}
