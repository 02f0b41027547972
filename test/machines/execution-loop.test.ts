// The execution machine's loop and modes on a SimClock: a tick every loopMs and at once after a fill, entries that
// end, exits at market, degraded mode (no entries, loop kept), drift per symbol, the kill switch and operator flatten.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { answerFor, decision, execHarness, fill, flush, LOOP_MS, T0, view } from '../helpers/execution-machine.js';

/** Advances n loops, letting each tick finish before the next (a tick re-arms the loop when it is done). */
async function loops(h: ReturnType<typeof execHarness>, n: number) {
  for (let i = 0; i < n; i++) {
    h.clock.advance(LOOP_MS);
    await flush();
  }
}

test('the loop ticks every loopMs of clock time, and at once after a fill', async () => {
  const h = execHarness({ reconcile: async () => ({ positions: [view('long')], anomalies: [] }) });
  await flush();
  const first = h.ticks.length;
  h.clock.advance(LOOP_MS - 1);
  await flush();
  assert.is(h.ticks.length, first, 'not before loopMs');
  h.clock.advance(1);
  await flush();
  assert.is(h.ticks.length, first + 1);
  assert.is(h.ticks.at(-1)!.slots.find((sl) => sl.symbol === 'BTC/USDT:USDT')!.phase, 'in_position');
  await loops(h, 5);
  assert.is(h.ticks.length, first + 6, 'one per loopMs, re-armed after each');
  h.clock.advance(10);
  h.actor.send(fill('increased'));
  await flush();
  assert.is(h.ticks.length, first + 7, 'a fill runs a tick without waiting for the loop');
});

test('an entry that ends without a fill returns to flat; one that filled goes in position; each end (and a refusal) is announced', async () => {
  const h = execHarness();
  const ended: Array<{ decisionId: string; filled: boolean }> = [];
  h.actor.on('execution.entry_ended', (e) => ended.push({ decisionId: e.payload.decisionId, filled: e.payload.filled }));
  await flush();
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 60_000) });
  await flush();
  assert.is(h.trade(), 'entering');
  h.actor.send({ type: 'execution.decision', decision: decision('d2', T0 + 60_000) });
  await flush();
  assert.equal(h.entered(), ['d1'], 'one entry at a time');
  // d1 delivered again: refused (its entry is under way) but not announced as ended.
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 60_000) });
  await flush();
  h.setTick({ entry: 'done' });
  h.clock.advance(LOOP_MS);
  await flush();
  assert.is(h.trade(), 'flat', 'expired or given up with nothing filled');
  assert.is(h.intentOf(), null);
  h.setTick({ entry: 'working' });
  h.actor.send({ type: 'execution.decision', decision: decision('d3', T0 + 60_000) });
  await flush();
  h.actor.send(fill('opened', 'entry', '0.04'));
  await flush();
  h.setTick({ entry: 'done' });
  h.clock.advance(LOOP_MS);
  await flush();
  assert.is(h.trade(), 'in_position', 'a partial fill is the position');
  assert.is(h.actor.getSnapshot().context.positions['BTC/USDT:USDT']!.qty, '0.04');
  // The decision actor frees an intent's slot on these: d2 refused at once (d1 busy), d1 ended unfilled, d3 filled.
  assert.equal(ended, [{ decisionId: 'd2', filled: false }, { decisionId: 'd1', filled: false }, { decisionId: 'd3', filled: true }]);
});

test('a taken entry is worked at once, while a tick is still in flight; a refused one is not', async () => {
  let release!: () => void;
  let hold = false;
  const h = execHarness({
    tick: async (i) => {
      if (hold) await new Promise<void>((r) => (release = r));
      return answerFor(i, { entry: 'working', exiting: false, alerts: [] });
    },
  });
  await flush();
  hold = true;
  h.clock.advance(LOOP_MS);
  await flush();
  const inFlight = h.ticks.length;
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 60_000) });
  await flush();
  assert.equal(h.enters, ['d1'], 'handed to the effects at once');
  assert.is(h.ticks.length, inFlight, 'the tick in flight has not ended');
  h.actor.send({ type: 'execution.decision', decision: decision('d2', T0 + 60_000) });
  await flush();
  assert.equal(h.enters, ['d1'], 'd2 refused (d1 is being entered): nothing worked');
  hold = false;
  release();
  await flush();
  assert.ok(h.ticks.length > inFlight, 'the kick runs a tick once the one in flight ended');
  assert.equal(h.ticks.at(-1)!.slots.find((s) => s.symbol === 'BTC/USDT:USDT')!.intent?.decisionId, 'd1', 'and the tick works the same entry');
});

