// The derivatives data itself: Binance's archive formats (parse, reject, write), the seeded generator (deterministic,
// plausible, no look-ahead, liquidation bursts on large moves) and the validation of REST payloads (bad values dropped).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { strToU8, zipSync } from 'fflate';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeMetrics, parseFunding } from '../../src/exchange/binance/derivatives.js';
import { CsvError } from '../../src/market/csv.js';
import { formatFundingCsv, formatMetricsCsv, guessArchive, parseFundingCsv, parseMetricsCsv, readArchiveText } from '../../src/market/derivatives-archive.js';
import { synthDerivativesHistory, synthFundingAt, synthLiquidations, synthMetricsAt, type DerivSynthParams } from '../../src/market/derivatives-synth.js';
import type { Candle } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/config.js';
import { BTC, synthCandles } from '../helpers/market-data.js';

const P: DerivSynthParams = { seed: 5, oiDays: 0.3, refVolume: 25, liqMoveSigma: 3, liqVolumeShare: 0.05, liqBackground: 0.05, fundingIntervalMs: 8 * 3_600_000, interestRate: 0.0001 };
const candles = synthCandles(4 * 1440);
const HEADER = 'create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio';

const problems = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.instance(err, CsvError);
    return (err as Error).message;
  }
  assert.unreachable('expected the parse to fail');
  return '';
};

test('metrics archive: Binance\'s rows (UTC create_time, missing ratios allowed) parse; every bad row is named by its line; nothing is returned', () => {
  const good = `${HEADER}\n2023-03-01 00:05:00,BTCUSDT,98666.16300000,2236289208.19726700,0.766568632422291,1.1363333457,0.8332767017782309,0.9253075900\n2023-03-01 00:10:00,BTCUSDT,98700.1,2236999208.5,,,,\n`;
  const rows = parseMetricsCsv(good, { symbol: BTC, file: 'm.csv' });
  assert.equal(rows[0], { symbol: BTC, ts: Date.UTC(2023, 2, 1, 0, 5), openInterest: 98666.163, openInterestValue: 2236289208.197267, topTraderAccountRatio: 0.766568632422291, topTraderPositionRatio: 1.1363333457, longShortRatio: 0.8332767017782309, takerBuySellRatio: 0.92530759 });
  assert.equal([rows[1]!.longShortRatio, rows[1]!.takerBuySellRatio], [null, null]);
  const bad = [
    HEADER,
    '2023-03-01 00:05:00,BTCUSDT,98666.1,2236289208.1,0.7,1.1,0.8,0.9',
    '2023-03-01 00:07:00,BTCUSDT,98666.1,2236289208.1,0.7,1.1,0.8,0.9',
    '2023-03-01 00:10:00,BTCUSDT,-5,2236289208.1,0.7,1.1,0.8,0.9',
    '2023-03-01 00:15:00,BTCUSDT,98666.1,2236289208.1,0.7,NaN,0.8,0.9',
    '2023-03-01 00:20:00,ETHUSDT,98666.1,2236289208.1,0.7,1.1,0.8,0.9',
    '2023-03-01 00:20:00,BTCUSDT,98666.1,2236289208.1,0.7,1.1,0.8,0',
    '2023-03-01 00:05:00,BTCUSDT,98666.1,2236289208.1,0.7,1.1,0.8,0.9',
    'yesterday,BTCUSDT,98666.1,2236289208.1,0.7,1.1,0.8,0.9',
  ].join('\n');
  const msg = problems(() => parseMetricsCsv(bad, { symbol: BTC, file: 'bad.csv' }));
  assert.match(msg, 'line 3: create_time: 2023-03-01T00:07:00.000Z is not on the 5-minute grid');
  assert.match(msg, 'line 4: sum_open_interest: must be a positive number');
  assert.match(msg, 'line 5: sum_toptrader_long_short_ratio: must be a positive number or empty');
  assert.match(msg, 'line 6: symbol ETHUSDT is not BTCUSDT');
  assert.match(msg, 'line 7: sum_taker_long_short_vol_ratio: must be a positive number or empty');
  assert.match(msg, 'line 8: create_time 2023-03-01T00:05:00.000Z is not after the previous row');
  assert.match(msg, 'line 9: create_time: not a time');
  assert.not.match(msg, 'line 2:');
  assert.match(problems(() => parseMetricsCsv('create_time,symbol,sum_open_interest\n', { symbol: BTC, file: 'h.csv' })), 'line 1: the header must be');
});

