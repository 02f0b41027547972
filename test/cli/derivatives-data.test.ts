// `bosun data import FILE --kind metrics|funding` on Binance's archive formats (a good file, a bad row, a second
// import, the .zip they are published in) and `bosun data download --derivatives` from the loopback venue through ccxt
// (paginated, resumable), as an operator runs them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode } from '../../src/errors.js';
import { formatFundingCsv, formatMetricsCsv } from '../../src/market/derivatives-archive.js';
import { synthDerivativesHistory } from '../../src/market/derivatives-synth.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { cli, cliAsync } from '../helpers/daemon.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { BTC, synthCandles } from '../helpers/market-data.js';
import { KEYS, startTestVenue } from '../helpers/venue-server.js';

const dir = tempDir('derivdata');
let db: TestDb;
test.before(async () => {
  db = await createTestDb('derivdata');
});
test.after(async () => {
  await db.drop();
});
const cfg = () => writeConfig(dir, { db: { url: db.url } });
const history = synthDerivativesHistory({ seed: 3, oiDays: 0.3, refVolume: 25, liqMoveSigma: 3, liqVolumeShare: 0.05, liqBackground: 0.05, fundingIntervalMs: 8 * 3_600_000, interestRate: 0.0001 }, BTC, synthCandles(2 * 1440, Date.UTC(2023, 2, 1)));
const dump = async (table: string, order: string) => JSON.stringify(await db.pool.query(`SELECT * FROM ${table} ORDER BY ${order}`));

test('metrics: a good archive file is imported whole; a second import changes nothing', async () => {
  const file = join(dir, 'BTCUSDT-metrics-2023-03-01.csv');
  writeFileSync(file, formatMetricsCsv(history.metrics));
  const r = cli(['data', 'import', file, '--kind', 'metrics', '--config', cfg()]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `BTC/USDT:USDT metrics: ${history.metrics.length} rows imported (2023-03-01T00:05:00.000Z → 2023-03-03T00:00:00.000Z)`);
  const rows = await db.pool.query<Array<{ ts: number; open_interest: string; open_interest_value: string; long_short_ratio: number; top_account_ratio: number; top_position_ratio: number; taker_buy_sell_ratio: number; source: string }>>('SELECT * FROM derivatives_metrics ORDER BY ts');
  assert.is(rows.length, history.metrics.length);
  const m = history.metrics[100]!;
  const got = rows[100]!;
  assert.equal([Number(got.ts), Number(got.open_interest), Number(got.open_interest_value), got.top_account_ratio, got.top_position_ratio, got.long_short_ratio, got.taker_buy_sell_ratio, got.source],
    [m.ts, m.openInterest, m.openInterestValue, m.topTraderAccountRatio, m.topTraderPositionRatio, m.longShortRatio, m.takerBuySellRatio, 'import']);
  const before = await dump('derivatives_metrics', 'symbol, ts');
  const again = cli(['data', 'import', file, '--kind', 'metrics', '--config', cfg()]);
  assert.is(again.code, 0, again.stderr);
  assert.is(await dump('derivatives_metrics', 'symbol, ts'), before, 'the second import changed nothing');
});

