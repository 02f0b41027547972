import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, fromPromise } from 'xstate';
import { executionMachine, type ReconcileOutput } from '../../machines/execution.machine.js';
import { reconcilerMachine, type CheckOutput } from '../../machines/reconciler.machine.js';
import { SimClock } from '../../src/clock/clock.js';
import type { Decision, Intent, PositionView } from '../../src/protocol/index.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const flush = () => new Promise((r) => setTimeout(r, 0));
const sym = 'BTC/USDT:USDT';
const intent = (expiresAt: number): Intent => ({
  decisionId: 'd1', symbol: sym, side: 'long', entry: { reference: '100', low: '99', high: '101' }, stopLoss: '95', takeProfits: [{ price: '110', fraction: 1 }],
  qty: '0.1', notional: '10', maxSlippage: 0.01, expiresAt, confidence: 1, allowMarket: true,
});
const decision = (i: Intent | null): Decision => ({ decisionId: 'd1', symbol: sym, ts: T0, strategy: 't', verdict: 'BUY', score: 1, vetoes: [], intent: i, reasoning: '' });
const view = (side: 'long' | null): PositionView => ({ symbol: sym, positionId: side ? 1 : null, side, qty: side ? '0.1' : '0', entryPrice: side ? '100' : null, stopLoss: null, takeProfit: null, unrealizedPnl: '0' });
const event = { positionId: 1, symbol: sym, side: 'long' as const, qty: '0.1', entryPrice: '100' };

function exec(clock: SimClock, reconcileImpl: () => Promise<ReconcileOutput>) {
  const calls: string[] = [];
  const m = executionMachine.provide({
    actors: {
      boot: fromPromise<void>(async () => void calls.push('boot')),
      reconcile: fromPromise(async () => (calls.push('reconcile'), reconcileImpl())),
      enter: fromPromise<void, { intent: Intent }>(async ({ input }) => void calls.push(`enter:${input.intent.decisionId}`)),
      protect: fromPromise<void, { symbol: string }>(async ({ input }) => void calls.push(`protect:${input.symbol}`)),
      cleanup: fromPromise<void, { symbol: string }>(async () => void calls.push('cleanup')),
    },
  });
  const actor = createActor(m, { clock, input: { symbols: [sym], now: () => clock.now() } });
  const emitted: string[] = [];
  actor.on('*', (e: { type: string }) => emitted.push(e.type));
  actor.start();
  return { actor, calls, emitted };
}

test('execution: nothing is entered before reconciliation; then entry → fill → protection → close → cleanup → flat', async () => {
  const clock = new SimClock(T0);
  let release!: (v: ReconcileOutput) => void;
  const { actor, calls, emitted } = exec(clock, () => new Promise((r) => (release = r)));
  await flush();
  assert.equal(actor.getSnapshot().value, 'reconciling');
  actor.send({ type: 'execution.decision', decision: decision(intent(T0 + 60_000)) });
  assert.not.ok(calls.some((c) => c.startsWith('enter')), 'no entry while reconciling');
  release({ positions: [], anomalies: [] });
  await flush();
  assert.equal(actor.getSnapshot().value, { ready: 'flat' });
  actor.send({ type: 'execution.decision', decision: decision(intent(T0 + 60_000)) });
  await flush();
  assert.equal(actor.getSnapshot().value, { ready: 'awaiting_fill' });
  actor.send({ type: 'execution.fill', leg: 'entry', outcome: 'opened', position: view('long'), event });
  await flush();
  assert.equal(actor.getSnapshot().value, { ready: 'in_position' });
  assert.ok(calls.includes(`protect:${sym}`));
  assert.ok(emitted.includes('execution.position_opened'));
  actor.send({ type: 'execution.fill', leg: 'sl', outcome: 'closed', position: view(null), event: { ...event, exitPrice: '95', reason: 'stop_loss' } });
  await flush();
  assert.equal(actor.getSnapshot().value, { ready: 'flat' });
  assert.ok(calls.includes('cleanup'));
  assert.ok(emitted.includes('execution.position_closed'));
});

test('execution: expired intents, paused trading and a position already open never enter', async () => {
  const clock = new SimClock(T0);
  const { actor, calls } = exec(clock, async () => ({ positions: [], anomalies: [] }));
  await flush();
  actor.send({ type: 'execution.decision', decision: decision(intent(T0 - 1)) });
  actor.send({ type: 'control.pause' });
  actor.send({ type: 'execution.decision', decision: decision(intent(T0 + 60_000)) });
  await flush();
  assert.not.ok(calls.some((c) => c.startsWith('enter')));
  const b = exec(clock, async () => ({ positions: [view('long')], anomalies: [] }));
  await flush();
  assert.equal(b.actor.getSnapshot().value, { ready: 'in_position' });
  b.actor.send({ type: 'execution.decision', decision: decision(intent(T0 + 60_000)) });
  await flush();
  assert.not.ok(b.calls.some((c) => c.startsWith('enter')));
});

test('execution: a failed reconciliation halts trading with an alert; resume retries it', async () => {
  const clock = new SimClock(T0);
  let fail = true;
  const { actor, emitted } = exec(clock, async () => {
    if (fail) throw new Error('exchange unreachable');
    return { positions: [], anomalies: [] };
  });
  await flush();
  assert.is(actor.getSnapshot().value, 'halted');
  assert.match(String(actor.getSnapshot().context.haltReason), 'exchange unreachable');
  assert.ok(emitted.includes('execution.alert'));
  fail = false;
  actor.send({ type: 'control.resume' });
  await flush();
  assert.equal(actor.getSnapshot().value, { ready: 'flat' });
});

test('reconciler: checks every interval of clock time and publishes equity', async () => {
  const clock = new SimClock(T0);
  let checks = 0;
  const m = reconcilerMachine.provide({
    actors: { check: fromPromise<CheckOutput>(async () => (checks++, { equity: { ts: clock.now(), equity: '1', balance: '1', unrealizedPnl: '0', dayPnl: '0', weekPnl: '0' }, anomalies: [] })) },
  });
  const actor = createActor(m, { clock, input: { intervalMs: 60_000, now: () => clock.now() } });
  const equity: unknown[] = [];
  actor.on('reconcile.equity', (e) => equity.push(e));
  actor.start();
  clock.advance(59_999);
  await flush();
  assert.is(checks, 0);
  clock.advance(1);
  await flush();
  assert.is(checks, 1);
  clock.advance(60_000);
  await flush();
  assert.is(checks, 2);
  assert.is(equity.length, 2);
});

test.run();
