// The simulated venue's derivatives data through the real clients: ccxt's unified calls (fetchOpenInterest,
// fetchOpenInterestHistory, fetchLongShortRatioHistory, fetchFundingRateHistory) and implicit /futures/data endpoints
// in Binance's payload shapes, the CcxtGateway merge, the forceOrder stream through the ws client; values consistent
// with the venue's own market (and its funding charge), never stamped after its now, the same after a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MarketStream } from '../../src/exchange/stream/market-stream.js';
import type { MarketEvent } from '../../src/exchange/stream/frames.js';
import { synthFundingAt, synthMetricsAt, type DerivSynthParams } from '../../src/market/derivatives-synth.js';
import type { Candle } from '../../src/protocol/index.js';
import { startTestVenue, type TestVenue } from '../helpers/venue-server.js';
import { waitFor } from '../helpers/wait.js';

const BTC = 'BTC/USDT:USDT';
const M5 = 300_000;
let v: TestVenue;

test.before(async () => {
  // A day and a half of history (open interest follows the last day's volume); a liquidation now and then in calm minutes.
  v = await startTestVenue('derivvenue', { venue: { derivatives: { source: 'auto', synthetic: { oiDays: 0.3, liqMoveSigma: 3, liqVolumeShare: 0.05, liqBackground: 0.3 } } } }, { historyMinutes: 2200 });
});
test.after(async () => {
  await v?.stop();
});

const params = (): DerivSynthParams => ({
  ...v.config.venue.derivatives.synthetic, seed: v.config.market.synthetic.seed, refVolume: v.config.market.synthetic.baseVolume,
  fundingIntervalMs: v.config.venue.fundingIntervalMs, interestRate: v.config.venue.interestRate,
});

async function venueCandles(from: number, to: number): Promise<Candle[]> {
  const gw = v.gateway();
  const out: Candle[] = [];
  for (let t = from; t < to;) {
    const page = (await gw.fetchOhlcv(BTC, '1m', t, 1500)).filter((c) => c.closed && c.openTime < to);
    if (!page.length) break;
    out.push(...page);
    t = page.at(-1)!.openTime + 60_000;
  }
  return out;
}

test('ccxt unified calls read open interest, its history, the long/short ratio and funding history in Binance\'s shapes', async () => {
  const ex = v.gateway().ex;
  const now = v.server.venue.now();
  const since = Math.floor(now / M5) * M5 - 20 * M5;
  const hist = await ex.fetchOpenInterestHistory(BTC, '5m', since, 10);
  assert.is(hist.length, 10);
  assert.equal(hist.map((h) => h.timestamp), Array.from({ length: 10 }, (_, i) => since + i * M5));
  for (const h of hist) {
    assert.ok(h.openInterestAmount! > 0 && h.openInterestValue! > 0 && h.symbol === BTC);
    const info = h.info as Record<string, unknown>;
    assert.equal(Object.keys(info).sort(), ['CMCCirculatingSupply', 'sumOpenInterest', 'sumOpenInterestValue', 'symbol', 'timestamp']);
    assert.match(String(info.sumOpenInterest), /^\d+\.\d{8}$/);
  }
  const lsr = await ex.fetchLongShortRatioHistory(BTC, '5m', since, 10);
  assert.is(lsr.length, 10);
  for (const r of lsr) {
    const info = r.info as Record<string, string>;
    assert.ok(r.longShortRatio! > 0.3 && r.longShortRatio! < 3.5);
    assert.ok(Math.abs(Number(info.longAccount) + Number(info.shortAccount) - 1) < 2e-4, 'account shares sum to 1');
  }
  const oi = await ex.fetchOpenInterest(BTC);
  assert.ok(oi.openInterestAmount! > 0 && Math.abs(oi.timestamp! - v.server.venue.now()) < 120_000);
  const funding = await ex.fetchFundingRateHistory(BTC, now - 3 * 86_400_000, 100);
  assert.ok(funding.length >= 3 && funding.every((f) => f.timestamp! % v.config.venue.fundingIntervalMs === 0 && Math.abs(f.fundingRate!) <= 0.003));
  // Implicit endpoints (no unified call): the top traders' ratios and the taker volume.
  const q = { symbol: 'BTCUSDT', period: '5m', startTime: since, limit: 3 };
  const taker = (await ex.fapiDataGetTakerlongshortRatio(q)) as Array<Record<string, string | number>>;
  assert.equal(Object.keys(taker[0]!).sort(), ['buySellRatio', 'buyVol', 'sellVol', 'timestamp']);
  for (const t of taker) assert.ok(Math.abs(Number(t.buyVol) / Number(t.sellVol) - Number(t.buySellRatio)) < 1e-3 * Number(t.buySellRatio) + 1e-4);
  assert.is(((await ex.fapiDataGetTopLongShortPositionRatio(q)) as unknown[]).length, 3);
  const hourly = (await ex.fapiDataGetTopLongShortAccountRatio({ symbol: 'BTCUSDT', period: '1h', limit: 3 })) as Array<{ timestamp: number }>;
  assert.equal(hourly.map((h) => h.timestamp % 3_600_000), [0, 0, 0], 'the latest three hourly periods');
  assert.equal(v.server.unknownEndpoints, []);
  // A period the venue does not know is Binance's error.
  const err = await ex.fapiDataGetOpenInterestHist({ ...q, period: '7m' }).catch((e: Error) => e);
  assert.match(String(err), '-1130');
});

