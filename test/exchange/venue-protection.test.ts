// Pre-placed protection and batches on the loopback venue, through real ccxt and the CcxtGateway: the Binance rules the
// README cites (-4130, -2021, closePosition while flat, batchOrders without conditional types) and createOrders' outcomes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dec } from '../../src/domain/decimal.js';
import { ExchangeError } from '../../src/exchange/errors.js';
import { LocalSimGateway } from '../../src/exchange/sim/local-gateway.js';
import { SIM_MARKETS } from '../../src/exchange/sim/markets.js';
import type { OrderRequest } from '../../src/exchange/types.js';
import { startTestVenue, type TestVenue } from '../helpers/venue-server.js';

const BTC = 'BTC/USDT:USDT';
const ETH = 'ETH/USDT:USDT';
let v: TestVenue;
test.before(async () => {
  // A venue that refuses a trigger already crossed, as Binance does.
  v = await startTestVenue('venueprot', { venue: { rejectWouldTrigger: true } });
});
test.after(async () => {
  await v?.stop();
});

const markOf = async (symbol: string) => (await v.gateway().fetchMarkPrice(symbol)).markPrice;
const px = (x: number, tick = '0.1') => dec(x).div(tick).floor().mul(tick).toFixed();
const errOf = async (p: Promise<unknown>) => {
  const e = await p.then(() => null, (x: unknown) => x);
  assert.instance(e, ExchangeError, 'expected an ExchangeError');
  return e as ExchangeError;
};

test('a closePosition stop placed while flat is accepted and stays open; a second one on that side is refused (-4130); one already crossed is refused (-2021)', async () => {
  const gw = v.gateway();
  const m = await markOf(BTC);
  assert.equal(await gw.fetchPositions([BTC]), [], 'flat');
  const sl = await gw.createOrder({ symbol: BTC, clientId: 'vp-sl1', side: 'sell', type: 'stop_market', stopPrice: px(m * 0.9), closePosition: true, workingType: 'MARK_PRICE' });
  assert.equal([sl.conditional, sl.status, sl.closePosition], [true, 'new', true]);
  const e1 = await errOf(gw.createOrder({ symbol: BTC, clientId: 'vp-sl2', side: 'sell', type: 'stop_market', stopPrice: px(m * 0.8), closePosition: true, workingType: 'MARK_PRICE' }));
  assert.equal([e1.kind, e1.code], ['definitive', -4130]);
  // Beside it: a closePosition target on the same side, and a reduce-only stop for a quantity (how a stop is moved).
  await gw.createOrder({ symbol: BTC, clientId: 'vp-tp1', side: 'sell', type: 'take_profit_market', stopPrice: px(m * 1.1), closePosition: true, workingType: 'MARK_PRICE' });
  await gw.createOrder({ symbol: BTC, clientId: 'vp-sl3', side: 'sell', type: 'stop_market', stopPrice: px(m * 0.85), qty: '0.01', reduceOnly: true, workingType: 'MARK_PRICE' });
  const e2 = await errOf(gw.createOrder({ symbol: BTC, clientId: 'vp-sl4', side: 'buy', type: 'stop_market', stopPrice: px(m * 0.95), closePosition: true, workingType: 'MARK_PRICE' }));
  assert.equal([e2.kind, e2.code], ['definitive', -2021], 'a buy stop below the mark would trigger at once');
  assert.is(await gw.fetchOrderByClientId(BTC, 'vp-sl4'), null, 'nothing left on the venue');
  const open = (await gw.fetchOpenOrders(BTC)).map((o) => o.clientId).sort();
  assert.equal(open, ['vp-sl1', 'vp-sl3', 'vp-tp1']);
  // Still open while flat, and it covers whatever the entry then opens: its quantity is the position's at trigger time.
  await gw.createOrder({ symbol: BTC, clientId: 'vp-e1', side: 'buy', type: 'market', qty: '0.01' });
  await gw.createOrder({ symbol: BTC, clientId: 'vp-e2', side: 'buy', type: 'market', qty: '0.02' });
  const [p] = await gw.fetchPositions([BTC]);
  assert.is(p!.qty, '0.03');
  assert.equal((await gw.fetchOrderByClientId(BTC, 'vp-sl1'))!.status, 'new');
  for (const id of ['vp-sl1', 'vp-sl3', 'vp-tp1']) await gw.cancelOrder(BTC, id, true);
  await gw.createOrder({ symbol: BTC, clientId: 'vp-x1', side: 'sell', type: 'market', qty: '0.03', reduceOnly: true });
});