test('a market exit (max hold, trail crossed) moves to exiting; its fill makes the machine flat', async () => {
  const h = execHarness({ reconcile: async () => ({ positions: [view('long')], anomalies: [] }) });
  await flush();
  h.setTick({ entry: null, exiting: true, alerts: [{ severity: 'warning', code: 'execution.exit_time', text: 'max hold' }] });
  h.clock.advance(LOOP_MS);
  await flush();
  assert.is(h.trade(), 'exiting');
  assert.ok(h.alerts.includes('execution.exit_time'));
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 60_000) });
  h.actor.send(fill('closed', 'time'));
  await flush();
  assert.is(h.trade(), 'flat');
  assert.equal(h.entered(), [], 'no entry from a decision that arrived while exiting');
});

test('degraded: a failing tick (exchange or DB unreachable) refuses entries but keeps looping; recovery allows them', async () => {
  let fail = false;
  const h = execHarness({
    tick: async (i) => {
      if (fail) throw new Error('database unreachable');
      return answerFor(i, { entry: 'working', exiting: false, alerts: [] });
    },
  });
  await flush();
  fail = true;
  h.clock.advance(LOOP_MS);
  await flush();
  assert.equal((h.state() as { ready: { health: string } }).ready.health, 'degraded');
  assert.ok(h.alerts.includes('execution.degraded'));
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 600_000) });
  await flush();
  assert.equal(h.entered(), []);
  const n = h.ticks.length;
  await loops(h, 3);
  assert.is(h.ticks.length, n + 3, 'the loop (protection) keeps running while degraded');
  fail = false;
  h.clock.advance(LOOP_MS);
  await flush();
  assert.equal((h.state() as { ready: { health: string } }).ready.health, 'ok');
  assert.ok(h.alerts.includes('execution.recovered'));
  h.actor.send({ type: 'execution.decision', decision: decision('d2', h.clock.now() + 600_000) });
  await flush();
  assert.equal(h.entered(), ['d2']);
});

test('a host-reported write failure degrades at once', async () => {
  const h = execHarness();
  await flush();
  h.actor.send({ type: 'execution.degraded', reason: 'ledger write failed' });
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 600_000) });
  await flush();
  assert.equal(h.entered(), []);
  assert.is(h.actor.getSnapshot().context.degraded, 'ledger write failed');
});

test('drift: no entries on a drifted symbol until a later drift message clears it; other symbols trade', async () => {
  const h = execHarness();
  await flush();
  h.actor.send({ type: 'execution.drift', symbols: ['BTC/USDT:USDT'] });
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 600_000) });
  await flush();
  assert.equal(h.entered(), []);
  h.actor.send({ type: 'execution.decision', decision: decision('e1', T0 + 600_000, 'ETH/USDT:USDT') });
  await flush();
  assert.equal(h.entered(), ['e1']);
  h.setTick({ entry: 'done' });
  h.clock.advance(LOOP_MS);
  await flush();
  h.setTick({ entry: 'working' });
  h.actor.send({ type: 'execution.drift', symbols: [] });
  h.actor.send({ type: 'execution.decision', decision: decision('d2', T0 + 600_000) });
  await flush();
  assert.equal(h.entered(), ['e1', 'd2']);
});

test('kill switch: halts, flattens once, stays halted (no ticks, no entries) until resume', async () => {
  let held = [view('long')];
  const h = execHarness({ reconcile: async () => ({ positions: held, anomalies: [] }) });
  await flush();
  h.actor.send({ type: 'execution.halt', reason: 'kill switch' });
  await flush();
  assert.equal(h.flattens, ['kill switch']);
  assert.equal(h.state(), { halted: 'idle' });
  h.actor.send(fill('closed', 'flatten'));
  held = [];
  await flush();
  assert.is(h.actor.getSnapshot().context.positions['BTC/USDT:USDT']!.side, null, 'the close is still recorded');
  const n = h.ticks.length;
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 600_000) });
  await loops(h, 3);
  assert.is(h.ticks.length, n);
  h.actor.send({ type: 'control.resume' });
  await flush();
  assert.is(h.trade(), 'flat');
  assert.equal(h.flattens, ['kill switch'], 'resume does not flatten again');
});

test('operator flatten while entering abandons the entry', async () => {
  const h = execHarness();
  await flush();
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 600_000) });
  await flush();
  h.actor.send({ type: 'execution.flattened' });
  await flush();
  assert.is(h.trade(), 'flat');
  assert.is(h.intentOf(), null);
});

test.run();
