// The execution machine under a risk halt from the decision engine (`decision.halt`): no new entry while it is in
// force, entries again once its period ends or the operator resumes; a flatten request is raised as an alert.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, fromPromise } from 'xstate';
import { executionMachine, type ReconcileOutput } from '../../machines/execution.machine.js';
import { SimClock } from '../../src/clock/clock.js';
import type { Decision, HaltCommand, Intent } from '../../src/protocol/index.js';

const T0 = Date.UTC(2026, 0, 7, 12, 0, 0);
const sym = 'BTC/USDT:USDT';
const flush = () => new Promise((r) => setTimeout(r, 0));
const decision = (id: string, expiresAt: number): Decision => {
  const intent: Intent = {
    decisionId: id, symbol: sym, side: 'long', entry: { reference: '100', low: '99', high: '101' }, stopLoss: '95', takeProfits: [{ price: '110', fraction: 1 }],
    qty: '0.1', notional: '10', maxSlippage: 0.01, expiresAt, confidence: 1, allowMarket: true,
  };
  return { decisionId: id, symbol: sym, ts: T0, strategy: 't', verdict: 'BUY', score: 1, vetoes: [], intent, reasoning: '' };
};

function exec(clock: SimClock) {
  const entered: string[] = [];
  const alerts: string[] = [];
  const m = executionMachine.provide({
    actors: {
      boot: fromPromise<void>(async () => {}),
      reconcile: fromPromise<ReconcileOutput>(async () => ({ positions: [], anomalies: [] })),
      enter: fromPromise<void, { intent: Intent }>(async ({ input }) => void entered.push(input.intent.decisionId)),
      protect: fromPromise<void, { symbol: string }>(async () => {}),
      cleanup: fromPromise<void, { symbol: string }>(async () => {}),
    },
  });
  const actor = createActor(m, { clock, input: { symbols: [sym], now: () => clock.now() } });
  actor.on('execution.alert', (e) => alerts.push(e.payload.code));
  actor.start();
  return { actor, entered, alerts };
}

const halt = (until: number | null, flatten: boolean): HaltCommand => ({ code: flatten ? 'risk.emergency_stop' : 'risk.daily_drawdown', reason: 'test', flatten, until, ts: T0 });

test('a daily breaker halt refuses entries until its period ends', async () => {
  const clock = new SimClock(T0);
  const { actor, entered, alerts } = exec(clock);
  await flush();
  actor.send({ type: 'execution.risk_halt', halt: halt(T0 + 3_600_000, false) });
  actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 7_200_000) });
  await flush();
  assert.equal(entered, []);
  assert.equal(actor.getSnapshot().value, { ready: 'flat' }, 'still managing positions: only entries are refused');
  clock.advanceTo(T0 + 3_600_000);
  actor.send({ type: 'execution.decision', decision: decision('d2', T0 + 7_200_000) });
  await flush();
  assert.equal(entered, ['d2']);
  assert.equal(alerts, [], 'no flatten asked');
});

test('an emergency stop halt asks to flatten once and holds until the operator resumes', async () => {
  const clock = new SimClock(T0);
  const { actor, entered, alerts } = exec(clock);
  await flush();
  actor.send({ type: 'execution.risk_halt', halt: halt(null, true) });
  actor.send({ type: 'execution.risk_halt', halt: halt(null, true) }); // re-asserted every decision cycle
  clock.advanceTo(T0 + 30 * 86_400_000);
  actor.send({ type: 'execution.decision', decision: decision('d1', clock.now() + 60_000) });
  await flush();
  assert.equal(entered, []);
  assert.equal(alerts, ['execution.flatten_requested']);
  actor.send({ type: 'control.resume' });
  actor.send({ type: 'execution.decision', decision: decision('d2', clock.now() + 60_000) });
  await flush();
  assert.equal(entered, ['d2']);
});

test.run();