test('POST /fapi/v1/batchOrders through real ccxt createOrders: one result per order, refusals per order, conditional types refused (-4120), at most 5', async () => {
  const gw = v.gateway();
  await gw.loadMarkets();
  const m = await markOf(ETH);
  const low = Number(px(m * 0.7, '0.01'));
  const res = await gw.ex.createOrders([
    { symbol: ETH, type: 'limit', side: 'buy', amount: 0.1, price: low, params: { clientOrderId: 'vp-b1', timeInForce: 'GTC' } },
    { symbol: ETH, type: 'limit', side: 'buy', amount: 0.001, price: Number(px(m * 0.3, '0.01')), params: { clientOrderId: 'vp-b2', timeInForce: 'GTC' } },
    { symbol: ETH, type: 'market', side: 'sell', amount: 0.1, params: { clientOrderId: 'vp-b3', stopLossPrice: px(m * 1.2, '0.01'), closePosition: true } },
    { symbol: ETH, type: 'limit', side: 'buy', amount: 0.2, price: low, params: { clientOrderId: 'vp-b4', timeInForce: 'GTC' } },
  ]);
  const infos = res.map((o) => o.info as { clientOrderId?: string; code?: number });
  assert.equal(infos.filter((i) => i.clientOrderId).map((i) => i.clientOrderId).sort(), ['vp-b1', 'vp-b4']);
  assert.equal(infos.filter((i) => i.code !== undefined).map((i) => Number(i.code)).sort((a, b) => a - b), [-4164, -4120], 'min notional; a stop in a batch');
  assert.equal(res.filter((o) => o.status === 'rejected').length, 2);
  const venueOrders = v.server.venue.core.allOrders().filter((o) => o.clientId.startsWith('vp-b'));
  assert.equal(venueOrders.map((o) => `${o.clientId}:${o.status}`).sort(), ['vp-b1:new', 'vp-b4:new'], 'the refused ones left nothing');
  const six = Array.from({ length: 6 }, (_, i) => ({ symbol: ETH, type: 'limit', side: 'buy' as const, amount: 0.1, price: low, params: { clientOrderId: `vp-six${i}`, timeInForce: 'GTC' } }));
  const e = await gw.ex.createOrders(six).then(() => null, (x: unknown) => x as Error);
  assert.match(String(e?.message), '-1130');
  for (const id of ['vp-b1', 'vp-b4']) await gw.cancelOrder(ETH, id, false);
});

test('CcxtGateway.createOrders: outcomes in request order; protectiveFirst places the stop before the entry, and holds the entry back when the stop is refused', async () => {
  const gw = v.gateway();
  const m = await markOf(ETH);
  const low = px(m * 0.7, '0.01');
  const stop = (id: string, at: number): OrderRequest => ({ symbol: ETH, clientId: id, side: 'sell', type: 'stop_market', stopPrice: px(at, '0.01'), closePosition: true, workingType: 'MARK_PRICE' });
  const limit = (id: string, qty: string, price = low): OrderRequest => ({ symbol: ETH, clientId: id, side: 'buy', type: 'limit', qty, price, timeInForce: 'GTC' });
  const r1 = await gw.createOrders([limit('vp-g1', '0.1'), stop('vp-gs1', m * 0.6), limit('vp-g2', '0.001', px(m * 0.3, '0.01')), limit('vp-g3', '0.1'), limit('vp-g6', '0.00001')], { protectiveFirst: true });
  assert.equal(r1.map((o) => o.status), ['placed', 'placed', 'rejected', 'placed', 'rejected']);
  assert.is(r1[2]!.status === 'rejected' && r1[2]!.error.code, -4164, "the venue's code for the order it refused (the only error of its batch)");
  assert.match(r1[4]!.status === 'rejected' ? r1[4]!.error.message : '', 'precision', 'refused by ccxt before sending: alone, the rest of the batch still went');
  const ids = Object.fromEntries(v.server.venue.core.allOrders().filter((o) => o.clientId.startsWith('vp-g')).map((o) => [o.clientId, o.id]));
  assert.ok(ids['vp-gs1']! < ids['vp-g1']! && ids['vp-gs1']! < ids['vp-g3']!, 'the stop reached the venue before the entries');
  await gw.cancelOrder(ETH, 'vp-gs1', true);
  // The stop would trigger at once: refused, and the entry is not sent at all.
  const r2 = await gw.createOrders([limit('vp-g4', '0.1'), stop('vp-gs2', m * 1.05)], { protectiveFirst: true });
  assert.equal(r2.map((o) => o.status), ['not_sent', 'rejected']);
  assert.is(r2[1]!.status === 'rejected' && r2[1]!.error.code, -2021);
  assert.equal(v.server.venue.core.ordersWithClientId('vp-g4'), [], 'held back');
  // Together (no ordering): both go at once.
  await gw.createOrder(stop('vp-gs1b', m * 0.6));
  const r3 = await gw.createOrders([stop('vp-gs3', m * 0.6), limit('vp-g5', '0.1')]);
  assert.equal(r3.map((o) => o.status), ['rejected', 'placed'], 'a second closePosition stop on that side: -4130, the entry still placed');
  for (const id of ['vp-g1', 'vp-g3', 'vp-g5']) await gw.cancelOrder(ETH, id, false);
  await gw.cancelOrder(ETH, 'vp-gs1b', true);
});