test('the gateway merges the five endpoints into complete rows, computed from the venue\'s own candles and never stamped after its now', async () => {
  const gw = v.gateway();
  const now = v.server.venue.now();
  const since = Math.floor(now / M5) * M5 - 30 * M5;
  const r = await gw.fetchDerivativesMetrics(BTC, since, 500);
  assert.is(r.dropped, 0);
  assert.ok(r.rows.every((x) => x.ts <= v.server.venue.now()), 'nothing stamped after the venue\'s now');
  // (A period that ends while the five requests run may be in some answers only: the rows up to the start are whole.)
  const rows = r.rows.filter((x) => x.ts <= now);
  assert.is(rows.length, 31);
  assert.ok(rows.every((x) => x.openInterest && x.openInterestValue && x.longShortRatio && x.topTraderAccountRatio && x.topTraderPositionRatio && x.takerBuySellRatio));
  const candles = await venueCandles(since - 1500 * 60_000, r.rows.at(-1)!.ts);
  for (const x of r.rows.slice(0, 5)) {
    const want = synthMetricsAt(params(), BTC, candles, x.ts)!;
    assert.equal([x.openInterest, x.longShortRatio, x.topTraderPositionRatio, x.takerBuySellRatio], [want.openInterest, want.longShortRatio, want.topTraderPositionRatio, want.takerBuySellRatio]);
  }
  const f = await gw.fetchFundingHistory(BTC, now - 2 * 86_400_000, 100);
  const last = f.rows.at(-1)!;
  const fc = await venueCandles(last.ts - 600 * 60_000, last.ts);
  assert.is(last.rate, synthFundingAt(params(), BTC, fc, last.ts)!.rate, 'the history is the rate of the venue\'s own market');
  // The rate the venue shows and charges is the same model's: at a settlement time it is that settlement's.
  assert.is(v.server.venue.core.fundingRate(BTC, last.ts), last.rate);
  const mark = await gw.fetchMarkPrice(BTC);
  assert.ok(Math.abs(mark.fundingRate!) <= 0.003);
});

test('the forceOrder stream: liquidations arrive through the ws client as Binance frames; answers are the same after a venue restart', async () => {
  const events: MarketEvent[] = [];
  const s = new MarketStream({ wsBase: v.url.replace('http', 'ws'), symbols: ['BTCUSDT'], book: 'bookTicker', onOpen: () => undefined, onEvent: (e) => events.push(e), onClose: () => undefined });
  try {
    s.connect();
    await waitFor('a forced liquidation on the stream', () => events.some((e) => e.kind === 'liquidation'), 20_000, 20);
    const l = events.find((e): e is Extract<MarketEvent, { kind: 'liquidation' }> => e.kind === 'liquidation')!;
    assert.is(l.venueSymbol, 'BTCUSDT');
    assert.ok(l.liquidation.qty > 0 && l.liquidation.price > 0 && Math.abs(l.liquidation.notional - l.liquidation.avgPrice * l.liquidation.qty) < 1e-6);
    assert.is(s.counters.malformed, 0);
  } finally {
    s.drop();
  }
  const gw = v.gateway();
  const since = Math.floor(v.server.venue.now() / M5) * M5 - 40 * M5;
  const before = await gw.fetchDerivativesMetrics(BTC, since, 20);
  await v.server.restart();
  const after = await v.gateway().fetchDerivativesMetrics(BTC, since, 20);
  assert.equal(after.rows, before.rows);
});

test.run();
