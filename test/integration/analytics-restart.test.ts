// The analytics worker in the real daemon (six workers, MariaDB, an ONNX model from the config): warm from
// stored history at start, picks manual inputs up while running, and — killed mid-run — is restarted and
// serves a full snapshot from history within 5 s (five timeframes, regime, flow with the manual input, p_up;
// impossible from the few live candles since the crash).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from '../../src/control/socket.js';
import { featureVector } from '../../src/analytics/ml/features.js';
import { logisticModel } from '../../src/analytics/ml/onnx-proto.js';
import type { Snapshot } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cli, startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { BTC, synthCandles } from '../helpers/market-data.js';
import { waitFor } from '../helpers/wait.js';

let db: TestDb;
let d: DaemonHandle | null = null;
test.before(async () => {
  db = await createTestDb('anrestart');
});
test.after(async () => {
  await d?.stop('SIGKILL');
  await db.drop();
});

interface Row {
  id: number;
  data: string | Snapshot;
}
const lastFull = async (afterId = 0): Promise<(Snapshot & { id: number }) | null> => {
  const rows = await db.pool.query<Row[]>("SELECT id, data FROM snapshots WHERE kind = 'full' AND id > ? ORDER BY id DESC LIMIT 1", [afterId]);
  const r = rows[0];
  return r ? { ...(typeof r.data === 'string' ? JSON.parse(r.data) : r.data), id: r.id } : null;
};
const FEATURES = ['rsi', 'adx', 'mtf_alignment', 'mom_1h'];
const W = [0.8, -1.2, 1.5, 0.6];
const B = 0.1;
/** The snapshot's p_up is σ(w·x + b) on its own features (float32 model). */
function assertPUp(s: Snapshot): void {
  assert.ok(s.ml.available, `ML unavailable: ${JSON.stringify(s.ml)}`);
  const fv = featureVector(s, FEATURES);
  assert.ok('values' in fv);
  const z = fv.values.reduce((a, v, i) => a + Math.fround(v) * Math.fround(W[i]!), Math.fround(B));
  assert.ok(Math.abs(s.ml.pUp - 1 / (1 + Math.exp(-z))) < 1e-6);
}
const complete = (s: Snapshot) => Object.keys(s.tf).length === 5 && s.regime !== null && s.flow !== null && s.mtfAlignment !== null;

test('killed mid-run, the analytics worker is back with a full snapshot from history within 5 s', async () => {
  // Three days of 1m history, ending now, as the market feed would have stored them.
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const history = synthCandles(4320, now - 4320 * 60_000, { seed: 7, startPrice: 30000, volatility: 0.0012, regimeMinutes: 240, baseVolume: 25 }, BTC);
  for (let i = 0; i < history.length; i += 1000) {
    const part = history.slice(i, i + 1000);
    await db.pool.query(
      `INSERT INTO candles (symbol, tf, open_time, open, high, low, close, volume, taker_buy_volume, source) VALUES ${part.map(() => "(?, '1m', ?, ?, ?, ?, ?, ?, ?, 'synthetic')").join(', ')}`,
      part.flatMap((c) => [c.symbol, c.openTime, c.open, c.high, c.low, c.close, c.volume, c.takerBuyVolume ?? null]),
    );
  }
  // An ONNX model in the config: p_up from the pool in every snapshot.
  const model = join(tempDir('anmodel'), 'logistic.onnx');
  writeFileSync(model, logisticModel(W, B, { 'bosun.features': FEATURES.join(',') }));
  // Hourly full snapshots (6 s of wall time at the test's 600×); catch-up threshold above the start-up time
  // in clock-seconds, so the warm-up snapshot at start is not taken for a backfill.
  d = startDaemon({ dbUrl: db.url, overrides: { symbols: ['BTC/USDT:USDT'], analytics: { fullSnapshotSec: 3600, catchUpSec: 3600, ml: { model, timeoutMs: 2000 } } } });
  await d.waitRunning();
  const first = await waitFor('a complete full snapshot right after start', async () => {
    const s = await lastFull();
    return s && complete(s) ? s : null;
  }, 10_000, 50);
  assert.ok(first.ts > history.at(-1)!.openTime, 'from history plus the live candles');
  assertPUp(first);

  // A manual input entered while it runs is picked up at the next read (every 30 clock-seconds).
  const input = cli(['input', 'sentiment', '--score', '1.5', '--comment', 'integration', '--config', d.configFile]);
  assert.is(input.code, 0, input.stderr);
  const id = Number(/#(\d+)/.exec(input.stdout)![1]);
  await waitFor('analytics holding the new sentiment', async () => {
    const a = (await d!.status()).actors.find((x) => x.id === 'analytics')!;
    return (a.details as { manualInputs?: { sentiment: number | null } }).manualInputs?.sentiment === id;
  }, 10_000, 100);

  const before = (await d.status()).actors.find((a) => a.id === 'analytics')!;
  const seen = (await lastFull())!.id;
  const t0 = Date.now();
  await request(d.socket, 'test.crash', { actor: 'analytics' });
  // Full snapshots are hourly here (every 6 s of wall time at 600×): only the warm-up one can come this fast.
  const served = await waitFor('a full snapshot from the restarted analytics worker', () => lastFull(seen), 5_000, 20);
  const ms = Date.now() - t0;
  console.log(`analytics crash → full snapshot from history in ${ms} ms`);
  assert.ok(served.warmup || served.ts % 3_600_000 === 0, 'the warm-up snapshot (or a boundary one by the new worker)');
  assert.ok(complete(served), `incomplete: timeframes ${Object.keys(served.tf).join(',')}, regime ${JSON.stringify(served.regime)}`);
  assert.is(served.flow!.sentiment, 1.5, 'manual inputs re-read at warm-up');
  assertPUp(served);
  const after = (await d.status()).actors.find((a) => a.id === 'analytics')!;
  assert.is(after.restarts, before.restarts + 1);
  assert.is.not(after.threadId, before.threadId);
  // It keeps going: a snapshot per live candle from the new worker.
  const count = async () => Number(((await d!.status()).actors.find((a) => a.id === 'analytics')!.details as { snapshots?: number }).snapshots ?? Number.NaN);
  const n = await waitFor('the new worker reporting its counters', async () => {
    const v = await count();
    return Number.isFinite(v) ? { v } : null;
  }, 5_000, 50);
  await waitFor('snapshots from the new worker keep coming', async () => (await count()) > n.v + 5, 10_000, 50);
  const r = await d.stop('SIGTERM');
  assert.is(r.code, 0);
});

test.run();