test('a batch whose answer never comes (timeout after accept) is unknown for every order in it; each is then found by client id', async () => {
  const gw = v.gateway({ timeoutMs: 800, retry: { maxAttempts: 3, baseMs: 20, maxMs: 100 } });
  await gw.loadMarkets();
  const low = px((await markOf(ETH)) * 0.7, '0.01');
  v.server.faults.add({ method: 'POST', path: '/fapi/v1/batchOrders', fault: { kind: 'timeout_after_accept' } });
  const reqs: OrderRequest[] = ['vp-t1', 'vp-t2', 'vp-t3'].map((id) => ({ symbol: ETH, clientId: id, side: 'buy', type: 'limit', qty: '0.1', price: low, timeInForce: 'GTC' }));
  const r = await gw.createOrders(reqs);
  assert.equal(r.map((o) => o.status), ['unknown', 'unknown', 'unknown']);
  assert.ok(r.every((o) => o.status !== 'placed' && o.error.kind === 'ambiguous'));
  for (const q of reqs) assert.is((await gw.fetchOrderByClientId(ETH, q.clientId))?.status, 'new', `${q.clientId} is on the venue`);
  assert.is(v.server.venue.core.ordersWithClientId('vp-t1').length, 1, 'sent once');
  for (const q of reqs) await gw.cancelOrder(ETH, q.clientId, false);
});

test('a refused batch: 429 with Retry-After is waited out and sent again (placed once each); a 5xx is unknown for each, and none is on the venue', async () => {
  const gw = v.gateway({ retry: { maxAttempts: 3, baseMs: 20, maxMs: 100 } });
  await gw.loadMarkets();
  const low = px((await markOf(ETH)) * 0.7, '0.01');
  const reqs = (p: string): OrderRequest[] => [1, 2].map((k) => ({ symbol: ETH, clientId: `${p}${k}`, side: 'buy', type: 'limit', qty: '0.1', price: low, timeInForce: 'GTC' }));
  v.server.faults.add({ method: 'POST', path: '/fapi/v1/batchOrders', fault: { kind: 'status', status: 429, retryAfterSec: 1 } });
  const t0 = Date.now();
  const r = await gw.createOrders(reqs('vp-r'));
  assert.equal(r.map((o) => o.status), ['placed', 'placed']);
  assert.ok(Date.now() - t0 >= 900, 'Retry-After honoured');
  assert.equal(['vp-r1', 'vp-r2'].map((id) => v.server.venue.core.ordersWithClientId(id).length), [1, 1]);
  v.server.faults.add({ method: 'POST', path: '/fapi/v1/batchOrders', fault: { kind: 'status', status: 503 } });
  const r2 = await gw.createOrders(reqs('vp-f'));
  assert.equal(r2.map((o) => o.status), ['unknown', 'unknown'], 'a 5xx may have executed: unknown, never retried blindly');
  assert.equal(['vp-f1', 'vp-f2'].map((id) => v.server.venue.core.ordersWithClientId(id).length), [0, 0]);
  for (const id of ['vp-r1', 'vp-r2']) await gw.cancelOrder(ETH, id, false);
});

test('the in-process venue (LocalSimGateway) answers createOrders the same way, saved once', async () => {
  let now = Date.UTC(2026, 0, 1);
  const gw = await LocalSimGateway.open({ markets: SIM_MARKETS, takerFee: 0.0004, makerFee: 0.0002, startingBalance: 10_000, leverage: 5, marketFill: 'immediate', rejectWouldTrigger: true }, null, () => now);
  await gw.onBar(BTC, { ts: now, open: 30_000, high: 30_000, low: 30_000, close: 30_000 });
  now += 1000;
  const entry: OrderRequest = { symbol: BTC, clientId: 'l-e1', side: 'buy', type: 'market', qty: '0.01' };
  const r1 = await gw.createOrders([entry, { symbol: BTC, clientId: 'l-s1', side: 'sell', type: 'stop_market', stopPrice: '31000', closePosition: true, workingType: 'MARK_PRICE' }], { protectiveFirst: true });
  assert.equal(r1.map((o) => o.status), ['not_sent', 'rejected']);
  const r2 = await gw.createOrders([{ ...entry, clientId: 'l-e2' }, { symbol: BTC, clientId: 'l-s2', side: 'sell', type: 'stop_market', stopPrice: '29000', closePosition: true, workingType: 'MARK_PRICE' }], { protectiveFirst: true });
  assert.equal(r2.map((o) => o.status), ['placed', 'placed']);
  const core = gw.core;
  assert.ok(core.findOrder(BTC, 'algo', { clientId: 'l-s2' })!.id < core.findOrder(BTC, 'regular', { clientId: 'l-e2' })!.id, 'stop first');
  assert.is(core.position(BTC)!.qty, '0.01');
  await gw.close();
});

test('every endpoint ccxt called is implemented by the venue', () => {
  assert.equal(v.server.unknownEndpoints, []);
});

test.run();