test('funding archive: calc_time (ms, not always on the hour), interval, signed rate; bad rows by line', () => {
  const rows = parseFundingCsv('calc_time,funding_interval_hours,last_funding_rate\n1706745600000,8,0.00010000\n1706774400002,8,-0.00051200\n', { symbol: BTC, file: 'f.csv' });
  assert.equal(rows, [
    { symbol: BTC, ts: 1706745600000, rate: 0.0001, intervalHours: 8, markPrice: null },
    { symbol: BTC, ts: 1706774400002, rate: -0.000512, intervalHours: 8, markPrice: null },
  ]);
  const msg = problems(() => parseFundingCsv('calc_time,funding_interval_hours,last_funding_rate\n1706745600000,8,0.0001\n2024-02-01,8,0.0001\n1706774400000,0,0.0001\n1706803200000,8,0.5\n1706832000000,8,\n', { symbol: BTC, file: 'f.csv' }));
  for (const l of ['line 3: calc_time: expected epoch milliseconds', 'line 4: funding_interval_hours: must be 1 to 24 hours', 'line 5: last_funding_rate: is beyond ±10 %', 'line 6: last_funding_rate: empty']) assert.match(msg, l);
});

test('archive files: the writer\'s output parses back to the same rows; a .zip holding the CSV reads as the CSV; names give symbol and kind', () => {
  const h = synthDerivativesHistory(P, BTC, candles.slice(0, 1440));
  assert.equal(parseMetricsCsv(formatMetricsCsv(h.metrics), { symbol: BTC, file: 'x' }), h.metrics);
  assert.equal(parseFundingCsv(formatFundingCsv(h.funding), { symbol: BTC, file: 'x' }), h.funding.map((f) => ({ ...f, markPrice: null })));
  const dir = tempDir('archive');
  const zip = join(dir, 'BTCUSDT-metrics-2026-01-05.zip');
  writeFileSync(zip, zipSync({ 'BTCUSDT-metrics-2026-01-05.csv': strToU8(formatMetricsCsv(h.metrics)) }));
  assert.is(readArchiveText(zip), formatMetricsCsv(h.metrics));
  assert.equal(guessArchive(zip), { symbol: BTC, kind: 'metrics' });
  assert.equal(guessArchive('/x/ETHUSDT-fundingRate-2023-03.csv'), { symbol: 'ETH/USDT:USDT', kind: 'funding' });
});

test('generator: the same seed and candles give the same data; another seed other data; values plausible (ratios around 1, OI with price)', () => {
  const a = synthDerivativesHistory(P, BTC, candles);
  assert.equal(synthDerivativesHistory(P, BTC, candles), a);
  const b = synthDerivativesHistory({ ...P, seed: 6 }, BTC, candles);
  assert.not.equal(b.metrics.map((m) => m.longShortRatio), a.metrics.map((m) => m.longShortRatio));
  assert.is(a.metrics.length, 4 * 288);
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  for (const k of ['longShortRatio', 'topTraderAccountRatio', 'topTraderPositionRatio', 'takerBuySellRatio'] as const) {
    const xs = a.metrics.map((m) => m[k]!);
    // Taker volume is the candles' own (this synthetic market's taker share swings with each minute's move).
    assert.ok(xs.every((x) => (k === 'takerBuySellRatio' ? x > 0.05 && x < 20 : x > 0.3 && x < 3.5)), k);
    assert.ok(med(xs) > 0.8 && med(xs) < 1.3, `${k} median ${med(xs)}`);
  }
  // Open interest: level ≈ oiDays of volume; over 4 hours it moves with the price.
  const oi = a.metrics.map((m) => m.openInterest!);
  assert.ok(med(oi) > 0.15 * 1440 * P.refVolume && med(oi) < 0.6 * 1440 * P.refVolume, `OI median ${med(oi)}`);
  const price = a.metrics.map((m) => m.openInterestValue! / m.openInterest!);
  const d = (xs: number[], i: number) => Math.log(xs[i]! / xs[i - 48]!);
  let num = 0, sx = 0, sy = 0;
  for (let i = 48; i < oi.length; i++) {
    num += d(oi, i) * d(price, i);
    sx += d(oi, i) ** 2;
    sy += d(price, i) ** 2;
  }
  assert.ok(num / Math.sqrt(sx * sy) > 0.3, `OI/price 4h correlation ${num / Math.sqrt(sx * sy)}`);
  const hourly = oi.slice(12).map((x, i) => Math.abs(x / oi[i]! - 1));
  assert.ok(med(hourly) < 0.02, `median |1h OI change| ${med(hourly)}`);
  assert.ok(a.funding.every((f) => Math.abs(f.rate) <= 0.003 && f.ts % P.fundingIntervalMs === 0));
});

