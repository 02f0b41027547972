import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientOrderId } from '../../src/domain/ids.js';
import { ExchangeError } from '../../src/exchange/errors.js';
import type { FaultRule } from '../../src/exchange/sim/server/faults.js';
import type { UserEvent } from '../../src/exchange/types.js';
import { Ledger } from '../../src/execution/ledger.js';
import { OrderManager } from '../../src/execution/order-manager.js';
import { reconcile } from '../../src/execution/reconcile.js';
import { placedOrders } from '../helpers/venue.js';
import { quietLog, startTestVenue, type TestVenue } from '../helpers/venue-server.js';
import { waitFor } from '../helpers/wait.js';
import { PROTECTION } from '../helpers/config.js';

const BTC = 'BTC/USDT:USDT';
let v: TestVenue;
let ledger: Ledger;
let n = 0;
test.before(async () => {
  v = await startTestVenue('faults');
  ledger = new Ledger(v.db.pool, () => v.server.venue.now());
});
test.after.each(() => {
  v.server.faults.clear();
  v.server.clockSkewMs = 0;
});
test.after(async () => {
  await v?.stop();
});

const manager = async (gw = v.gateway()) => {
  const om = new OrderManager(gw, ledger, quietLog, { protection: PROTECTION,  recvWindowMs: 1000, settleMarginMs: 300, maxSends: 3 });
  await om.loadMarkets();
  return { gw, om };
};
const entry = (id: string) => {
  const clientId = clientOrderId(`fault-${id}-${++n}`, 'entry', 0);
  return { req: { symbol: BTC, clientId, side: 'buy' as const, type: 'market' as const, qty: '0.01' }, meta: { decisionId: null, positionId: null, leg: 'entry' as const, attempt: 0 } };
};
/** Orders the venue holds for this client id (a triggered conditional's market order is not a second order). */
const onVenue = (clientId: string) => v.server.venue.core.ordersWithClientId(clientId).filter((o) => o.parentAlgoId === null);
const row = async (clientId: string) => (await ledger.order(clientId)) ?? { status: 'no row' };
const fault = (...rules: FaultRule[]) => v.server.faults.add(...rules);
const ORDER = { method: 'POST', path: '/fapi/v1/order' };

test('429 and 418 with Retry-After: every request waits as told, the order is placed once', async () => {
  for (const status of [429, 418]) {
    const { om, gw } = await manager();
    const e = entry(String(status));
    fault({ ...ORDER, times: 2, fault: { kind: 'status', status, retryAfterSec: 1 } });
    const t0 = Date.now();
    const o = await om.submit(e.req, e.meta);
    assert.ok(Date.now() - t0 >= 2000, 'two Retry-After waits of 1 s were honoured');
    assert.is(o.status, 'filled');
    assert.is(onVenue(e.req.clientId).length, 1);
    assert.is((await row(e.req.clientId)).status, 'filled');
    assert.is(gw.stats.rateLimited, 2);
  }
});

test('-1021: the venue clock is ahead; the gateway re-measures the offset and the order is placed once', async () => {
  const { om, gw } = await manager();
  await gw.fetchBalance(); // the offset is measured before the venue's clock jumps
  v.server.clockSkewMs = 8000;
  const e = entry('1021');
  const o = await om.submit(e.req, e.meta);
  assert.is(o.status, 'filled');
  assert.ok(gw.stats.resyncs >= 1, JSON.stringify({ stats: gw.stats, om: om.stats, td: gw.ex.options.timeDifference }));
  assert.is(onVenue(e.req.clientId).length, 1);
});

test('5xx before the venue acted: ambiguous, resolved by client id (absent after recvWindow), sent again once', async () => {
  const { om, gw } = await manager();
  await gw.loadMarkets();
  const e = entry('503');
  fault({ ...ORDER, fault: { kind: 'status', status: 503 } });
  const o = await om.submit(e.req, e.meta);
  assert.is(o.status, 'filled');
  assert.is(om.stats.resent, 1);
  assert.is(onVenue(e.req.clientId).length, 1);
});

