import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dec } from '../../src/domain/decimal.js';
import { ExchangeError } from '../../src/exchange/errors.js';
import { SimVenue, type SimOptions } from '../../src/exchange/sim/core.js';
import { SIM_MARKETS } from '../../src/exchange/sim/markets.js';

const S = 'BTC/USDT:USDT';
const T = Date.UTC(2026, 0, 1, 0, 0, 0);
const opts = (o: Partial<SimOptions> = {}): SimOptions => ({
  markets: SIM_MARKETS, takerFee: 0.0004, makerFee: 0.0002, startingBalance: 10_000, leverage: 5, marketFill: 'immediate', participation: 0.5,
  fundingIntervalMs: 8 * 3_600_000, interestRate: 0.0001, liquidationFeeRate: 0.005, markSmoothing: 1, ...o,
});
const tick = (v: SimVenue, price: number, ts: number, volume = 10) => v.onSegment(S, { ts, open: v.price(S) ?? price, high: Math.max(v.price(S) ?? price, price), low: Math.min(v.price(S) ?? price, price), close: price, volume, kind: 'tick' });
const code = (fn: () => unknown): number | string | undefined => {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ExchangeError);
    return (e as ExchangeError).code;
  }
  throw new Error('expected an ExchangeError');
};

test('a market order takes the book level by level: several trades (partial fills), taker fee, position and balance exact', () => {
  const v = new SimVenue(opts({ startingBalance: 100_000 }));
  tick(v, 30_000, T);
  const o = v.placeOrder({ symbol: S, clientId: 'm1', side: 'buy', type: 'market', qty: '5' }, T + 1);
  assert.is(o.status, 'filled');
  const fills = v.fills(S, 0);
  assert.equal(fills.map((f) => f.qty), ['2', '2', '1'], 'book levels of 2 BTC');
  assert.equal(fills.map((f) => f.price), ['30000', '30000.1', '30000.2']);
  const notional = dec(2).mul(30000).add(dec(2).mul('30000.1')).add(dec(1).mul('30000.2'));
  assert.is(v.balance()[0]!.total, dec(100_000).sub(notional.mul('0.0004')).toFixed());
  const p = v.position(S)!;
  assert.is(p.side, 'long');
  assert.is(p.qty, '5');
  assert.is(dec(p.entryPrice).toFixed(8), notional.div(5).toFixed(8));
  const events = v.drain().events.filter((e) => e.kind === 'order').map((e) => (e.kind === 'order' ? `${e.exec}:${e.order.status}` : ''));
  assert.equal(events, ['NEW:new', 'TRADE:partially_filled', 'TRADE:partially_filled', 'TRADE:filled']);
});

test('a resting limit order fills partially as volume trades through it (maker fee), then completely', () => {
  const v = new SimVenue(opts({ startingBalance: 100_000 }));
  tick(v, 30_000, T);
  v.placeOrder({ symbol: S, clientId: 'l1', side: 'buy', type: 'limit', qty: '3', price: '29900' }, T + 1);
  tick(v, 29_950, T + 2, 10);
  assert.is(v.findOrder(S, 'regular', { clientId: 'l1' })!.status, 'new', 'not reached');
  tick(v, 29_890, T + 3, 4); // 50% of 4 BTC traded through: 2 BTC for us
  let o = v.findOrder(S, 'regular', { clientId: 'l1' })!;
  assert.is(o.status, 'partially_filled');
  assert.is(o.filledQty, '2');
  tick(v, 29_880, T + 4, 4);
  o = v.findOrder(S, 'regular', { clientId: 'l1' })!;
  assert.is(o.status, 'filled');
  const fills = v.fills(S, 0);
  assert.ok(fills.every((f) => f.isMaker && f.price === '29900'));
  assert.is(fills[0]!.fee, dec('29900').mul(2).mul('0.0002').toFixed());
});