test('metrics: a bad row is reported with its line number and nothing is imported (exit 65)', async () => {
  const lines = formatMetricsCsv(history.metrics.slice(0, 50).map((m) => ({ ...m, ts: m.ts + 30 * 86_400_000 }))).trimEnd().split('\n');
  lines[37] = lines[37]!.replace(/,([0-9.]+),([0-9.]+),/, ',-12.5,$2,');
  const file = join(dir, 'BTCUSDT-metrics-2023-03-31.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const before = await dump('derivatives_metrics', 'symbol, ts');
  const r = cli(['data', 'import', file, '--config', cfg()]);
  assert.is(r.code, ExitCode.dataError, r.stderr);
  assert.match(r.stderr, 'line 38: sum_open_interest: must be a positive number');
  assert.match(r.stderr, 'nothing was imported');
  assert.is(await dump('derivatives_metrics', 'symbol, ts'), before);
});

test('funding: a good file (as a .zip, the way Binance publishes it), a bad row, a second import', async () => {
  const zip = join(dir, 'BTCUSDT-fundingRate-2023-03.zip');
  writeFileSync(zip, zipSync({ 'BTCUSDT-fundingRate-2023-03.csv': strToU8(formatFundingCsv(history.funding)) }));
  const r = cli(['data', 'import', zip, '--kind', 'funding', '--config', cfg()]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `BTC/USDT:USDT funding: ${history.funding.length} rows imported`);
  const rows = await db.pool.query<Array<{ funding_time: number; rate: string; interval_hours: number }>>('SELECT * FROM funding_rates ORDER BY funding_time');
  assert.equal(rows.map((x) => [Number(x.funding_time), Number(x.rate), x.interval_hours]), history.funding.map((f) => [f.ts, f.rate, 8]));
  const before = await dump('funding_rates', 'symbol, funding_time');
  assert.is(cli(['data', 'import', zip, '--config', cfg()]).code, 0, 'kind and symbol from the file name');
  assert.is(await dump('funding_rates', 'symbol, funding_time'), before, 'the second import changed nothing');
  const bad = join(dir, 'BTCUSDT-fundingRate-2023-04.csv');
  writeFileSync(bad, 'calc_time,funding_interval_hours,last_funding_rate\n1680307200000,8,0.0001\n1680336000000,8,0.00o1\n1680364800000,8,0.0001\n');
  const rb = cli(['data', 'import', bad, '--config', cfg()]);
  assert.is(rb.code, ExitCode.dataError);
  assert.match(rb.stderr, 'line 3: last_funding_rate: not a number');
  assert.is(await dump('funding_rates', 'symbol, funding_time'), before, 'nothing imported');
  const nokind = cli(['data', 'import', bad, '--kind', 'trades', '--config', cfg()]);
  assert.is(nokind.code, ExitCode.dataError);
  assert.match(nokind.stderr, '--kind trades: use candles, metrics or funding');
});

test('download --derivatives: paginated through ccxt from the loopback venue; an interrupted download resumes without gap or duplicate', async () => {
  const v = await startTestVenue('derivdl', {}, { historyMinutes: 5000 });
  try {
    await db.pool.query('DELETE FROM derivatives_metrics');
    await db.pool.query('DELETE FROM funding_rates');
    const env = { BOSUN_VENUE_URL: v.url, BOSUN_API_KEY: KEYS.apiKey, BOSUN_API_SECRET: KEYS.apiSecret };
    const now = v.server.venue.now();
    const from = Math.floor(now / 300_000) * 300_000 - 900 * 300_000;
    const mid = from + 600 * 300_000;
    const first = await cliAsync(['data', 'download', '--derivatives', '-s', BTC, '--from', String(from), '--to', String(mid), '--config', cfg()], env, 60_000);
    assert.is(first.code, 0, first.stderr);
    assert.match(first.stdout, 'BTC/USDT:USDT derivatives: 600 metrics rows');
    assert.match(first.stdout, '2 pages', `two pages of 500 periods: ${first.stdout}`);
    // As if killed half-way: the last 100 periods never made it.
    await db.pool.query('DELETE FROM derivatives_metrics WHERE ts >= ?', [mid - 100 * 300_000]);
    const second = await cliAsync(['data', 'download', '--derivatives', '-s', BTC, '--from', String(from), '--to', String(from + 900 * 300_000), '--config', cfg()], env, 60_000);
    assert.is(second.code, 0, second.stderr);
    assert.match(second.stdout, `started at ${new Date(mid - 100 * 300_000).toISOString()}`);
    const rows = await db.pool.query<Array<{ ts: number; open_interest: string | null; taker_buy_sell_ratio: number | null }>>('SELECT ts, open_interest, taker_buy_sell_ratio FROM derivatives_metrics ORDER BY ts');
    assert.is(rows.length, 900);
    assert.ok(rows.every((r, i) => Number(r.ts) === from + i * 300_000 && r.open_interest !== null && r.taker_buy_sell_ratio !== null), 'every period once, complete');
    const funding = await db.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM funding_rates');
    assert.ok(Number(funding[0]!.n) >= 9, 'the funding history of those three days');
  } finally {
    await v.stop();
  }
});

test.run();
