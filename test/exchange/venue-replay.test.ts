import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importCandles } from '../../src/market/download.js';
import { cli } from '../helpers/daemon.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { createTestDb } from '../helpers/db.js';
import { startTestVenue } from '../helpers/venue-server.js';
import { waitFor } from '../helpers/wait.js';

const T0 = Date.UTC(2023, 2, 1);
const dir = tempDir('replay');
/** 400 minutes of a recognisable market: close = 20000 + minute index. */
const rows = Array.from({ length: 400 }, (_, i) => {
  const c = 20_000 + i;
  return `${new Date(T0 + i * 60_000).toISOString().replace('T', ' ').replace('.000Z', '+00:00')},${c - 0.5},${c + 3},${c - 3},${c},${(1 + i / 100).toFixed(3)}`;
});
const csv = join(dir, 'btcusdt-1m-replay.csv');
writeFileSync(csv, `open_time,open,high,low,close,volume\n${rows.join('\n')}\n`);

test('replay of a CSV: the venue clock starts after the history, serves the file as candles and plays it on', async () => {
  const v = await startTestVenue('replaycsv', { symbols: ['BTC/USDT:USDT'], clock: { speed: 1200 }, venue: { market: { source: 'replay_csv', files: { 'BTC/USDT:USDT': csv }, dbUrl: null } } }, { historyMinutes: 100 });
  try {
    assert.is(v.server.venue.clock.simStart, T0 + 100 * 60_000, 'the clock starts 100 minutes into the file');
    const gw = v.gateway();
    const hist = await gw.fetchOhlcv('BTC/USDT:USDT', '1m', T0, 100);
    assert.is(hist.length >= 100, true);
    assert.equal(hist.slice(0, 3).map((c) => [c.openTime, c.close, c.volume]), [[T0, 20_000, 1], [T0 + 60_000, 20_001, 1.01], [T0 + 120_000, 20_002, 1.02]]);
    await waitFor('the venue plays the file on', async () => v.server.venue.now() > T0 + 130 * 60_000, 20_000, 50);
    const played = await gw.fetchOhlcv('BTC/USDT:USDT', '1m', T0 + 100 * 60_000, 20);
    assert.ok(played.filter((c) => c.closed).length >= 20);
    for (const c of played.filter((x) => x.closed)) assert.is(c.close, 20_000 + (c.openTime - T0) / 60_000, 'the candle of the file for that minute');
    const mark = await gw.fetchMarkPrice('BTC/USDT:USDT');
    assert.ok(Math.abs(mark.markPrice - (20_000 + (v.server.venue.now() - T0) / 60_000)) < 10, 'the market follows the file');
  } finally {
    await v.stop();
  }
});

test('replay of the candles table (e.g. filled by bosun data import/download)', async () => {
  const src = await createTestDb('replaysrc');
  try {
    await importCandles(src.pool, `open_time,open,high,low,close,volume\n${rows.join('\n')}\n`, { symbol: 'BTC/USDT:USDT', tf: '1m', file: 'rows' });
    const v = await startTestVenue('replaydb', { symbols: ['BTC/USDT:USDT'], venue: { market: { source: 'replay_db', files: {}, dbUrl: src.url } } }, { historyMinutes: 50 });
    try {
      const first = await v.gateway().fetchOhlcv('BTC/USDT:USDT', '1m', T0, 5);
      assert.equal(first.map((c) => c.close), [20_000, 20_001, 20_002, 20_003, 20_004]);
    } finally {
      await v.stop();
    }
  } finally {
    await src.drop();
  }
});

test('a testnet or mainnet daemon without API keys in the environment refuses to start (exit 78), after the mode checks', async () => {
  const db = await createTestDb('nokeys', { mode: 'testnet' });
  try {
    const f = writeConfig(dir, { db: { url: db.url } }, 'testnet');
    const env = { BOSUN_API_KEY: '', BOSUN_API_SECRET: '' };
    const r = cli(['run', '--config', f], env);
    assert.is(r.code, 78);
    assert.match(r.stderr, 'set BOSUN_API_KEY and BOSUN_API_SECRET');
  } finally {
    await db.drop();
  }
});

test.run();
