// Request weight and maintenance on the venue through real ccxt: the X-MBX-USED-WEIGHT-1M and X-MBX-ORDER-COUNT-* headers
// are tracked; near a limit requests are slowed (spread over the rest of the window); maintenance (-1008 / 503) is a state
// heard once as it starts and once as it ends, during which execution's loop fails (health degraded: no new entries) and
// after which it runs again in full.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CcxtGateway } from '../../src/exchange/ccxt-gateway.js';
import { LockstepCell } from '../../src/clock/lockstep.js';
import { ExchangeError } from '../../src/exchange/errors.js';
import { ExecutionEffects } from '../../src/execution/effects.js';
import { quietLog, startTestVenue, type TestVenue } from '../helpers/venue-server.js';

const BTC = 'BTC/USDT:USDT';
const LIMITS = { weightPerMinute: 2400, ordersPerMinute: 1200, ordersPer10s: 300, slowAtFraction: 0.8 };
let v: TestVenue;
test.before(async () => {
  v = await startTestVenue('usage');
});
test.after(async () => {
  await v?.stop();
});

const post = async (path: string, body: unknown) => {
  const r = await fetch(`${v.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(r.ok, `${path}: ${r.status}`);
};

/** A gateway whose waits are recorded, not slept (the test asserts what it would wait, never how long it took). */
function recorded(): { gw: CcxtGateway; sleeps: number[] } {
  const sleeps: number[] = [];
  const gw = v.gateway({ rateLimit: LIMITS, sleep: async (ms) => void sleeps.push(ms) });
  return { gw, sleeps };
}

test('the pace: nothing below slowAtFraction of a limit, then a growing share of the rest of the window, the whole rest at the limit', () => {
  const { gw } = recorded();
  const t = 1_800_000_000_000 + 35_000; // 35 s into a minute, 5 s into a 10 s window
  const at = (w: number | null, o10: number | null) => Object.assign(gw.usage, { usedWeight1m: w, orderCount10s: o10, orderCount1m: o10, at: t - 1 });
  at(100, 0);
  assert.is(gw.paceMs(false, t), 0);
  at(1919, 0);
  assert.is(gw.paceMs(false, t), 0);
  at(2000, 0);
  const some = gw.paceMs(false, t);
  at(2300, 0);
  const more = gw.paceMs(false, t);
  at(2400, 0);
  assert.ok(some > 0 && more > some && gw.paceMs(false, t) === 25_000, `${some} < ${more} < 25000 (the rest of the minute)`);
  // Just past the threshold with most of the budget left, a request waits milliseconds, not a share of the minute: the
  // rest of the window spread over the budget left (a 40-request reconciliation must not take the minute).
  at(1930, 0);
  assert.ok(gw.paceMs(false, t) <= 5, `just past 80 %: ${gw.paceMs(false, t)} ms`);
  assert.ok(some <= Math.ceil(25_000 / 400), `at 2000 of 2400, at most the even spread of the rest: ${some} ms`);
  at(2399, 0);
  assert.ok(gw.paceMs(false, t) >= 20_000, 'one unit left: about the rest of the window');
  at(100, 290);
  assert.is(gw.paceMs(false, t), 0, 'order counts do not slow reads');
  assert.ok(gw.paceMs(true, t) > 0, 'near the order limit, orders are slowed');
  Object.assign(gw.usage, { usedWeight1m: 2400, at: t - 60_000 });
  assert.is(gw.paceMs(false, t), 0, 'a count from an earlier window no longer holds');
});

test('order-count headers near the limit slow orders (not reads)', async () => {
  const { gw } = recorded();
  const mark = (await gw.fetchMarkPrice(BTC)).markPrice;
  const price = (Math.floor(mark * 0.5 * 10) / 10).toFixed(1);
  let slowed = false;
  for (let i = 0; i < 3 && !slowed; i++) {
    await post('/bosun/v1/usage', { orders10s: 290 });
    await gw.createOrder({ symbol: BTC, clientId: `usage-o${i}a`, side: 'buy', type: 'limit', qty: '0.01', price, timeInForce: 'GTC' });
    assert.ok((gw.usage.orderCount10s ?? 0) >= 1, 'X-MBX-ORDER-COUNT-10S tracked');
    const reads = gw.stats.weightWaits;
    await gw.fetchServerTime();
    assert.is(gw.stats.weightWaits, reads, 'a read is not slowed by order counts');
    await gw.createOrder({ symbol: BTC, clientId: `usage-o${i}b`, side: 'buy', type: 'limit', qty: '0.01', price, timeInForce: 'GTC' });
    slowed = gw.stats.weightWaits > reads;
  }
  assert.ok(slowed, `orders slowed near the 10 s limit: ${JSON.stringify(gw.usage)}`);
});

test('weight headers near the limit slow requests; the counts are what the venue reported', async () => {
  const { gw, sleeps } = recorded();
  await gw.fetchServerTime();
  assert.ok((gw.usage.usedWeight1m ?? 0) >= 1, 'X-MBX-USED-WEIGHT-1M tracked');
  assert.is(gw.stats.weightWaits, 0);
  // Others used most of this minute's weight; the next answer reports it, and the request after it is slowed.
  let slowed = false;
  for (let i = 0; i < 3 && !slowed; i++) {
    await post('/bosun/v1/usage', { weight: 2300 });
    await gw.fetchServerTime();
    const before = gw.stats.weightWaits;
    await gw.fetchServerTime();
    slowed = gw.stats.weightWaits > before; // (a minute boundary in between resets the venue's count: try again)
  }
  assert.ok(slowed, `slowed near the limit: ${JSON.stringify(gw.usage)}`);
  assert.ok(sleeps.at(-1)! > 0);
  console.log(`weight ${gw.usage.usedWeight1m}/${gw.usage.weightLimit}: ${gw.stats.weightWaits} request(s) slowed, ${gw.stats.weightWaitMs} ms in all`);
});

test('maintenance on and off: one event as it starts, one as it ends; execution\'s loop fails while it lasts and runs after it', async () => {
  const { gw } = recorded();
  const fx = new ExecutionEffects({ config: v.config, pool: v.db.pool, log: quietLog, now: () => v.server.venue.now(), gateway: async () => gw });
  try {
    await fx.tick({ slots: [] });
    const events: boolean[] = [];
    gw.onMaintenance((m) => events.push(m.active));
    await post('/bosun/v1/maintenance', { on: true });
    const err = await gw.fetchMarkPrice(BTC).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ExchangeError && err.kind === 'retryable', `maintenance is a retryable refusal: ${String(err)}`);
    await gw.fetchBalance().catch(() => undefined);
    assert.ok(await fx.tick({ slots: [] }).then(() => false, () => true), 'the loop fails during maintenance');
    assert.equal(events, [true], 'one start, however many calls fail');
    assert.ok(gw.maintenance && /-1008|Service Unavailable/.test(gw.maintenance.reason));
    await post('/bosun/v1/maintenance', { on: false });
    await fx.tick({ slots: [] });
    assert.equal(events, [true, false], 'one end');
    assert.is(gw.maintenance, null);
    assert.is(gw.stats.maintenances, 1);
  } finally {
    await fx.dispose();
  }
});

test('a lockstep replay counts the request windows in the venue\'s minutes: the next bar starts a fresh window, whatever the wall did', async () => {
  const cell = new LockstepCell(LockstepCell.create());
  const lv = await startTestVenue('usagels', {}, { lockstep: cell });
  try {
    const used = async () => Number((await fetch(`${lv.url}/fapi/v1/time`)).headers.get('x-mbx-used-weight-1m'));
    const a = await used();
    assert.is(await used(), a + 1, 'the same venue minute counts on');
    cell.setNow(cell.now() + 60_000);
    assert.is(await used(), 1, 'the next venue minute is a new window (at the wall, the same minute)');
  } finally {
    await lv.stop();
  }
});

test.run();
