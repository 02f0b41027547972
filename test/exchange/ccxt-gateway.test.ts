import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dec } from '../../src/domain/decimal.js';
import { CcxtGateway } from '../../src/exchange/ccxt-gateway.js';
import { ExchangeError } from '../../src/exchange/errors.js';
import type { UserEvent } from '../../src/exchange/types.js';
import { waitFor } from '../helpers/wait.js';
import { quietLog, startTestVenue, type TestVenue } from '../helpers/venue-server.js';

const BTC = 'BTC/USDT:USDT';
const ETH = 'ETH/USDT:USDT';
let v: TestVenue;
test.before(async () => {
  v = await startTestVenue('ccxtgw');
});
test.after(async () => {
  await v?.stop();
});

test('markets, a market order, its fill, the position and the balance, through real ccxt and the user-data stream', async () => {
  const gw = v.gateway();
  const markets = await gw.loadMarkets();
  assert.equal(markets.map((m) => m.symbol).sort(), [BTC, ETH]);
  const eth = markets.find((m) => m.symbol === ETH)!;
  assert.equal([eth.tickSize, eth.qtyStep, eth.minNotional], ['0.01', '0.001', '20']);
  const events: UserEvent[] = [];
  const sub = await gw.subscribeUserData((e) => events.push(e));
  await waitFor('user stream up', async () => sub.up, 5000, 20);
  assert.equal(await gw.fetchBalance(), [{ asset: 'USDT', total: '10000', free: '10000', unrealizedPnl: '0' }]);
  const o = await gw.createOrder({ symbol: ETH, clientId: 'bsn-gw-e1', side: 'buy', type: 'market', qty: '0.5' });
  assert.is(o.status, 'filled');
  assert.is(o.filledQty, '0.5');
  const [p] = await gw.fetchPositions([ETH]);
  assert.equal([p!.symbol, p!.side, p!.qty, p!.entryPrice], [ETH, 'long', '0.5', o.avgPrice]);
  const fills = await gw.fetchFills(ETH, 0);
  assert.is(fills.length, 1);
  assert.equal([fills[0]!.clientId, fills[0]!.qty, fills[0]!.price, fills[0]!.isMaker], ['bsn-gw-e1', '0.5', o.avgPrice, false]);
  assert.is(fills[0]!.fee, dec(o.avgPrice!).mul('0.5').mul('0.0004').toDecimalPlaces(8).toFixed());
  const [bal] = await gw.fetchBalance();
  assert.is(bal!.total, dec(10000).sub(fills[0]!.fee).toFixed());
  await waitFor('the fill on the stream', async () => events.some((e) => e.kind === 'order' && e.fill?.tradeId === fills[0]!.tradeId), 5000, 20);
  const acct = events.find((e) => e.kind === 'account');
  assert.ok(acct && acct.kind === 'account' && acct.positions[0]!.symbol === ETH && acct.positions[0]!.qty === '0.5');
  await sub.close();
});

test('conditional orders go to the algo book: ccxt lists them only with params.trigger, the gateway lists both books', async () => {
  const gw = v.gateway();
  await gw.createOrder({ symbol: BTC, clientId: 'bsn-gw-b1', side: 'buy', type: 'market', qty: '0.01' });
  const sl = await gw.createOrder({ symbol: BTC, clientId: 'bsn-gw-sl', side: 'sell', type: 'stop_market', stopPrice: '1000', closePosition: true, workingType: 'MARK_PRICE' });
  const tp = await gw.createOrder({ symbol: BTC, clientId: 'bsn-gw-tp', side: 'sell', type: 'take_profit_market', stopPrice: '900000', closePosition: true });
  const lim = await gw.createOrder({ symbol: BTC, clientId: 'bsn-gw-l1', side: 'buy', type: 'limit', qty: '0.01', price: '10000', timeInForce: 'GTC' });
  assert.ok(sl.conditional && tp.conditional && !lim.conditional);
  const plain = await gw.ex.fetchOpenOrders(BTC);
  assert.equal(plain.map((o) => o.clientOrderId), ['bsn-gw-l1'], 'without trigger: the regular book only');
  const trig = await gw.ex.fetchOpenOrders(BTC, undefined, undefined, { trigger: true });
  assert.equal(trig.map((o) => o.clientOrderId).sort(), ['bsn-gw-sl', 'bsn-gw-tp']);
  const both = await gw.fetchOpenOrders(BTC);
  assert.equal(both.map((o) => `${o.clientId}:${o.type}:${o.conditional}`).sort(), ['bsn-gw-l1:limit:false', 'bsn-gw-sl:stop_market:true', 'bsn-gw-tp:take_profit_market:true']);
  const found = await gw.fetchOrderByClientId(BTC, 'bsn-gw-sl');
  assert.equal([found!.conditional, found!.status, found!.stopPrice, found!.closePosition], [true, 'new', '1000', true]);
  assert.is(await gw.fetchOrderByClientId(BTC, 'bsn-gw-nothing'), null);
  const c1 = await gw.cancelOrder(BTC, 'bsn-gw-sl');
  const c2 = await gw.cancelOrder(BTC, 'bsn-gw-l1', false);
  assert.equal([c1.status, c2.status], ['cancelled', 'cancelled']);
  assert.equal((await gw.fetchOpenOrders(BTC)).map((o) => o.clientId), ['bsn-gw-tp']);
  const err = await gw.cancelOrder(BTC, 'bsn-gw-sl').catch((e: unknown) => e);
  assert.instance(err, ExchangeError);
  assert.is((err as ExchangeError).kind, 'definitive');
  await gw.cancelOrder(BTC, 'bsn-gw-tp', true);
});

