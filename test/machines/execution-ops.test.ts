// The execution machine's life cycle on a SimClock: nothing before reconciliation, entry → fill → in position →
// close → flat, refusals (expired, paused, position open), a failed or timed-out reconciliation halts; the reconciler
// machine's cadence.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, fromPromise } from 'xstate';
import type { ReconcileOutput } from '../../machines/execution.machine.js';
import { reconcilerMachine, type CheckOutput } from '../../machines/reconciler.machine.js';
import { SimClock } from '../../src/clock/clock.js';
import { decision, execHarness, fill, flush, RECONCILE_TIMEOUT_MS, T0, view } from '../helpers/execution-machine.js';

test('execution: nothing is entered before reconciliation; then entry → fill → in position → close → flat', async () => {
  let release!: (v: ReconcileOutput) => void;
  const h = execHarness({ reconcile: () => new Promise((r) => (release = r)) });
  await flush();
  assert.is(h.state(), 'reconciling');
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 60_000) });
  await flush();
  assert.equal(h.ticks, [], 'no loop and no entry while reconciling');
  release({ positions: [], anomalies: [] });
  await flush();
  assert.is(h.trade(), 'flat');
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 60_000) });
  await flush();
  assert.is(h.trade(), 'entering');
  assert.equal(h.entered(), ['d1'], 'the entry is worked at once, not at the next loop');
  h.actor.send(fill('opened'));
  await flush();
  assert.is(h.trade(), 'entering', 'a first fill does not end the entry (partial fills)');
  assert.ok(h.emitted.includes('execution.position_opened'));
  h.setTick({ entry: 'done' });
  h.actor.send(fill('increased'));
  await flush();
  assert.is(h.trade(), 'in_position');
  h.actor.send(fill('closed', 'sl'));
  await flush();
  assert.is(h.trade(), 'flat');
  assert.ok(h.emitted.includes('execution.position_closed'));
});

test('execution: after reconciliation every symbol is announced, a flat one as flat (a position closed while it was down)', async () => {
  let release!: (v: ReconcileOutput) => void;
  const h = execHarness({ reconcile: () => new Promise((r) => (release = r)) });
  const seen: Array<{ symbol: string; side: string | null }> = [];
  h.actor.on('execution.position', (e: { payload: { symbol: string; side: string | null } }) => seen.push({ symbol: e.payload.symbol, side: e.payload.side }));
  await flush();
  release({ positions: [view('long')], anomalies: [] });
  await flush();
  assert.equal(seen.sort((a, b) => a.symbol.localeCompare(b.symbol)), [{ symbol: 'BTC/USDT:USDT', side: 'long' }, { symbol: 'ETH/USDT:USDT', side: null }]);
});

test('execution: expired intents, paused trading and a position already open never enter', async () => {
  const h = execHarness();
  await flush();
  h.actor.send({ type: 'execution.decision', decision: decision('d0', T0 - 1) });
  h.actor.send({ type: 'control.pause' });
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 60_000) });
  await flush();
  assert.equal(h.entered(), []);
  const b = execHarness({ reconcile: async () => ({ positions: [view('long')], anomalies: [] }) });
  await flush();
  assert.is(b.trade(), 'in_position');
  b.actor.send({ type: 'execution.decision', decision: decision('d2', T0 + 60_000) });
  await flush();
  assert.equal(b.entered(), []);
});

test('execution: a failed reconciliation halts trading with an alert; resume retries it', async () => {
  let fail = true;
  const h = execHarness({
    reconcile: async () => {
      if (fail) throw new Error('exchange unreachable');
      return { positions: [], anomalies: [] };
    },
  });
  await flush();
  assert.equal(h.state(), { halted: 'idle' });
  assert.match(String(h.actor.getSnapshot().context.haltReason), 'exchange unreachable');
  assert.ok(h.alerts.includes('execution.reconcile_failed'));
  assert.equal(h.flattens, [], 'a failed reconciliation never acts on guesses');
  fail = false;
  h.actor.send({ type: 'control.resume' });
  await flush();
  assert.is(h.trade(), 'flat');
});

test('execution: a reconciliation that does not finish within reconcileTimeoutMs halts and alerts; late results are ignored', async () => {
  let release!: (v: ReconcileOutput) => void;
  const h = execHarness({ reconcile: () => new Promise((r) => (release = r)) });
  await flush();
  h.clock.advance(RECONCILE_TIMEOUT_MS - 1);
  await flush();
  assert.is(h.state(), 'reconciling');
  h.clock.advance(1);
  await flush();
  assert.equal(h.state(), { halted: 'idle' });
  assert.ok(h.alerts.includes('execution.reconcile_timeout'));
  release({ positions: [view('long')], anomalies: [] });
  await flush();
  assert.equal(h.state(), { halted: 'idle' }, 'the late result does not resume trading');
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 3_600_000) });
  await flush();
  assert.equal(h.ticks, []);
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
