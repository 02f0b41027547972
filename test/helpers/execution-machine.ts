// The execution machine on a SimClock with scripted effects: each tick, reconcile and flatten call is recorded and
// answered by the test. Guarantees machine tests drive only the machine (no IO), with time under the test's control.
import { createActor, fromPromise } from 'xstate';
import { executionMachine, type ReconcileOutput, type TickInput, type TickOutput } from '../../machines/execution.machine.js';
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

export interface Script {
  reconcile?: () => Promise<ReconcileOutput>;
  tick?: (i: TickInput) => Promise<TickOutput>;
  flatten?: () => Promise<void>;
}

export function execHarness(script: Script = {}, clock = new SimClock(T0)) {
  const ticks: TickInput[] = [];
  const flattens: string[] = [];
  const alerts: string[] = [];
  const emitted: string[] = [];
  let nextTick: TickOutput = { entry: 'working', exiting: false, alerts: [] };
  const m = executionMachine.provide({
    actors: {
      boot: fromPromise<void>(async () => {}),
      reconcile: fromPromise<ReconcileOutput>(() => (script.reconcile ?? (async () => ({ positions: [], anomalies: [] })))()),
      tick: fromPromise<TickOutput, TickInput>(async ({ input }) => {
        ticks.push(input);
        return script.tick ? script.tick(input) : nextTick;
      }),
      flatten: fromPromise<void, { reason: string }>(async ({ input }) => {
        flattens.push(input.reason);
        await script.flatten?.();
      }),
    },
  });
  const actor = createActor(m, { clock, input: { symbols: [SYM, 'ETH/USDT:USDT'], now: () => clock.now(), loopMs: LOOP_MS, idleLoopMs: LOOP_MS, reconcileTimeoutMs: RECONCILE_TIMEOUT_MS } });
  actor.on('execution.alert', (e) => alerts.push(e.payload.code));
  actor.on('*', (e: { type: string }) => emitted.push(e.type));
  actor.start();
  const state = () => actor.getSnapshot().value as unknown;
  const trade = () => (actor.getSnapshot().value as { ready?: { trade: string } }).ready?.trade ?? actor.getSnapshot().value;
  const entered = () => [...new Set(ticks.filter((t) => t.phase === 'entering').map((t) => t.intent!.decisionId))];
  return {
    actor, clock, ticks, flattens, alerts, emitted, state, trade, entered,
    setTick: (o: Partial<TickOutput>) => (nextTick = { entry: 'working', exiting: false, alerts: [], ...o }),
  };
}
