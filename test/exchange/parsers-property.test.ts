// Property test of every stream and REST parser of the exchange layer (fast-check): arbitrary JSON, and Binance's own
// payload shapes with any field replaced by an adversarial value (400-digit, negative, zero, NaN, exponent, wrong type),
// never make a parser throw anything but the ExchangeError of a failed call, and never yield a non-finite or non-positive
// price or quantity (nor a negative size, a non-finite amount, or an inconsistent closed candle).
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mergeMetrics, parseFunding, parseOpenInterest } from '../../src/exchange/binance/derivatives.js';
import * as parse from '../../src/exchange/binance/parse.js';
import { ExchangeError } from '../../src/exchange/errors.js';
import { parseMarketFrame, parseUserFrame, type MarketEvent, type UserFrame } from '../../src/exchange/stream/frames.js';

// 2,000 per property in every run (about 3 s); the two edge cases found at 10,000 are now fixed cases in streams.test.ts.
const RUNS = Number(process.env.BOSUN_PROPERTY_RUNS ?? 2000);

// ------------------------------------------------------------------ what a parser may yield

const pos = (x: unknown, what: string) => {
  const n = Number(x);
  assert.ok(Number.isFinite(n) && n > 0, `${what} must be finite and > 0, got ${String(x)}`);
};
const nonneg = (x: unknown, what: string) => {
  const n = Number(x);
  assert.ok(Number.isFinite(n) && n >= 0, `${what} must be finite and ≥ 0, got ${String(x)}`);
};
const finite = (x: unknown, what: string) => assert.ok(Number.isFinite(Number(x)), `${what} must be finite, got ${String(x)}`);
const optPos = (x: unknown, what: string) => x === null || x === undefined || pos(x, what);

function checkCandle(c: { open: number; high: number; low: number; close: number; volume: number; closed: boolean; takerBuyVolume?: number }, what: string) {
  for (const k of ['open', 'high', 'low', 'close'] as const) pos(c[k], `${what}.${k}`);
  nonneg(c.volume, `${what}.volume`);
  if (c.takerBuyVolume !== undefined) nonneg(c.takerBuyVolume, `${what}.takerBuyVolume`);
  if (c.closed) assert.ok(c.high >= Math.max(c.open, c.close, c.low) && c.low <= Math.min(c.open, c.close), `${what}: closed candle inconsistent`);
}

function checkMarket(e: MarketEvent) {
  switch (e.kind) {
    case 'trade':
      pos(e.trade.price, 'trade.price');
      pos(e.trade.qty, 'trade.qty');
      return;
    case 'kline':
      return checkCandle(e.candle, 'kline');
    case 'book':
      for (const [p, q] of [...e.book.bids, ...e.book.asks]) {
        pos(p, 'book price');
        nonneg(q, 'book qty');
      }
      return;
    case 'mark':
      pos(e.mark.markPrice, 'markPrice');
      if (e.mark.indexPrice !== undefined) pos(e.mark.indexPrice, 'indexPrice');
      if (e.mark.fundingRate !== undefined) finite(e.mark.fundingRate, 'fundingRate');
      return;
    case 'liquidation':
      for (const k of ['price', 'avgPrice', 'qty', 'notional'] as const) pos(e.liquidation[k], `liquidation.${k}`);
  }
}

function checkOrder(o: { qty: string; filledQty: string; avgPrice: string | null; price: string | null; stopPrice: string | null }) {
  nonneg(o.qty, 'order.qty');
  nonneg(o.filledQty, 'order.filledQty');
  optPos(o.avgPrice, 'order.avgPrice');
  optPos(o.price, 'order.price');
  optPos(o.stopPrice, 'order.stopPrice');
}

function checkFill(f: { qty: string; price: string; fee: string; realizedPnl: string }) {
  pos(f.price, 'fill.price');
  pos(f.qty, 'fill.qty');
  finite(f.fee, 'fill.fee');
  finite(f.realizedPnl, 'fill.realizedPnl');
}