test('5xx, -1007 and a timeout after the venue accepted: resolved by client id, never sent twice', async () => {
  for (const f of [{ kind: 'error_after_accept', status: 502 }, { kind: 'error_after_accept', status: 503, code: -1007 }, { kind: 'timeout_after_accept' }] as const) {
    const { om } = await manager();
    const e = entry(f.kind);
    fault({ ...ORDER, fault: f });
    const o = await om.submit(e.req, e.meta);
    assert.is(o.status, 'filled', f.kind);
    assert.is(om.stats.resent, 0, 'found, not re-sent');
    assert.is(om.stats.resolvedFound, 1);
    assert.is(onVenue(e.req.clientId).length, 1, f.kind);
    assert.is((await row(e.req.clientId)).status, 'filled');
  }
});

test('any sequence of faults on placement and look-up: one intent never makes two orders, and the ledger ends consistent', async () => {
  const menu: FaultRule['fault'][] = [
    { kind: 'status', status: 429, retryAfterSec: 0 }, { kind: 'status', status: 503 }, { kind: 'error_after_accept', status: 502 },
    { kind: 'error_after_accept', status: 503, code: -1007 }, { kind: 'timeout_after_accept' }, { kind: 'error', code: -1021 }, { kind: 'latency', ms: 300 },
  ];
  let seed = 42;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % k;
  };
  const ids: string[] = [];
  const outcomes: string[] = [];
  for (let i = 0; i < 8; i++) {
    const { om } = await manager();
    const e = entry(`seq${i}`);
    ids.push(e.req.clientId);
    for (let k = rnd(4); k > 0; k--) fault({ ...ORDER, fault: menu[rnd(menu.length)]! });
    for (let k = rnd(3); k > 0; k--) fault({ method: 'GET', path: '/fapi/v1/order', fault: menu[rnd(menu.length)]! });
    const r = await om.submit(e.req, e.meta).then((o) => o.status, (err: ExchangeError) => `error:${err.kind}`);
    outcomes.push(r);
    v.server.faults.clear();
    const venue = onVenue(e.req.clientId);
    assert.ok(venue.length <= 1, `intent ${i}: ${venue.length} orders on the venue`);
    const status = (await row(e.req.clientId)).status;
    if (r === 'filled') assert.is(venue.length, 1);
    if (venue.length === 0) assert.ok(['never_placed', 'rejected', 'pending_submit'].includes(status), status);
  }
  // Whatever is left unresolved, reconciliation settles it by client id, and still nothing is doubled.
  const { om, gw } = await manager();
  await reconcile(gw, ledger, om, [BTC], v.server.venue.now(), { protection: PROTECTION, settleMs: 1300 });
  for (const id of ids) {
    const venue = onVenue(id);
    const status = (await row(id)).status;
    assert.ok(venue.length <= 1);
    assert.is(status, venue.length ? 'filled' : 'never_placed', `${id}: ledger ${status}, venue ${venue.length}`);
  }
  assert.ok(outcomes.includes('filled'));
});

test('silent drop of the user-data stream: detected by ping/pong, reported down, reconnected; events flow again', async () => {
  const gw = v.gateway();
  const events: UserEvent[] = [];
  const sub = await gw.subscribeUserData((e) => events.push(e));
  await waitFor('up', async () => sub.up, 5000, 10);
  assert.is(v.server.silentDrop('user'), 1);
  await waitFor('reported down', async () => events.some((e) => e.kind === 'status' && !e.up), 5000, 10);
  await waitFor('up again', async () => sub.up, 5000, 10);
  const e = entry('afterdrop');
  await gw.createOrder(e.req);
  await waitFor('the new order on the new connection', async () => events.some((x) => x.kind === 'order' && x.fill?.clientId === e.req.clientId), 5000, 10);
  await sub.close();
});

test('listenKey expiry: the stream is told, a new key is created, events flow again', async () => {
  const gw = v.gateway();
  const events: UserEvent[] = [];
  const sub = await gw.subscribeUserData((e) => events.push(e));
  await waitFor('up', async () => sub.up, 5000, 10);
  assert.ok(v.server.expireListenKey());
  await waitFor('down on expiry', async () => events.some((e) => e.kind === 'status' && !e.up && /expired/.test(e.reason)), 5000, 10);
  await waitFor('up with a new key', async () => sub.up, 5000, 10);
  const e = entry('afterexpiry');
  await gw.createOrder(e.req);
  await waitFor('events on the new key', async () => events.some((x) => x.kind === 'order' && x.fill?.clientId === e.req.clientId), 5000, 10);
  await sub.close();
});

