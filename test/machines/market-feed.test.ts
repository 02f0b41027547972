import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, fromPromise } from 'xstate';
import { marketFeedMachine, type BackfillInput, type FeedContext } from '../../machines/market-feed.machine.js';
import { SimClock } from '../../src/clock/clock.js';
import { synthCandle } from '../../src/market/synthetic.js';
import type { Candle } from '../../src/protocol/index.js';

const S = 'BTC/USDT:USDT';
const M = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const synth = { seed: 7, startPrice: 30000, volatility: 0.0012, regimeMinutes: 240, baseVolume: 25 };
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};

/** The venue's market: one candle per minute, continuous. */
const market = new Map<number, Candle>();
{
  let prev = synth.startPrice;
  for (let t = T0 - 600 * M; t < T0 + 600 * M; t += M) {
    const c = synthCandle(synth, S, t, prev);
    prev = c.close;
    market.set(t, c);
  }
}

function feed(clock: SimClock, speed = 1) {
  const calls: string[] = [];
  const backfills: BackfillInput[] = [];
  const emitted: Candle[] = [];
  const alerts: string[] = [];
  const m = marketFeedMachine.provide({
    actions: { openSocket: () => void calls.push('open'), closeSocket: () => void calls.push('close') },
    actors: {
      backfill: fromPromise<Candle[], BackfillInput>(async ({ input }) => {
        backfills.push(input);
        const out: Candle[] = [];
        for (let t = input.from[S]!; t + M <= input.until; t += M) if (market.has(t)) out.push(market.get(t)!);
        return out;
      }),
    },
  });
  const actor = createActor(m, {
    clock,
    input: {
      symbols: [S], now: () => clock.now(), speed, timeframes: ['1m', '5m', '15m'], staleAfterMs: 10_000, reconnectInitialMs: 500, reconnectMaxMs: 30_000,
      rotateAfterMs: 23 * 3_600_000, connectTimeoutMs: 10_000, maxBackfillMinutes: 7 * 1440, initialHistoryMinutes: 30, seed: 7,
    },
  });
  actor.on('market.candle', (e) => emitted.push(e.payload));
  actor.on('market.alert', (e) => alerts.push(e.payload.code));
  actor.start();
  return { actor, calls, backfills, emitted, alerts, ctx: () => actor.getSnapshot().context as FeedContext };
}

const ones = (cs: Candle[]) => cs.filter((c) => c.tf === '1m');
const contiguous = (cs: Candle[]) => cs.every((c, i) => i === 0 || c.openTime - cs[i - 1]!.openTime === M);

test('fresh start: connect, backfill the initial history over REST, then stream; 5m/15m candles are aggregated', async () => {
  const clock = new SimClock(T0 + 15_000);
  const f = feed(clock);
  f.actor.send({ type: 'feed.loaded', last: { [S]: null }, recent: [] });
  assert.equal(f.calls, ['open']);
  assert.is(f.actor.getSnapshot().value, 'connecting');
  f.actor.send({ type: 'ws.open' });
  await flush();
  assert.is(f.actor.getSnapshot().value, 'streaming');
  assert.is(f.backfills[0]!.from[S], T0 - 30 * M);
  assert.is(ones(f.emitted).length, 30);
  assert.is(ones(f.emitted).at(-1)!.openTime, T0 - M);
  assert.ok(contiguous(ones(f.emitted)));
  const fives = f.emitted.filter((c) => c.tf === '5m');
  assert.is(fives.length, 6, 'six whole 5m candles in 30 minutes');
  assert.equal(fives.map((c) => c.openTime), [0, 1, 2, 3, 4, 5].map((i) => T0 - 30 * M + i * 5 * M));
  const first5 = ones(f.emitted).slice(0, 5);
  assert.is(fives[0]!.high, Math.max(...first5.map((c) => c.high)));
  assert.is(fives[0]!.close, first5.at(-1)!.close);
  assert.is(f.emitted.filter((c) => c.tf === '15m').length, 2);
  clock.advanceTo(T0 + M + 1000);
  assert.equal(f.calls.slice(0, 2), ['open', 'close'], 'a minute without any frame is a dead connection');
  const g = feed(new SimClock(T0 + M + 1000));
  g.actor.send({ type: 'feed.loaded', last: { [S]: T0 - M }, recent: [] });
  g.actor.send({ type: 'ws.open' });
  await flush();
  g.actor.send({ type: 'stream.candle', candle: market.get(T0)! });
  assert.is(ones(g.emitted).at(-1)!.openTime, T0);
  assert.is(ones(g.emitted).length, 1);
});