test('generator: a value stamped t reads only candles closed by t (later candles change nothing)', () => {
  const t = candles[2000]!.openTime;
  const cut = candles.slice(0, 2000);
  const wild = [...cut, ...candles.slice(2000).map((c) => ({ ...c, close: c.close * 3, high: c.high * 3, volume: c.volume * 50 }))];
  assert.equal(synthMetricsAt(P, BTC, wild, t), synthMetricsAt(P, BTC, cut, t));
  assert.equal(synthFundingAt(P, BTC, wild, t), synthFundingAt(P, BTC, cut, t));
});

test('generator: liquidations come in a burst on a large move (longs on a drop, shorts on a spike), seldom in a calm minute', () => {
  const before = candles.slice(1000, 1061);
  const last = before.at(-1)!;
  const calm = candles.slice(1061, 1161).map((c, i) => synthLiquidations(P, BTC, c, candles.slice(1000 + i, 1061 + i)).length);
  assert.ok(calm.filter((n) => n > 0).length <= 15, `calm minutes with liquidations: ${calm.filter((n) => n > 0).length} of 100`);
  const drop: Candle = { ...last, openTime: last.openTime + 60_000, open: last.close, high: last.close, low: last.close * 0.97, close: last.close * 0.975, volume: 400 };
  const down = synthLiquidations(P, BTC, drop, before);
  assert.ok(down.length >= 5, `${down.length} liquidations on a 3 % drop`);
  assert.ok(down.every((l) => l.side === 'sell' && l.price <= drop.open && l.price >= drop.low && l.ts > drop.openTime && l.ts < drop.openTime + 60_000));
  assert.ok(down.every((l, i) => i === 0 || l.ts > down[i - 1]!.ts), 'one per second at most, in time order');
  const total = down.reduce((a, l) => a + l.notional, 0);
  assert.ok(total > 0.05 * drop.volume * drop.close && total <= 0.5 * drop.volume * drop.close * 1.6, `burst notional ${total}`);
  const spike = synthLiquidations(P, BTC, { ...drop, high: last.close * 1.03, low: last.close, close: last.close * 1.025 }, before);
  assert.ok(spike.length >= 5 && spike.every((l) => l.side === 'buy'));
  assert.equal(synthLiquidations(P, BTC, drop, before), down, 'deterministic');
});

test('REST payloads: rows merge by period; a value that is not finite or not positive is dropped and counted, never a row of zeros', () => {
  const r = mergeMetrics(BTC, {
    openInterest: [{ symbol: 'BTCUSDT', sumOpenInterest: '100.5', sumOpenInterestValue: '2000000.1', timestamp: 300_000 }, { sumOpenInterest: 'NaN', sumOpenInterestValue: '1', timestamp: 600_000 }, { sumOpenInterest: '0', sumOpenInterestValue: '1', timestamp: 900_000 }],
    global: [{ longShortRatio: '1.25', timestamp: 300_000 }, { longShortRatio: '-1', timestamp: 600_000 }],
    topAccount: [{ longShortRatio: '0.9', timestamp: '300000' }],
    topPosition: 'not a list',
    taker: [{ buySellRatio: 'Infinity', timestamp: 300_000 }, { buySellRatio: '1.1', timestamp: 600_000 }],
  });
  assert.is(r.dropped, 5);
  assert.equal(r.rows, [
    { symbol: BTC, ts: 300_000, openInterest: 100.5, openInterestValue: 2000000.1, topTraderAccountRatio: 0.9, topTraderPositionRatio: null, longShortRatio: 1.25, takerBuySellRatio: null },
    { symbol: BTC, ts: 600_000, openInterest: null, openInterestValue: null, topTraderAccountRatio: null, topTraderPositionRatio: null, longShortRatio: null, takerBuySellRatio: 1.1 },
  ]);
  const f = parseFunding(BTC, [{ symbol: 'BTCUSDT', fundingRate: '0.0001', fundingTime: 28_800_000, markPrice: '100' }, { fundingRate: 'x', fundingTime: 1 }, { fundingRate: '0.0002', fundingTime: -5 }]);
  assert.equal(f, { rows: [{ symbol: BTC, ts: 28_800_000, rate: 0.0001, intervalHours: null, markPrice: 100 }], dropped: 2 });
});

test.run();
