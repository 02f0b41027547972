import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/log/logger.js';
import { distRoot } from '../../src/paths.js';
import { CallTimeoutError, ChildExitedError } from '../../src/supervisor/child.js';
import { supervisorSpecSchema, type SupervisorSpec } from '../../src/supervisor/spec.js';
import { StartError, Supervisor } from '../../src/supervisor/supervisor.js';
import { testConfig } from '../helpers/config.js';
import { waitFor } from '../helpers/wait.js';

const config = testConfig();
const log = createLogger({ level: 'silent', sync: true });
const entry = 'test/fixtures/workers/echo.js';

function spec(children: Array<Partial<SupervisorSpec['children'][number]> & { id: string }>, extra: Partial<SupervisorSpec> = {}): SupervisorSpec {
  return supervisorSpecSchema.parse({
    strategy: 'one_for_one', intensity: 3, periodMs: 10_000, backoff: { initialMs: 50, maxMs: 500 }, startTimeoutMs: 5000, callTimeoutMs: 1000, heartbeatMs: 100,
    children: children.map((c) => ({ entry, restart: 'permanent', shutdownMs: 1000, ...c })),
    topology: [{ from: 'a', to: ['b'], topics: ['market.mark'] }, { from: 'b', to: ['a'], topics: ['market.mark'] }],
    ...extra,
  });
}

const live: Supervisor[] = [];
const make = (s: SupervisorSpec) => {
  const sup = new Supervisor({ spec: s, config, clock: { simStart: 0, wallStart: 0, speed: 1 }, log, testHooks: true, resolveEntry: (e) => pathToFileURL(`${distRoot}/${e}`) });
  live.push(sup);
  return sup;
};
// A failed assertion must not leave worker threads behind (they would keep the file running).
test.after.each(async () => {
  await Promise.all(live.splice(0).map((s) => s.shutdown()));
});

const got = (sup: Supervisor, id: string) => Number(sup.status().find((c) => c.id === id)!.details.got ?? 0);

test('children start in order, each in its own thread, and talk over direct ports', async () => {
  const sup = make(spec([{ id: 'a' }, { id: 'b' }]));
  const order: string[] = [];
  sup.on('lifecycle', (id: string, state: string) => state === 'running' && order.push(id));
  await sup.start();
  await waitFor('both running reports', () => order.length === 2);
  assert.equal(order, ['a', 'b']);
  const st = sup.status();
  assert.ok(st.every((c) => c.lifecycle === 'running'));
  assert.is(new Set(st.map((c) => c.threadId)).size, 2);
  await waitFor('b to receive from a', () => got(sup, 'b') > 3);
  await waitFor('a to receive from b', () => got(sup, 'a') > 3);
  await sup.shutdown();
});

test('a crashed worker is restarted with backoff and fresh ports; both directions flow again', async () => {
  const sup = make(spec([{ id: 'a' }, { id: 'b' }]));
  await sup.start();
  const oldThread = sup.child('b')!.threadId;
  const t0 = Date.now();
  await sup.child('b')!.call('crash', (api) => api.crash(), 1000);
  await waitFor('b restarted and running', () => {
    const b = sup.status().find((c) => c.id === 'b')!;
    return b.restarts === 1 && b.lifecycle === 'running' && b.threadId !== oldThread;
  }, 2000, 10);
  assert.ok(Date.now() - t0 < 2000);
  const before = got(sup, 'a');
  await waitFor('new b receives from a', () => got(sup, 'b') > 3);
  await waitFor('a receives from new b', () => got(sup, 'a') > before + 3);
  assert.is(sup.status().find((c) => c.id === 'a')!.restarts, 0, 'one_for_one: the peer is untouched');
  await sup.shutdown();
});

test('exceeding the restart intensity stops everything and reports escalation', async () => {
  const sup = make(spec([{ id: 'a' }, { id: 'b' }], { intensity: 2 }));
  await sup.start();
  const escalated = new Promise<string>((r) => sup.once('escalated', r));
  for (let i = 0; i < 3; i++) {
    await waitFor('b running', () => sup.child('b')?.alive && sup.child('b')!.lifecycle === 'running', 3000, 10);
    await sup.child('b')!.call('crash', (api) => api.crash(), 1000);
    await waitFor('b exited', () => !sup.child('b')!.alive, 2000, 5);
  }
  assert.is(await escalated, 'b');
  assert.ok(sup.escalated);
  await waitFor('everything stopped', () => sup.status().every((c) => c.threadId === null), 3000);
});

test('shutdown stops children in reverse start order', async () => {
  const sup = make(spec([{ id: 'a' }, { id: 'b' }, { id: 'c' }]));
  await sup.start();
  const exits: string[] = [];
  for (const id of ['a', 'b', 'c']) sup.child(id)!.exited.then(() => exits.push(id));
  await sup.shutdown();
  await waitFor('all exits seen', () => exits.length === 3);
  assert.equal(exits, ['c', 'b', 'a']);
});

test('temporary children are not restarted; transient ones only after an abnormal exit', async () => {
  const sup = make(spec([{ id: 'a', restart: 'temporary' }, { id: 'b', restart: 'transient' }]));
  await sup.start();
  await sup.child('a')!.call('exit', (api) => api.command('exit', { code: 1 }), 1000);
  await sup.child('b')!.call('exit', (api) => api.command('exit', { code: 0 }), 1000);
  await new Promise((r) => setTimeout(r, 400));
  const st = sup.status();
  assert.is(st.find((c) => c.id === 'a')!.restarts, 0);
  assert.is(st.find((c) => c.id === 'a')!.threadId, null);
  assert.is(st.find((c) => c.id === 'b')!.restarts, 0);
  await sup.shutdown();
});

test('control calls never hang: a slow call times out, a call to a dead worker rejects', async () => {
  const sup = make(spec([{ id: 'a' }, { id: 'b', restart: 'temporary' }]));
  await sup.start();
  const slow = await sup.child('a')!.call('hang', (api) => api.command('hang', {}), 200).catch((e) => e);
  assert.instance(slow, CallTimeoutError);
  const b = sup.child('b')!;
  const pending = b.call('hang', (api) => api.command('hang', {}), 5000).catch((e) => e);
  await b.worker.terminate();
  assert.instance(await pending, ChildExitedError);
  assert.instance(await b.call('status', (api) => api.status(), 1000).catch((e) => e), ChildExitedError);
  await sup.shutdown();
});

test('a child that fails to start stops the ones already started, in reverse', async () => {
  const sup = make(spec([{ id: 'a' }, { id: 'broken' }], { topology: [] }));
  const err = await sup.start().catch((e) => e);
  assert.instance(err, StartError);
  assert.match((err as Error).message, 'broken');
  assert.ok(sup.status().every((c) => c.threadId === null));
});

test.run();