test('a triggered conditional closes the whole position (1 ETH from two entries); its fill carries its client id (stream and REST)', async () => {
  const gw = v.gateway();
  const events: UserEvent[] = [];
  const sub = await gw.subscribeUserData((e) => events.push(e));
  await waitFor('user stream up', async () => sub.up, 5000, 20);
  await gw.createOrder({ symbol: ETH, clientId: 'bsn-gw-e2', side: 'buy', type: 'market', qty: '0.5' });
  const mark = (await gw.fetchMarkPrice(ETH)).markPrice;
  // A take-profit already below the market (CONTRACT_PRICE): the venue's next tick triggers it.
  await gw.createOrder({ symbol: ETH, clientId: 'bsn-gw-s2', side: 'sell', type: 'take_profit_market', stopPrice: dec(mark).mul('0.99').toDecimalPlaces(2).toFixed(), closePosition: true });
  await waitFor('the position closed by the triggered order', async () => (await gw.fetchPositions([ETH])).length === 0, 10_000, 50);
  const o = await gw.fetchOrderByClientId(ETH, 'bsn-gw-s2');
  assert.equal([o!.conditional, o!.status, o!.filledQty], [true, 'filled', '1']);
  const fills = (await gw.fetchFills(ETH, 0)).filter((f) => f.clientId === 'bsn-gw-s2');
  assert.is(fills.length, 1);
  assert.is(fills[0]!.side, 'sell');
  await waitFor('the stream reported the fill with the same client id', async () => events.some((e) => e.kind === 'order' && e.fill?.clientId === 'bsn-gw-s2'), 5000, 20);
  await sub.close();
});

test('HMAC signatures and the API key are checked: a wrong secret or key is a definitive error and places nothing', async () => {
  const wrongSecret = v.gateway({ secret: 'not-the-secret' });
  const e1 = await wrongSecret.createOrder({ symbol: BTC, clientId: 'bsn-gw-bad1', side: 'buy', type: 'market', qty: '0.01' }).catch((e: unknown) => e);
  assert.instance(e1, ExchangeError);
  assert.is((e1 as ExchangeError).kind, 'definitive');
  assert.match((e1 as Error).message, '-1022');
  const wrongKey = v.gateway({ apiKey: 'someone-else' });
  const e2 = await wrongKey.fetchBalance().catch((e: unknown) => e);
  assert.match((e2 as Error).message, '-2015');
  assert.equal(v.server.venue.core.ordersWithClientId('bsn-gw-bad1'), []);
});

test('environments: demo, testnet and mainnet use Binance URLs; paper points every REST API at the loopback venue', () => {
  const mk = (environment: 'demo' | 'testnet' | 'mainnet' | 'paper') =>
    new CcxtGateway({
      environment, url: environment === 'paper' ? 'http://127.0.0.1:9' : null, recvWindowMs: 5000, timeoutMs: 1000, retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 },
      userStream: { keepAliveMs: 1, pollMs: 1, pingIntervalMs: 1, pongTimeoutMs: 1, reconnectInitialMs: 1, reconnectMaxMs: 1 }, now: Date.now, log: quietLog,
    });
  const api = (g: CcxtGateway) => g.ex.urls['api'] as Record<string, string>;
  assert.match(api(mk('demo')).fapiPrivate!, 'https://demo-fapi.binance.com/fapi/v1');
  assert.match(api(mk('testnet')).fapiPrivate!, 'https://testnet.binancefuture.com/fapi/v1');
  assert.match(api(mk('mainnet')).fapiPrivate!, 'https://fapi.binance.com/fapi/v1');
  const paper = api(mk('paper'));
  assert.ok(Object.values(paper).every((u) => typeof u !== 'string' || u.startsWith('http://127.0.0.1:9/')), 'nothing can leave the loopback venue');
  assert.is(mk('demo').wsBase, 'wss://fstream.binancefuture.com');
  assert.is(mk('mainnet').wsBase, 'wss://fstream.binance.com');
  assert.is(mk('paper').wsBase, 'ws://127.0.0.1:9');
});

test('OHLCV over REST: 1m and aggregated 5m candles; only candles ended before the request count as closed', async () => {
  const gw = v.gateway();
  const now = v.server.venue.now();
  const ones = await gw.fetchOhlcv(BTC, '1m', now - 30 * 60_000, 100);
  assert.ok(ones.length >= 29);
  assert.ok(ones.every((c, i) => i === 0 || c.openTime - ones[i - 1]!.openTime === 60_000));
  assert.ok(ones.slice(0, -1).every((c) => c.closed));
  const fives = await gw.fetchOhlcv(BTC, '5m', now - 60 * 60_000, 100);
  const f = fives.find((c) => c.closed)!;
  const inside = ones.filter((c) => c.openTime >= f.openTime && c.openTime < f.openTime + 300_000);
  if (inside.length === 5) {
    assert.is(f.high, Math.max(...inside.map((c) => c.high)));
    assert.is(f.close, inside.at(-1)!.close);
  }
});

test('every endpoint ccxt and the clients called is implemented by the venue', () => {
  assert.equal(v.server.unknownEndpoints, []);
});

test.run();