test('validation mirrors Binance: post-only that would take, reduce-only without position, bad step/tick, duplicate client id, margin', () => {
  const v = new SimVenue(opts());
  tick(v, 30_000, T);
  assert.is(code(() => v.placeOrder({ symbol: S, clientId: 'g1', side: 'buy', type: 'limit', qty: '0.01', price: '30100', timeInForce: 'GTX' }, T)), -5022);
  assert.is(code(() => v.placeOrder({ symbol: S, clientId: 'r1', side: 'sell', type: 'market', qty: '0.01', reduceOnly: true }, T)), -2022);
  assert.is(code(() => v.placeOrder({ symbol: S, clientId: 'q1', side: 'buy', type: 'market', qty: '0.0105' }, T)), -1111);
  assert.is(code(() => v.placeOrder({ symbol: S, clientId: 'p1', side: 'buy', type: 'limit', qty: '0.01', price: '29000.05' }, T)), -4014);
  assert.is(code(() => v.placeOrder({ symbol: S, clientId: 'n1', side: 'buy', type: 'market', qty: '0.001' }, T)), -4164);
  assert.is(code(() => v.placeOrder({ symbol: S, clientId: 'big', side: 'buy', type: 'market', qty: '2' }, T)), -2019, '60k notional at 5x needs 12k margin');
  v.placeOrder({ symbol: S, clientId: 'd1', side: 'buy', type: 'limit', qty: '0.01', price: '29000' }, T);
  assert.is(code(() => v.placeOrder({ symbol: S, clientId: 'd1', side: 'buy', type: 'limit', qty: '0.01', price: '29000' }, T)), -4116);
  v.setLeverage(S, 20);
  const ioc = v.placeOrder({ symbol: S, clientId: 'i1', side: 'buy', type: 'limit', qty: '3', price: '30000', timeInForce: 'IOC' }, T);
  assert.is(ioc.status, 'expired');
  assert.is(ioc.filledQty, '2', 'IOC took the first level and expired the rest');
});

test('conditional orders live in the algo book; a mark-price stop with closePosition triggers a market order that closes the position', () => {
  const v = new SimVenue(opts());
  tick(v, 30_000, T);
  v.placeOrder({ symbol: S, clientId: 'e', side: 'buy', type: 'market', qty: '0.5' }, T);
  v.drain();
  const sl = v.placeOrder({ symbol: S, clientId: 'sl', side: 'sell', type: 'stop_market', stopPrice: '29500', closePosition: true, workingType: 'MARK_PRICE' }, T);
  const tp = v.placeOrder({ symbol: S, clientId: 'tp', side: 'sell', type: 'take_profit_market', stopPrice: '31000', closePosition: true }, T);
  assert.is(sl.book, 'algo');
  assert.is(sl.algoStatus, 'NEW');
  assert.equal(v.openOrders(S, 'regular'), [], 'not in the regular book');
  assert.is(v.openOrders(S, 'algo').length, 2);
  v.drain();
  tick(v, 29_600, T + 1);
  assert.ok(v.position(S));
  tick(v, 29_400, T + 2);
  assert.is(v.position(S), null, 'closed by the stop');
  const a = v.findOrder(S, 'algo', { clientId: 'sl' })!;
  assert.is(a.algoStatus, 'FINISHED');
  assert.is(a.status, 'filled');
  assert.is(a.filledQty, '0.5');
  const child = v.findOrder(S, 'regular', { id: a.actualOrderId! })!;
  assert.is(child.clientId, 'sl', "the triggered order carries the algo order's client id");
  const kinds = v.drain().events.map((e) => (e.kind === 'order' ? `order:${e.exec}` : e.kind === 'algo' ? `algo:${e.order.algoStatus}` : 'account'));
  assert.equal(kinds.slice(0, 5), ['order:NEW', 'order:TRADE', 'account', 'algo:TRIGGERED', 'algo:FINISHED'], 'trade updates come before the algo update (as on Binance)');
  tick(v, 31_100, T + 3);
  const t = v.findOrder(S, 'algo', { clientId: tp.clientId })!;
  assert.is(t.algoStatus, 'EXPIRED', 'a closePosition target with no position left expires');
});

test('protection placed before exposure: a closePosition stop placed while flat stays open, then closes all of a position built by partial fills', () => {
  const v = new SimVenue(opts());
  tick(v, 30_000, T);
  const sl = v.placeOrder({ symbol: S, clientId: 'pre-sl', side: 'sell', type: 'stop_market', stopPrice: '29500', closePosition: true, workingType: 'MARK_PRICE' }, T);
  assert.equal([sl.status, sl.algoStatus, v.position(S)], ['new', 'NEW', null], 'accepted while flat (as Binance keeps closePosition orders open while flat)');
  tick(v, 30_050, T + 1);
  assert.is(v.findOrder(S, 'algo', { clientId: 'pre-sl' })!.algoStatus, 'NEW', 'still open while flat');
  // The entry rests, then fills in parts as volume trades through it.
  v.placeOrder({ symbol: S, clientId: 'entry', side: 'buy', type: 'limit', qty: '0.6', price: '30000', timeInForce: 'GTC' }, T + 1);
  tick(v, 29_990, T + 2, 0.6);
  const part = v.position(S)!;
  assert.ok(dec(part.qty).gt(0) && dec(part.qty).lt('0.6'), `a partial fill first (${part.qty})`);
  tick(v, 29_980, T + 3, 10);
  assert.is(v.position(S)!.qty, '0.6');
  tick(v, 29_400, T + 4);
  assert.is(v.position(S), null, 'the stop placed before the entry closed all of it');
  assert.equal([v.findOrder(S, 'algo', { clientId: 'pre-sl' })!.filledQty, v.findOrder(S, 'algo', { clientId: 'pre-sl' })!.status], ['0.6', 'filled']);
});

