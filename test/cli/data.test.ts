import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode } from '../../src/errors.js';
import { fromRoot } from '../../src/paths.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cli, cliAsync } from '../helpers/daemon.js';
import { KEYS, startTestVenue, type TestVenue } from '../helpers/venue-server.js';

const SHARED = fromRoot('..', 'shared', 'data', 'btcusdt-1m-2023-03-01_21.csv');
const dir = tempDir('data');
let db: TestDb;
test.before(async () => {
  db = await createTestDb('datacli');
});
test.after(async () => {
  await db.drop();
});
const cfg = (extra: Record<string, unknown> = {}) => writeConfig(dir, { db: { url: db.url }, ...extra });
const rows = async (symbol: string, tf = '1m') =>
  db.pool.query<Array<{ open_time: number; open: string; close: string; volume: string; taker_buy_volume: string | null }>>('SELECT open_time, open, close, volume, taker_buy_volume FROM candles WHERE symbol = ? AND tf = ? ORDER BY open_time', [symbol, tf]);

test('import: a Binance kline dump (no header, ms or µs times, taker-buy volume), symbol and timeframe from the file name', async () => {
  const t0 = Date.UTC(2024, 0, 1);
  const line = (i: number, scale = 1) => [(t0 + i * 300_000) * scale, '100.5', '101', '100', '100.7', '12.5', t0 + i * 300_000 + 299_999, '1257', 42, '6.25', '628', '0'].join(',');
  const f1 = join(dir, 'ETHUSDT-5m-2024-01.csv');
  writeFileSync(f1, [0, 1, 2].map((i) => line(i)).join('\n') + '\n');
  const r = cli(['data', 'import', f1, '--config', cfg()]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'ETH/USDT:USDT 5m: 3 candles imported');
  const got = await rows('ETH/USDT:USDT', '5m');
  assert.equal(got.map((x) => [x.open_time, Number(x.close), Number(x.taker_buy_volume)]), [0, 1, 2].map((i) => [t0 + i * 300_000, 100.7, 6.25]));
  const f2 = join(dir, 'SOLUSDT-1m-2025-02.csv');
  writeFileSync(f2, 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n' + [0, 1].map((i) => line(i, 1000).replace(String((t0 + i * 300_000) * 1000), String((t0 + i * 60_000) * 1000))).join('\n'));
  const r2 = cli(['data', 'import', f2, '--config', cfg()]);
  assert.is(r2.code, 0, r2.stderr);
  assert.equal((await rows('SOL/USDT:USDT')).map((x) => x.open_time), [t0, t0 + 60_000], 'microsecond times read as ms');
});

test('import: a malformed row is reported with its line number and nothing is imported', async () => {
  const f = join(dir, 'btcusdt-1m-bad.csv');
  writeFileSync(f, 'open_time,open,high,low,close,volume\n2023-03-01 00:00:00+00:00,1,2,0.5,1.5,3\n2023-03-01 00:01:00+00:00,1,2,0.5,1.5,3\n2023-03-01 00:02:00+00:00,1,abc,0.5,1.5,3\n2023-03-01 00:03:00+00:00,1,0.9,0.5,1.5,3\n');
  const r = cli(['data', 'import', f, '--config', cfg()]);
  assert.is(r.code, ExitCode.dataError);
  assert.match(r.stderr, 'line 4: high: not a number');
  assert.match(r.stderr, 'line 5: row: high 0.9 is below open/close/low');
  assert.match(r.stderr, 'nothing was imported');
  assert.equal(await rows('BTC/USDT:USDT'), []);
});

if (!existsSync(SHARED)) {
  console.log('skip: ../shared/data is absent; the shared-format import test is skipped');
  test.skip('import of ../shared/data');
} else {
  test('import: the 30,240 rows of ../shared/data (ISO times), idempotent on re-import', async () => {
    for (let k = 0; k < 2; k++) {
      const r = cli(['data', 'import', SHARED, '--config', cfg()], {}, 60_000);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, 'BTC/USDT:USDT 1m: 30240 candles imported (2023-03-01T00:00:00.000Z → 2023-03-21T23:59:00.000Z)');
    }
    const got = await rows('BTC/USDT:USDT');
    assert.is(got.length, 30_240);
    assert.equal([got[0]!.open, got[0]!.close, got[0]!.volume], ['23140.480000000000', '23142.310000000000', '2.131777000000']);
    await db.pool.query("DELETE FROM candles WHERE symbol = 'BTC/USDT:USDT'");
  });
}

let v: TestVenue;
test('download: paginated through ccxt from the loopback venue; an interrupted download resumes without gap or duplicate', async () => {
  v = await startTestVenue('download', {}, { historyMinutes: 3200 });
  try {
    const env = { BOSUN_VENUE_URL: v.url, BOSUN_API_KEY: KEYS.apiKey, BOSUN_API_SECRET: KEYS.apiSecret };
    const now = v.server.venue.now();
    const from = Math.floor(now / 60_000) * 60_000 - 3100 * 60_000;
    const mid = from + 2000 * 60_000;
    const first = await cliAsync(['data', 'download', '--symbol', 'BTC/USDT:USDT', '--from', String(from), '--to', String(mid), '--config', cfg()], env, 60_000);
    assert.is(first.code, 0, first.stderr);
    assert.match(first.stdout, '2000 candles downloaded');
    assert.match(first.stdout, '2 requests', 'two pages of at most 1500');
    // As if killed half-way: the last 300 rows never made it.
    await db.pool.query("DELETE FROM candles WHERE symbol = 'BTC/USDT:USDT' AND open_time >= ?", [mid - 300 * 60_000]);
    const second = await cliAsync(['data', 'download', '--symbol', 'BTC/USDT:USDT', '--from', String(from), '--config', cfg()], env, 60_000);
    assert.is(second.code, 0, second.stderr);
    assert.match(second.stdout, `started at ${new Date(mid - 300 * 60_000).toISOString()}`);
    const got = await rows('BTC/USDT:USDT');
    assert.ok(got.length >= 3099, `${got.length} candles`);
    assert.ok(got.every((c, i) => i === 0 || c.open_time - got[i - 1]!.open_time === 60_000), 'no gap, no duplicate');
    const venue = await v.server.venue.klines('BTC/USDT:USDT', from, from, 1);
    assert.is(Number(got[0]!.close), venue[0]!.close, 'the venue’s candles');
  } finally {
    await v.stop();
  }
});

test.run();
