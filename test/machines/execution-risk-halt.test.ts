// The execution machine under a risk halt from the decision engine (`decision.halt`): no new entry while it is in
// force, entries again once its period ends or the operator resumes; a halt with flatten closes everything once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HaltCommand } from '../../src/protocol/index.js';
import { decision, execHarness, flush, T0 } from '../helpers/execution-machine.js';

const halt = (until: number | null, flatten: boolean): HaltCommand => ({ code: flatten ? 'risk.emergency_stop' : 'risk.daily_drawdown', reason: 'test', flatten, until, ts: T0 });

test('a daily breaker halt refuses entries until its period ends', async () => {
  const h = execHarness();
  await flush();
  h.actor.send({ type: 'execution.risk_halt', halt: halt(T0 + 3_600_000, false) });
  h.actor.send({ type: 'execution.decision', decision: decision('d1', T0 + 7_200_000) });
  await flush();
  assert.equal(h.entered(), []);
  assert.is(h.trade(), 'flat', 'still managing positions: only entries are refused');
  h.clock.advanceTo(T0 + 3_600_000);
  await flush();
  h.actor.send({ type: 'execution.decision', decision: decision('d2', T0 + 7_200_000) });
  await flush();
  assert.equal(h.entered(), ['d2']);
  assert.equal(h.flattens, [], 'no flatten asked');
});

test('an emergency stop halt flattens once (re-asserted halts do not flatten again) and holds until the operator resumes', async () => {
  const h = execHarness();
  await flush();
  h.actor.send({ type: 'execution.risk_halt', halt: halt(null, true) });
  await flush();
  h.actor.send({ type: 'execution.risk_halt', halt: halt(null, true) }); // re-asserted every decision cycle
  await flush();
  assert.equal(h.flattens, ['risk.emergency_stop'], 'flattened at market once');
  assert.ok(h.alerts.includes('execution.flatten'));
  h.clock.advanceTo(T0 + 30 * 86_400_000);
  await flush();
  h.actor.send({ type: 'execution.decision', decision: decision('d1', h.clock.now() + 60_000) });
  await flush();
  assert.equal(h.entered(), []);
  h.actor.send({ type: 'control.resume' });
  h.actor.send({ type: 'execution.decision', decision: decision('d2', h.clock.now() + 60_000) });
  await flush();
  assert.equal(h.entered(), ['d2']);
});

test('a flatten asked while still reconciling is carried out once ready', async () => {
  let release!: () => void;
  const h = execHarness({ reconcile: () => new Promise((r) => (release = () => r({ positions: [], anomalies: [] }))) });
  await flush();
  h.actor.send({ type: 'execution.risk_halt', halt: halt(null, true) });
  await flush();
  assert.equal(h.flattens, []);
  release();
  await flush();
  assert.equal(h.flattens, ['risk.emergency_stop']);
  assert.is(h.trade(), 'flat');
});

test.run();