test('a closePosition stop that triggers while flat closes nothing and ends EXPIRED: a later fill is not covered by it', () => {
  const v = new SimVenue(opts());
  tick(v, 30_000, T);
  v.placeOrder({ symbol: S, clientId: 'pre-sl', side: 'sell', type: 'stop_market', stopPrice: '29500', closePosition: true, workingType: 'MARK_PRICE' }, T);
  v.drain();
  tick(v, 29_400, T + 1);
  const a = v.findOrder(S, 'algo', { clientId: 'pre-sl' })!;
  assert.equal([a.algoStatus, a.status, a.filledQty, a.actualOrderId], ['EXPIRED', 'expired', '0', null]);
  assert.equal(v.allFills(), []);
  assert.equal(v.drain().events.map((e) => (e.kind === 'algo' ? `algo:${e.order.algoStatus}` : e.kind)), ['algo:EXPIRED'], 'one ALGO_UPDATE tells the client');
  v.placeOrder({ symbol: S, clientId: 'entry', side: 'buy', type: 'market', qty: '0.1' }, T + 2);
  assert.equal(v.openOrders(S, 'algo'), [], 'the position the entry opened has no stop');
});

test('one closePosition conditional per symbol, side and type (-4130); -2021 for a trigger already crossed when rejectWouldTrigger', () => {
  const v = new SimVenue(opts());
  tick(v, 30_000, T);
  v.placeOrder({ symbol: S, clientId: 'sl1', side: 'sell', type: 'stop_market', stopPrice: '29500', closePosition: true, workingType: 'MARK_PRICE' }, T);
  assert.is(code(() => v.placeOrder({ symbol: S, clientId: 'sl2', side: 'sell', type: 'stop_market', stopPrice: '29600', closePosition: true, workingType: 'MARK_PRICE' }, T)), -4130);
  // Allowed beside it: a reduce-only stop for a quantity, a closePosition target, a closePosition stop on the other side.
  v.placeOrder({ symbol: S, clientId: 'sl3', side: 'sell', type: 'stop_market', stopPrice: '29600', qty: '0.1', reduceOnly: true, workingType: 'MARK_PRICE' }, T);
  v.placeOrder({ symbol: S, clientId: 'tp1', side: 'sell', type: 'take_profit_market', stopPrice: '31000', closePosition: true }, T);
  v.placeOrder({ symbol: S, clientId: 'bsl', side: 'buy', type: 'stop_market', stopPrice: '30500', closePosition: true }, T);
  v.cancelOrder(S, { clientId: 'sl1' }, 'algo', T);
  v.placeOrder({ symbol: S, clientId: 'sl4', side: 'sell', type: 'stop_market', stopPrice: '29500', closePosition: true, workingType: 'MARK_PRICE' }, T);
  // Trigger already crossed: accepted (and triggered by the next tick) unless the venue refuses as Binance does.
  v.placeOrder({ symbol: S, clientId: 'x1', side: 'sell', type: 'take_profit_market', stopPrice: '29900', qty: '0.1', reduceOnly: true }, T);
  const b = new SimVenue(opts({ rejectWouldTrigger: true }));
  tick(b, 30_000, T);
  assert.is(code(() => b.placeOrder({ symbol: S, clientId: 'y1', side: 'sell', type: 'stop_market', stopPrice: '30000', closePosition: true, workingType: 'MARK_PRICE' }, T)), -2021, 'sell stop at or above the mark');
  assert.is(code(() => b.placeOrder({ symbol: S, clientId: 'y2', side: 'buy', type: 'stop_market', stopPrice: '29990', closePosition: true }, T)), -2021, 'buy stop below the last price');
  assert.is(code(() => b.placeOrder({ symbol: S, clientId: 'y3', side: 'sell', type: 'take_profit_market', stopPrice: '29990', closePosition: true }, T)), -2021, 'sell target below the price');
  b.placeOrder({ symbol: S, clientId: 'y4', side: 'sell', type: 'stop_market', stopPrice: '29990', closePosition: true, workingType: 'MARK_PRICE' }, T);
  b.placeOrder({ symbol: S, clientId: 'y5', side: 'buy', type: 'take_profit_market', stopPrice: '29990', closePosition: true }, T);
  assert.equal(b.ordersWithClientId('y1'), [], 'a refused order leaves nothing');
});