test('a candle gap on the stream is backfilled over REST before the new candle; nothing is emitted twice', async () => {
  const clock = new SimClock(T0 + 15_000);
  const f = feed(clock);
  f.actor.send({ type: 'feed.loaded', last: { [S]: T0 - 10 * M }, recent: [] });
  f.actor.send({ type: 'ws.open' });
  await flush();
  assert.is(f.backfills[0]!.from[S], T0 - 9 * M, 'resumes after the last stored candle');
  while (clock.now() + 5000 <= T0 + 6 * M) {
    clock.advance(5000);
    f.actor.send({ type: 'stream.alive' });
  }
  clock.advanceTo(T0 + 6 * M + 500);
  // The stream skipped T0 .. T0+4m (say, a silent drop): the next closed candle shows the gap.
  f.actor.send({ type: 'stream.candle', candle: market.get(T0 + 5 * M)! });
  assert.is(f.actor.getSnapshot().value, 'backfilling');
  f.actor.send({ type: 'stream.candle', candle: market.get(T0 + 5 * M)! }); // a duplicate while backfilling
  await flush();
  assert.is(f.actor.getSnapshot().value, 'streaming');
  const got = ones(f.emitted);
  assert.ok(contiguous(got), 'no gap');
  assert.is(new Set(got.map((c) => c.openTime)).size, got.length, 'no duplicate');
  assert.is(got.at(-1)!.openTime, T0 + 5 * M);
  assert.is(f.ctx().stats.gapsBackfilled, 1);
});

test('stream candles buffered during a backfill that skip minutes send it back for those minutes first', async () => {
  const clock = new SimClock(T0 + 15_000);
  const f = feed(clock);
  f.actor.send({ type: 'feed.loaded', last: { [S]: T0 - 10 * M }, recent: [] });
  f.actor.send({ type: 'ws.open' });
  // While the REST call is in flight the stream delivers T0, then (frames lost) T0+3m.
  clock.advanceTo(T0 + 4 * M + 1000);
  f.actor.send({ type: 'stream.candle', candle: market.get(T0)! });
  f.actor.send({ type: 'stream.candle', candle: market.get(T0 + 3 * M)! });
  await flush();
  assert.is(f.actor.getSnapshot().value, 'streaming');
  assert.is(f.backfills.length, 2, 'a second round for the minutes the stream skipped');
  assert.is(f.backfills[1]!.from[S], T0);
  const got = ones(f.emitted);
  assert.ok(contiguous(got), 'no gap');
  assert.is(new Set(got.map((c) => c.openTime)).size, got.length, 'no duplicate');
  assert.is(got.at(-1)!.openTime, T0 + 3 * M);
  assert.is(f.ctx().stats.gapsUnfillable, 0);
});

test('silent disconnect: stale after staleAfterMs without frames, back on a frame; dead after twice that → reconnect with backoff', async () => {
  const speed = 60;
  const clock = new SimClock(T0);
  const f = feed(clock, speed);
  f.actor.send({ type: 'feed.loaded', last: { [S]: T0 - M }, recent: [] });
  f.actor.send({ type: 'ws.open' });
  await flush();
  assert.is(f.actor.getSnapshot().value, 'streaming');
  clock.advance(10_000 * speed - 1);
  assert.is(f.actor.getSnapshot().value, 'streaming');
  clock.advance(10_000 * speed / 4 + 1);
  assert.is(f.actor.getSnapshot().value, 'stale');
  assert.ok(f.alerts.includes('feed.stale'));
  f.actor.send({ type: 'stream.alive' });
  assert.is(f.actor.getSnapshot().value, 'streaming');
  for (let i = 0; i < 20 && f.actor.getSnapshot().value !== 'reconnecting'; i++) clock.advance(2500 * speed);
  assert.is(f.actor.getSnapshot().value, 'reconnecting');
  assert.equal(f.calls, ['open', 'close']);
  const d1 = f.ctx().reconnectDelay;
  assert.ok(d1 >= 250 * speed && d1 <= 500 * speed, `first delay ${d1} within [initial/2, initial] (jitter), in clock ms`);
  clock.advance(d1);
  assert.is(f.actor.getSnapshot().value, 'connecting');
  f.actor.send({ type: 'ws.closed', reason: 'refused' });
  const d2 = f.ctx().reconnectDelay;
  assert.ok(d2 >= 500 * speed && d2 <= 1000 * speed, `second delay ${d2} doubled`);
  clock.advance(d2);
  f.actor.send({ type: 'ws.open' });
  await flush();
  assert.is(f.actor.getSnapshot().value, 'streaming');
  assert.is(f.ctx().attempts, 0, 'backoff resets once connected');
  assert.is(f.ctx().stats.reconnects, 2);
});

test('the connection is rotated before the 24 h limit, without backoff', async () => {
  const clock = new SimClock(T0);
  const f = feed(clock);
  f.actor.send({ type: 'feed.loaded', last: { [S]: T0 - M }, recent: [] });
  f.actor.send({ type: 'ws.open' });
  await flush();
  for (let t = 0; t < 23 * 3600 + 10; t += 2) {
    clock.advance(2000);
    f.actor.send({ type: 'stream.alive' });
    if (f.calls.length > 1) break;
  }
  assert.equal(f.calls, ['open', 'close', 'open'], 'closed and reopened at once');
  assert.ok(clock.now() - T0 >= 23 * 3_600_000);
  assert.is(f.ctx().stats.reconnects, 1);
  assert.is(f.ctx().reconnectDelay, 0);
  assert.match(String(f.ctx().lastError), 'rotation');
});

test.run();