function checkUser(e: UserFrame) {
  if (e.kind === 'expired') return;
  if (e.kind === 'order') {
    checkOrder(e.order);
    if (e.fill) checkFill(e.fill);
    return;
  }
  for (const b of e.balances) {
    finite(b.total, 'balance.total');
    finite(b.free, 'balance.free');
  }
  for (const p of e.positions) {
    nonneg(p.qty, 'position.qty');
    nonneg(p.entryPrice, 'position.entryPrice');
    if (p.side !== null) pos(p.entryPrice, 'open position entryPrice');
  }
}

/** Runs a REST parser: it returns, or fails the call with an ExchangeError; nothing else may escape. */
function rest<T>(fn: () => T, check: (v: T) => void): void {
  let out: T;
  try {
    out = fn();
  } catch (err) {
    assert.ok(err instanceof ExchangeError, `a REST parser threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
    return;
  }
  check(out);
}

// ------------------------------------------------------------------ inputs

/** Values that have broken parsers: huge, negative, zero, not numbers, exponents, wrong types. */
const hostile = fc.constantFrom<unknown>(
  '1' + '0'.repeat(400), '-' + '9'.repeat(400), '-5', '-0', '0', '0.0', '0.00000000', '-0.000001', 'NaN', 'Infinity', '-Infinity', '1e400', '1e-400', '1e5', '',
  ' 1', '1 ', '0x10', '1,5', '١٢', '+5', '.5', '5.', '--5', '1e308', 5e-324, 1e308, -1e308, 0, -0, -5, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 1,
  null, true, false, [], {}, [1, 2], { a: 1 }, 'BUY', 'SELL', 'FILLED', 'NEW_ADL', 'NEW_INSURANCE', 'autoclose-1', 'adl_autoclose', '\u0000', 'a'.repeat(5000),
);

/** Any number, as Binance writes one (a decimal string) or as JSON: ordinary, tiny, huge, negative. */
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => String(x)),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => x.toFixed(8)),
  fc.bigInt({ min: -(10n ** 420n), max: 10n ** 420n }).map((x) => x.toString()),
  fc.double({ noNaN: true }),
  fc.integer(),
);

type Path = Array<string | number>;
/** The paths of a template's leaves (values that are not objects or arrays), and of its containers. */
function paths(v: unknown, at: Path = []): Path[] {
  if (v && typeof v === 'object') return [at, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...at, Array.isArray(v) ? Number(k) : k]))];
  return [at];
}

function setAt(v: unknown, path: Path, x: unknown, drop: boolean): unknown {
  if (!path.length) return x;
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>;
  const [k, ...rest] = path;
  if (!rest.length && drop) delete copy[k!];
  else copy[k!] = setAt(copy[k!], rest, x, drop);
  return copy;
}

/** A template with a few of its fields (at any depth) replaced by a hostile value, any number, anything, or dropped. */
function around(template: unknown): fc.Arbitrary<unknown> {
  const ps = paths(template);
  const edit = fc.record({
    at: fc.nat({ max: ps.length - 1 }),
    value: fc.oneof({ weight: 4, arbitrary: hostile }, { weight: 4, arbitrary: number }, { weight: 1, arbitrary: fc.anything() }),
    drop: fc.boolean(),
  });
  return fc.array(edit, { maxLength: 3 }).map((edits) => edits.reduce<unknown>((acc, e) => setAt(acc, ps[e.at]!, e.value, e.drop && e.at > 0), template));
}

const input = (template: unknown) => fc.oneof({ weight: 8, arbitrary: around(template) }, { weight: 1, arbitrary: fc.anything() }, { weight: 1, arbitrary: fc.json().map((s) => JSON.parse(s) as unknown) });
const frame = (template: unknown) => fc.oneof({ weight: 8, arbitrary: input(template).map((x) => JSON.stringify(x) ?? 'undefined') }, { weight: 1, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.json() });

// Binance's payload shapes (as in ../shared/data/binance-usdm and the docs).
const T = 1_700_000_000_000;
const MARKET = [
  { stream: 'btcusdt@aggTrade', data: { e: 'aggTrade', E: T, s: 'BTCUSDT', a: 5933014, p: '0.001', q: '100', f: 100, l: 105, T, m: true } },
  { e: 'kline', E: T, s: 'BTCUSDT', k: { t: T, T: T + 59_999, s: 'BTCUSDT', i: '1m', o: '0.0010', c: '0.0020', h: '0.0025', l: '0.0010', v: '1000', V: '500', x: true } },
  { e: 'kline', E: T, s: 'BTCUSDT', k: { t: T, T: T + 59_999, s: 'BTCUSDT', i: '1m', o: '0.0010', c: '0.0020', h: '0.0025', l: '0.0010', v: '1000', V: '500', x: false } },
  { e: 'bookTicker', u: 400900217, E: T, T, s: 'BNBUSDT', b: '25.35190000', B: '31.21000000', a: '25.36520000', A: '40.66000000' },
  { e: 'depthUpdate', E: T, T, s: 'BTCUSDT', U: 1, u: 2, pu: 0, b: [['7403.89', '0.002']], a: [['7405.96', '3.340']] },
  { e: 'markPriceUpdate', E: T, s: 'BTCUSDT', p: '11794.15000000', i: '11784.62659091', P: '11784.25641265', r: '0.00038167', T: T + 3_600_000 },
  { e: 'forceOrder', E: T, o: { s: 'BTCUSDT', S: 'SELL', o: 'LIMIT', f: 'IOC', q: '0.014', p: '9910', ap: '9910', X: 'FILLED', l: '0.014', z: '0.014', T } },
];
const USER = [
  {
    e: 'ORDER_TRADE_UPDATE', E: T, T,
    o: { s: 'BTCUSDT', c: 'TEST', S: 'BUY', o: 'LIMIT', f: 'GTC', q: '0.001', p: '7100.50', ap: '7100.50', sp: '0', x: 'TRADE', X: 'PARTIALLY_FILLED', i: 8886774, l: '0.001', z: '0.001', L: '7100.50', N: 'USDT', n: '0.01', T, t: 12345678, m: true, R: false, ps: 'BOTH', cp: false, rp: '12.34' },
  },
  {
    e: 'ORDER_TRADE_UPDATE', E: T, T,
    o: { s: 'BTCUSDT', c: 'adl_autoclose', S: 'SELL', o: 'MARKET', f: 'IOC', q: '0.5', p: '0', ap: '0', sp: '0', x: 'CALCULATED', X: 'NEW_ADL', i: 9, l: '0.5', z: '0.5', L: '-5', N: 'USDT', n: '0', T, t: 7, m: false, R: true, ps: 'BOTH', cp: false, rp: '0' },
  },
  { e: 'ALGO_UPDATE', E: T, T, o: { caid: 'Q5xaq5EGKgXXa0fD7fs0Ip', aid: 2148719, at: 'CONDITIONAL', o: 'TAKE_PROFIT', s: 'BNBUSDT', S: 'SELL', ps: 'BOTH', f: 'GTC', q: '0.01', X: 'NEW', ai: '', ap: '0.00000', aq: '0.00000', act: '0', tp: '750', p: '750', cp: false, R: false } },
  {
    e: 'ACCOUNT_UPDATE', E: T, T,
    a: { m: 'ORDER', B: [{ a: 'USDT', wb: '122624.12345678', cw: '100.12345678', bc: '50.12345678' }], P: [{ s: 'BTCUSDT', pa: '20', ep: '6563.6', bep: '6563.559', cr: '0', up: '2850.212', mt: 'isolated', iw: '13200.70726908', ps: 'BOTH' }] },
  },
  { e: 'listenKeyExpired', E: T, listenKey: 'x' },
];

const REST = {
  order: { orderId: 12345678, symbol: 'BTCUSDT', status: 'NEW', clientOrderId: 'testOrder123', price: '50000.00', avgPrice: '0.00', origQty: '0.001', executedQty: '0.000', type: 'LIMIT', reduceOnly: false, closePosition: false, side: 'BUY', stopPrice: '0.00', time: T, updateTime: T },
  algo: { algoId: 123456789, clientAlgoId: 'test-algo-order-2', algoType: 'CONDITIONAL', orderType: 'STOP_MARKET', side: 'BUY', quantity: '0.001', algoStatus: 'FINISHED', actualPrice: '50000.00', actualQty: '0.001', triggerPrice: '45000.00', closePosition: false, reduceOnly: false, createTime: T, updateTime: T },
  trade: { symbol: 'BTCUSDT', id: 12345678, orderId: 8886774, price: '7100.50', qty: '0.001', realizedPnl: '12.34', side: 'BUY', time: T, maker: true, commission: '0.01', commissionAsset: 'USDT' },
  kline: [T, '0.01634790', '0.80000000', '0.01575800', '0.01577100', '148976.11427815', T + 59_999, '2434.19055334', 308, '1756.87402397', '28.46694368', '0'],
  balance: [{ accountAlias: 'SgsR', asset: 'USDT', balance: '122.12345678', crossWalletBalance: '122.12345678', crossUnPnl: '0.00000000', availableBalance: '122.12345678', maxWithdrawAmount: '122.12345678', marginAvailable: true, updateTime: T }],
  positionRisk: [{ symbol: 'BTCUSDT', positionAmt: '0.001', entryPrice: '50000.0', markPrice: '51000.0', unRealizedProfit: '1.00000000', liquidationPrice: '45000.0', leverage: '20', marginType: 'cross', positionSide: 'BOTH', updateTime: T }],
  premium: { symbol: 'BTCUSDT', markPrice: '11793.63104562', indexPrice: '11781.80495970', lastFundingRate: '0.00038246', nextFundingTime: T, interestRate: '0.00010000', time: T },
  income: [{ symbol: 'BTCUSDT', incomeType: 'FUNDING_FEE', income: '-0.37500000', asset: 'USDT', info: 'FUNDING_FEE', time: T, tranId: 9689322392, tradeId: '' }],
  brackets: [{ symbol: 'SOLUSDT', notionalCoef: 1, brackets: [{ bracket: 1, initialLeverage: 75, notionalCap: 50000, notionalFloor: 0, maintMarginRatio: 0.01, cum: 0 }, { bracket: 2, initialLeverage: 50, notionalCap: 250000, notionalFloor: 50000, maintMarginRatio: 0.02, cum: 500 }] }],
  dual: { dualSidePosition: false },
  market: { id: 'BTCUSDT', symbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', info: { filters: [{ filterType: 'PRICE_FILTER', tickSize: '0.10' }, { filterType: 'LOT_SIZE', stepSize: '0.001', minQty: '0.001' }, { filterType: 'MIN_NOTIONAL', notional: '100' }] } },
  oiHist: [{ symbol: 'BTCUSDT', sumOpenInterest: '20403.63700000', sumOpenInterestValue: '150570784.07809979', timestamp: T }],
  ratio: [{ symbol: 'BTCUSDT', longShortRatio: '1.8105', longAccount: '0.6442', shortAccount: '0.3558', timestamp: T }],
  taker: [{ buySellRatio: '1.5586', buyVol: '387.3300', sellVol: '248.5030', timestamp: T }],
  openInterest: { openInterest: '10659.509', symbol: 'BTCUSDT', time: T },
  funding: [{ symbol: 'BTCUSDT', fundingRate: '-0.03750000', fundingTime: T, markPrice: '34287.54619963' }],
};

// ------------------------------------------------------------------ properties

test('market-stream frames: never a throw, never a non-finite or non-positive price or quantity', () => {
  fc.assert(fc.property(fc.oneof(...MARKET.map(frame)), (text) => {
    const r = parseMarketFrame(text);
    if (r.ok) checkMarket(r.event);
  }), { numRuns: RUNS * 3 });
});

test('user-data frames: never a throw; a fill has a price and quantity > 0; orders, balances and positions finite', () => {
  fc.assert(fc.property(fc.oneof(...USER.map(frame)), (text) => {
    const r = parseUserFrame(text);
    if (r.ok) checkUser(r.event);
  }), { numRuns: RUNS * 3 });
});

test('REST answers (orders, trades, klines, balances, positions, mark, income, brackets, mode, markets): a value that is sane, or a failed call', () => {
  fc.assert(fc.property(input(REST.order), (raw) => rest(() => parse.regularOrder(raw, 'BTC/USDT:USDT'), checkOrder)), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.algo), (raw) => rest(() => parse.algoOrder(raw, 'BTC/USDT:USDT'), checkOrder)), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.trade), (raw) => rest(() => parse.userTrade(raw, 'BTC/USDT:USDT', 'x'), checkFill)), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.kline), fc.integer({ min: 0, max: 2 * T }), (raw, askedAt) => rest(() => parse.kline(raw, 'BTC/USDT:USDT', '1m', askedAt), (c) => {
    assert.ok(Number.isSafeInteger(c.openTime));
    checkCandle(c, 'kline');
  })), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.balance), (raw) => rest(() => parse.balances(raw), (bs) => bs.forEach((b) => [b.total, b.free, b.unrealizedPnl].forEach((x) => finite(x, 'balance'))))), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.positionRisk), (raw) => rest(() => parse.positionRisk(raw), (ps) => ps.forEach((p) => {
    nonneg(p.qty, 'position.qty');
    if (p.side !== null) pos(p.entryPrice, 'open position entryPrice');
    nonneg(p.markPrice, 'position.markPrice');
    finite(p.unrealizedPnl, 'position.unrealizedPnl');
    optPos(p.liquidationPrice, 'position.liquidationPrice');
  }))), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.premium), (raw) => rest(() => parse.premiumIndex(raw, 'BTC/USDT:USDT'), (m) => {
    pos(m.markPrice, 'markPrice');
    if (m.indexPrice !== undefined) pos(m.indexPrice, 'indexPrice');
    if (m.fundingRate !== undefined) finite(m.fundingRate, 'fundingRate');
  })), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.income), (raw) => rest(() => parse.income(raw, 'BTC/USDT:USDT'), (xs) => xs.forEach((x) => finite(x.amount, 'income')))), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.brackets), (raw) => rest(() => parse.leverageBrackets(raw), (m) => {
    for (const bs of m.values()) for (const b of bs) {
      pos(b.maxLeverage, 'bracket.maxLeverage');
      pos(b.notionalCap, 'bracket.notionalCap');
      nonneg(b.notionalFloor, 'bracket.notionalFloor');
    }
  })), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.dual), (raw) => rest(() => parse.positionMode(raw), (m) => assert.ok(m === 'one_way' || m === 'hedge'))), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.market), (raw) => rest(() => parse.marketFilters(raw), (f) => {
    pos(f.tickSize, 'tickSize');
    pos(f.qtyStep, 'qtyStep');
    nonneg(f.minQty, 'minQty');
    nonneg(f.minNotional, 'minNotional');
  })), { numRuns: RUNS });
});

test('REST statistics (open interest, ratios, taker volume, funding): rows that are sane, the rest dropped and counted', () => {
  fc.assert(fc.property(input(REST.oiHist), input(REST.ratio), input(REST.ratio), input(REST.ratio), input(REST.taker), (oi, a, b, g, t) => {
    const r = mergeMetrics('BTC/USDT:USDT', { openInterest: oi, topAccount: a, topPosition: b, global: g, taker: t });
    assert.ok(Number.isInteger(r.dropped) && r.dropped >= 0);
    for (const row of r.rows) {
      for (const k of ['openInterest', 'openInterestValue', 'topTraderAccountRatio', 'topTraderPositionRatio', 'longShortRatio', 'takerBuySellRatio'] as const) optPos(row[k], k);
    }
  }), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.openInterest), (raw) => {
    const r = parseOpenInterest('BTC/USDT:USDT', raw);
    if (r) pos(r.openInterest, 'openInterest');
  }), { numRuns: RUNS });
  fc.assert(fc.property(input(REST.funding), (raw) => {
    const r = parseFunding('BTC/USDT:USDT', raw);
    for (const row of r.rows) {
      finite(row.rate, 'funding rate');
      optPos(row.markPrice, 'funding markPrice');
    }
  }), { numRuns: RUNS });
});

test('the cases of the report: a 400-digit price, a zero price, a fill at −5 or 0, a closed candle with high = ∞ are refused', () => {
  const huge = '1' + '0'.repeat(400);
  const k = (h: string, x = true) => JSON.stringify({ e: 'kline', E: T, s: 'X', k: { t: T, T: T + 59_999, s: 'X', i: '1m', o: '2', c: '2', h, l: '1', v: '1', x } });
  for (const f of [
    JSON.stringify({ e: 'aggTrade', E: T, s: 'X', a: 1, p: huge, q: '1', T, m: true }), JSON.stringify({ e: 'aggTrade', E: T, s: 'X', a: 1, p: '0', q: '1', T, m: true }),
    k(huge), k(huge, false), JSON.stringify({ e: 'markPriceUpdate', E: T, s: 'X', p: huge }), JSON.stringify({ e: 'markPriceUpdate', E: T, s: 'X', p: '0' }),
    JSON.stringify({ e: 'bookTicker', u: 1, s: 'X', b: '0', B: '1', a: '1', A: '1' }),
  ]) assert.ok(!parseMarketFrame(f).ok, f.slice(0, 80));
  const fill = (L: string) => JSON.stringify({ ...USER[0], o: { ...USER[0]!.o, L } });
  for (const L of ['-5', '0', huge]) {
    const r = parseUserFrame(fill(L));
    assert.ok(!r.ok && !r.ignored, `fill price ${L.slice(0, 10)} refused and reported malformed`);
  }
  assert.ok(parseUserFrame(fill('7100.5')).ok);
  assert.throws(() => parse.kline([T, '2', huge, '1', '2', '1', T + 59_999], 'X', '1m', 2 * T), (e: unknown) => e instanceof ExchangeError);
  assert.throws(() => parse.userTrade({ ...REST.trade, price: '-5' }, 'X', null), (e: unknown) => e instanceof ExchangeError);
});

test('NEW_ADL / NEW_INSURANCE are new orders of the exchange that close a position; their fills carry the kind', () => {
  const o = (c: string, X: string, x = 'NEW', l = '0', L = '0') => parseUserFrame(JSON.stringify({ ...USER[0], o: { ...USER[0]!.o, c, X, x, l, L } }));
  const adl = o('adl_autoclose', 'NEW_ADL');
  assert.ok(adl.ok && adl.event.kind === 'order' && adl.event.order.status === 'new' && adl.event.order.forced === 'adl');
  const ins = o('autoclose-1', 'NEW_INSURANCE');
  assert.ok(ins.ok && ins.event.kind === 'order' && ins.event.order.forced === 'insurance');
  const liq = o('autoclose-2', 'FILLED', 'CALCULATED', '0.5', '100');
  assert.ok(liq.ok && liq.event.kind === 'order' && liq.event.fill?.forced === 'liquidation');
  const st = o('settlement_autoclose-3', 'FILLED', 'TRADE', '0.5', '100');
  assert.ok(st.ok && st.event.kind === 'order' && st.event.fill?.forced === 'settlement');
  assert.is(parse.statusOf('NEW_ADL'), 'new');
  assert.is(parse.statusOf('NEW_INSURANCE'), 'new');
});

test.run();