test('bar mode (backtests): a bar touching both stop and target fills the stop; market orders fill at the next open', () => {
  const v = new SimVenue(opts({ marketFill: 'next_bar', participation: 0 }));
  v.onBar(S, { ts: T, open: 30_000, high: 30_000, low: 30_000, close: 30_000 });
  v.placeOrder({ symbol: S, clientId: 'e', side: 'buy', type: 'market', qty: '0.1' }, T);
  assert.equal(v.fills(S, 0), []);
  v.onBar(S, { ts: T + 60_000, open: 30_010, high: 30_020, low: 30_000, close: 30_010 });
  assert.is(v.fills(S, 0)[0]!.price, '30010');
  v.placeOrder({ symbol: S, clientId: 'sl', side: 'sell', type: 'stop_market', stopPrice: '29900', closePosition: true }, T);
  v.placeOrder({ symbol: S, clientId: 'tp', side: 'sell', type: 'take_profit_market', stopPrice: '30100', closePosition: true }, T);
  v.onBar(S, { ts: T + 120_000, open: 30_000, high: 30_200, low: 29_800, close: 30_000 });
  const exit = v.fills(S, 0)[1]!;
  assert.is(exit.clientId, 'sl');
  assert.is(exit.price, '29900');
  assert.is(v.findOrder(S, 'algo', { clientId: 'tp' })!.status, 'expired');
});

test('funding every 8 h: a long pays qty × mark × rate at each funding time; balance and history agree', () => {
  const v = new SimVenue(opts());
  tick(v, 30_000, T + 1000);
  v.placeOrder({ symbol: S, clientId: 'e', side: 'buy', type: 'market', qty: '0.2' }, T + 1000);
  const before = dec(v.balance()[0]!.total);
  assert.is(v.nextFundingTime, T + 8 * 3_600_000);
  for (let h = 1; h <= 17; h++) tick(v, 30_000, T + h * 3_600_000);
  const f = v.fundingHistory(S);
  assert.equal(f.map((x) => x.ts), [T + 8 * 3_600_000, T + 16 * 3_600_000]);
  for (const x of f) assert.is(x.amount, dec(0.2).mul(x.markPrice).mul(x.rate).neg().toDecimalPlaces(8).toFixed());
  assert.ok(f[0]!.rate > 0, 'flat market: the interest term makes longs pay');
  assert.is(dec(v.balance()[0]!.total).toFixed(), before.add(f[0]!.amount).add(f[1]!.amount).toFixed());
});

test('leverage sets margin and liquidation price; a mark beyond it liquidates: orders cancelled, position closed, wallet never negative', () => {
  const v = new SimVenue(opts({ startingBalance: 1000 }));
  tick(v, 30_000, T);
  v.setLeverage(S, 20);
  assert.is(code(() => v.setLeverage(S, 200)), -4028);
  v.placeOrder({ symbol: S, clientId: 'e', side: 'buy', type: 'market', qty: '0.5' }, T);
  const p = v.position(S)!;
  const wallet = dec(v.balance()[0]!.total);
  const expected = dec(p.qty).mul(p.entryPrice).sub(wallet).div(dec(p.qty).mul(1 - 0.004));
  assert.is(dec(p.liquidationPrice!).toFixed(4), expected.toDecimalPlaces(4).toFixed(4));
  v.placeOrder({ symbol: S, clientId: 'sl', side: 'sell', type: 'stop_market', stopPrice: '20000', closePosition: true }, T);
  tick(v, 29_000, T + 1);
  assert.ok(v.position(S), 'above the liquidation price');
  tick(v, Number(p.liquidationPrice) - 50, T + 2);
  assert.is(v.position(S), null);
  const forced = v.fills(S, 0).at(-1)!;
  assert.match(forced.clientId!, /^autoclose-/);
  assert.is(v.findOrder(S, 'algo', { clientId: 'sl' })!.status, 'cancelled');
  assert.ok(dec(v.balance()[0]!.total).gte(0));
});

test('the state is plain data: a venue rebuilt from it behaves identically (deterministic ids and fills)', () => {
  const run = (v: SimVenue) => {
    v.placeOrder({ symbol: S, clientId: 'a', side: 'buy', type: 'limit', qty: '1.5', price: '29950' }, T + 5);
    for (let i = 1; i <= 6; i++) tick(v, 30_000 - i * 20, T + 10 + i, 2);
    return v.allFills();
  };
  const a = new SimVenue(opts());
  tick(a, 30_000, T);
  const b = new SimVenue(opts(), JSON.parse(JSON.stringify(a.state())));
  assert.equal(run(a), run(b));
  assert.equal(a.state(), b.state());
});

test.run();