test('venue restart: state restored from MariaDB; an order sent while it is down is placed once it is back; streams reconnect', async () => {
  const { om, gw } = await manager(v.gateway({ retry: { maxAttempts: 30, baseMs: 50, maxMs: 200 } }));
  await gw.loadMarkets();
  const events: UserEvent[] = [];
  const sub = await gw.subscribeUserData((e) => events.push(e));
  await waitFor('up', async () => sub.up, 5000, 10);
  const before = { orders: placedOrders(v.server.venue.core.state()).length, positions: v.server.venue.core.positions(), balance: v.server.venue.core.balance() };
  const restarting = v.server.restart(500);
  const e = entry('restart');
  const o = await om.submit(e.req, e.meta);
  await restarting;
  assert.is(o.status, 'filled');
  assert.is(onVenue(e.req.clientId).length, 1);
  const after = v.server.venue.core;
  assert.is(placedOrders(after.state()).length, before.orders + 1);
  assert.equal(before.positions.map((p) => p.symbol), after.positions().map((p) => p.symbol).filter((s) => before.positions.some((p) => p.symbol === s)));
  await waitFor('the user stream reconnected after the restart', async () => sub.up && events.some((x) => x.kind === 'status' && !x.up), 10_000, 20);
  void before.balance;
  await sub.close();
});

test('venue restart: work that reaches the old venue once its stop began is refused (-1007, not carried out): one venue writes the store', async () => {
  const old = v.server.venue;
  const clientId = clientOrderId(`fault-split-${++n}`, 'entry', 0);
  const restarting = v.server.restart(200);
  // A request read before the restart, handled after it began: the old instance must not place it (the new one, loaded
  // from the store, would never know the order, and both would hand out the same ids).
  const late = await old.run((core) => core.placeOrder({ symbol: BTC, clientId, side: 'buy', type: 'market', qty: '0.01' }, core.now)).then(() => null, (e: unknown) => e);
  assert.ok(late instanceof ExchangeError && late.kind === 'ambiguous', `refused as unknown outcome: ${String(late)}`);
  await restarting;
  assert.is(onVenue(clientId).length, 0, 'nothing placed');
  const [row] = await v.db.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM venue_orders WHERE client_id = ?', [clientId]);
  assert.is(Number(row!.n), 0, 'nothing written by the stopped instance');
});

test('an order held in the venue past its recvWindow is refused at the matching engine (-5028): not placed, not resent', async () => {
  const { gw, om } = await manager();
  const e = entry('late');
  // The venue's queue is busy for 600 ms when the order arrives (a save, a restart's reload, a starved process).
  const busy = v.server.venue.query(() => new Promise((r) => setTimeout(r, 600)));
  const sent = om.submit({ ...e.req, type: 'limit', price: '1000', qty: '0.2', timeInForce: 'GTC', notAfter: Date.now() + 300 }, e.meta).then(() => null, (x: unknown) => x);
  await busy;
  const err = await sent;
  assert.ok(err instanceof ExchangeError && err.code === -5028 && err.kind === 'retryable', `refused there: ${String(err)}`);
  assert.is(onVenue(e.req.clientId).length, 0, 'nothing placed');
  assert.is((await row(e.req.clientId)).status, 'never_placed', 'the row says so');
  // Its window already gone when it would leave: not sent at all.
  const e2 = entry('gone');
  const before = v.server.counts.get('POST /fapi/v1/order') ?? 0;
  const err2 = await om.submit({ ...e2.req, notAfter: Date.now() - 1 }, e2.meta).then(() => null, (x: unknown) => x);
  assert.ok(err2 instanceof ExchangeError && err2.kind === 'retryable', String(err2));
  assert.is(v.server.counts.get('POST /fapi/v1/order') ?? 0, before, 'no request left');
  assert.is(onVenue(e2.req.clientId).length, 0);
  void gw;
});

test.run();
