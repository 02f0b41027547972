// The Prometheus registry: heartbeat counters become monotonic counters across worker restarts, worker metrics
// (decisions by verdict, order latency) are folded in once, and the endpoint serves them on loopback only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Metrics } from '../../src/ops/metrics.js';
import { timedGateway } from '../../src/ops/timed-gateway.js';
import { WorkerMetrics } from '../../src/ops/worker-metrics.js';
import type { Supervisor } from '../../src/supervisor/supervisor.js';
import type { Heartbeat } from '../../src/supervisor/worker-protocol.js';
import type { ExchangeGateway } from '../../src/exchange/gateway.js';

const handles: Record<string, object> = { decision: {} };
const sup = { child: (id: string) => handles[id] ?? null, status: () => [{ id: 'decision', lifecycle: 'running', restarts: 0, heartbeatAgeMs: 100, uptimeMs: 1000 }] } as unknown as Supervisor;

const hb = (out: number, w: WorkerMetrics): Heartbeat => ({
  kind: 'heartbeat', wallTs: Date.now(), machineState: 'idle', lifecycle: 'running', details: {},
  counters: { messagesIn: 0, messagesOut: out, lastInAt: null, lastInWallAt: null, perTopicIn: {}, perTopicOut: { 'decision.made': out } },
  metrics: w.snapshot(),
});

const value = async (m: Metrics, name: string, labels: string) => {
  const line = (await m.registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : undefined;
};

test('counters survive a worker restart as deltas; verdicts, equity and observations are ingested', async () => {
  const m = new Metrics(sup);
  let w = new WorkerMetrics();
  w.onPublish('decision.made', { verdict: 'BUY' });
  w.onPublish('decision.made', { verdict: 'NEUTRAL' });
  w.onPublish('reconcile.equity', { equity: '10123.5' });
  w.observe('order_latency_seconds', { op: 'createOrder', outcome: 'ok' }, 0.02);
  m.ingest('decision', hb(10, w));
  w.onPublish('decision.made', { verdict: 'BUY' });
  m.ingest('decision', hb(12, w));
  m.ingest('decision', hb(12, w));
  assert.is(await value(m, 'bosun_messages_total', 'actor="decision",topic="decision.made",direction="out"'), 12);
  assert.is(await value(m, 'bosun_decisions_total', 'actor="decision",verdict="BUY"'), 2);
  assert.is(await value(m, 'bosun_equity', 'actor="decision"'), 10123.5);
  assert.is(await value(m, 'bosun_order_latency_seconds_count', 'actor="decision",op="createOrder",outcome="ok"'), 1, 'an observation counts once');
  // The worker restarts: its counters start from zero again; Prometheus must still see them grow.
  handles.decision = {};
  w = new WorkerMetrics();
  w.onPublish('decision.made', { verdict: 'BUY' });
  m.ingest('decision', hb(3, w));
  assert.is(await value(m, 'bosun_messages_total', 'actor="decision",topic="decision.made",direction="out"'), 15);
  assert.is(await value(m, 'bosun_decisions_total', 'actor="decision",verdict="BUY"'), 3);
});

test('the endpoint answers GET /metrics on 127.0.0.1 and nothing else', async () => {
  const m = new Metrics(sup);
  await m.listen('127.0.0.1', 0);
  const busy = new Metrics(sup);
  try {
    assert.match(m.url!, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const r = await fetch(m.url!);
    assert.is(r.status, 200);
    assert.match(await r.text(), 'bosun_actor_up{actor="decision"} 1');
    assert.is((await fetch(m.url!.replace('/metrics', '/'))).status, 404);
    await busy.listen('127.0.0.1', Number(new URL(m.url!).port));
    assert.match(busy.error!, 'metrics endpoint not started', 'a busy port is reported, not thrown');
  } finally {
    await m.close();
    await busy.close();
  }
});

test('timedGateway reports order latency and passes results and errors through untouched', async () => {
  const w = new WorkerMetrics();
  const gw = timedGateway({ name: 'x', createOrder: async () => ({ ok: 1 }), cancelOrder: async () => Promise.reject(new Error('nope')), fetchServerTime: async () => 5 } as unknown as ExchangeGateway, w);
  assert.equal(await gw.createOrder({} as never), { ok: 1 } as never);
  await gw.cancelOrder('s', 'c').then(() => assert.unreachable(), (e: Error) => assert.is(e.message, 'nope'));
  assert.is(await gw.fetchServerTime(), 5);
  assert.is(gw.name, 'x');
  assert.equal(w.snapshot().observations.map(([k]) => k), ['order_latency_seconds{"op":"createOrder","outcome":"ok"}', 'order_latency_seconds{"op":"cancelOrder","outcome":"error"}']);
});

test.run();
