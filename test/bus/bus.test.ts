import { MessageChannel } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalHub } from '../../src/bus/local-bus.js';
import { PortBus } from '../../src/bus/port-bus.js';
import type { Candle, Envelope } from '../../src/protocol/index.js';

const candle = (t: number): Candle => ({ symbol: 'BTC/USDT:USDT', tf: '1m', openTime: t, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3, closed: true });

test('local bus: envelopes are complete, delivered FIFO, never back to the sender', () => {
  let now = 1000;
  const hub = new LocalHub(() => now);
  const feed = hub.endpoint('market-feed');
  const analytics = hub.endpoint('analytics');
  const got: Envelope<'market.candle'>[] = [];
  const echoed: unknown[] = [];
  analytics.subscribe('market.candle', (e) => got.push(e));
  feed.subscribe('market.candle', (e) => echoed.push(e));
  feed.publish('market.candle', candle(0), { tsEvent: 60_000 });
  now = 2000;
  feed.publish('market.candle', candle(60_000));
  assert.is(got.length, 2);
  assert.is(echoed.length, 0);
  const [a, b] = got;
  assert.is(a!.type, 'market.candle');
  assert.is(a!.source, 'market-feed');
  assert.is(a!.tsEvent, 60_000);
  assert.is(a!.tsInit, 1000);
  assert.is(a!.causationId, null);
  assert.is(a!.correlationId, a!.id);
  assert.is.not(a!.id, b!.id);
  assert.is(b!.payload.openTime, 60_000);
});

test('local bus: a message published while handling another inherits its correlation and takes it as cause', () => {
  const hub = new LocalHub(() => 0);
  const feed = hub.endpoint('market-feed');
  const analytics = hub.endpoint('analytics');
  const decision = hub.endpoint('decision');
  let snap: Envelope<'analytics.snapshot'> | undefined;
  analytics.subscribe('market.candle', () => {
    analytics.publish('analytics.snapshot', { symbol: 'X', ts: 1, kind: 'full', price: 1, ind: { emaFast: null, emaSlow: null, rsi: null, atr: null }, tf: {}, mtfAlignment: null, session: 'asia', hourUtc: 0, regime: null, micro: null, flow: null, ml: { available: false, reason: 'test' } });
  });
  decision.subscribe('analytics.snapshot', (e) => (snap = e));
  const c = feed.publish('market.candle', candle(0));
  assert.ok(snap);
  assert.is(snap!.causationId, c.id);
  assert.is(snap!.correlationId, c.correlationId);
});

test('local bus: delivery is breadth-first, so order is deterministic', () => {
  const hub = new LocalHub(() => 0);
  const a = hub.endpoint('a');
  const b = hub.endpoint('b');
  const order: string[] = [];
  b.subscribe('market.candle', (e) => {
    order.push(`b:${e.payload.openTime}`);
    if (e.payload.openTime === 0) b.publish('market.mark', { symbol: 'X', ts: 0, markPrice: 1 });
  });
  a.subscribe('market.mark', () => order.push('a:mark'));
  a.publish('market.candle', candle(0));
  assert.equal(order, ['b:0', 'a:mark']);
  hub.endpoint('c').publish('market.candle', candle(60_000));
  assert.equal(order, ['b:0', 'a:mark', 'b:60000']);
});

test('port bus: only the topics of an edge travel on it; rewiring replaces the old port', async () => {
  const ch1 = new MessageChannel();
  const pub = new PortBus('market-feed', () => 5, 'p-', [{ to: 'analytics', topics: ['market.candle'], port: ch1.port1 }], []);
  const sub = new PortBus('analytics', () => 5, 's-', [], [{ from: 'market-feed', port: ch1.port2 }]);
  const got: Envelope[] = [];
  sub.subscribe('market.candle', (e) => got.push(e));
  sub.subscribe('market.mark', (e) => got.push(e));
  pub.publish('market.candle', candle(0));
  pub.publish('market.mark', { symbol: 'X', ts: 0, markPrice: 1 });
  await new Promise((r) => setTimeout(r, 30));
  assert.is(got.length, 1);
  assert.is(got[0]!.type, 'market.candle');
  assert.is(sub.counters.messagesIn, 1);
  assert.is(pub.counters.messagesOut, 2);
  const ch2 = new MessageChannel();
  pub.setOut({ to: 'analytics', topics: ['market.candle'], port: ch2.port1 });
  sub.setIn({ from: 'market-feed', port: ch2.port2 });
  pub.publish('market.candle', candle(60_000));
  await new Promise((r) => setTimeout(r, 30));
  assert.is(got.length, 2);
  assert.is((got[1] as Envelope<'market.candle'>).payload.openTime, 60_000);
  pub.close();
  sub.close();
});

test.run();
