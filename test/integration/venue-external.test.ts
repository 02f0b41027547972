import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ExFill, ExPosition } from '../../src/exchange/types.js';
import type { SimOrder } from '../../src/exchange/sim/sim-types.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { daemonConfig, startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { startVenueProcess, type VenueProcess } from '../helpers/venue-process.js';
import { waitFor } from '../helpers/wait.js';

const KEYS = { BOSUN_API_KEY: 'ext-venue-key-0123456789', BOSUN_API_SECRET: 'ext-venue-secret-0123456789' };
let venueDb: TestDb;
let db: TestDb;
let venue: VenueProcess | null = null;
let d: DaemonHandle | null = null;
test.before(async () => {
  venueDb = await createTestDb('extvenue', { migrate: false });
  db = await createTestDb('extdaemon', { migrate: false });
});
test.after(async () => {
  await d?.stop('SIGKILL');
  await venue?.stop('SIGKILL');
  await venueDb.drop();
  await db.drop();
});

interface VenueState { now: number; orders: SimOrder[]; fills: ExFill[]; positions: ExPosition[] }

const gaps = async () => {
  const rows = await db.pool.query<Array<{ symbol: string; n: number; lo: number; hi: number }>>("SELECT symbol, COUNT(*) AS n, MIN(open_time) AS lo, MAX(open_time) AS hi FROM candles WHERE tf = '1m' GROUP BY symbol");
  return rows.map((r) => ({ symbol: r.symbol, n: Number(r.n), missing: (Number(r.hi) - Number(r.lo)) / 60_000 + 1 - Number(r.n) }));
};
const count = async (sql: string) => Number((await db.pool.query<Array<{ n: number }>>(sql))[0]!.n);

test('paper daemon on an external `bosun venue`: no candle gap after a silent market-stream drop, REST polling while the user stream is down, kill -9 loses and doubles nothing', async () => {
  venue = await startVenueProcess({ dbUrl: venueDb.url, overrides: { clock: { speed: 600 }, symbols: ['BTC/USDT:USDT', 'ETH/USDT:USDT'] }, env: KEYS });
  const clock = await venue.control<{ speed: number; epoch: number }>('GET', '/bosun/v1/clock');
  assert.is(clock.speed, 600);
  const overrides = {
    symbols: ['BTC/USDT:USDT', 'ETH/USDT:USDT'],
    exchange: { url: venue.url, stream: { staleAfterMs: 800, pingIntervalMs: 300, pongTimeoutMs: 300, reconnectInitialMs: 200 }, userStream: { pollMs: 300 } },
    decision: { cooldownSec: 60 },
  };
  const { dir } = daemonConfig({ dbUrl: db.url });
  d = startDaemon({ dbUrl: db.url, dir, overrides, env: KEYS });
  // Generous: on a loaded CI machine a daemon and a venue process start slowly (this waits, it asserts no timing).
  const s = await d.waitRunning();
  assert.is(s.daemon.endpoint, venue.url);
  assert.is(s.daemon.clock.speed, 600, 'the daemon runs on the venue clock');
  await waitFor('live candles after the backfill', async () => (await count("SELECT COUNT(*) AS n FROM candles WHERE tf = '1m'")) > 2 * 520, 30_000, 100);

  // Silent drop of the market streams: frames stop but the socket stays open.
  const dropped = await venue.control<{ affected: number }>('POST', '/bosun/v1/ws-faults', { action: 'silent_drop', scope: 'market' });
  assert.ok(dropped.affected >= 1);
  const before = await count("SELECT COUNT(*) AS n FROM candles WHERE tf = '1m'");
  await waitFor('the feed noticed, reconnected and is streaming again', async () => {
    const feed = (await d!.status()).actors.find((a) => a.id === 'market-feed')!;
    return Number(feed.details.reconnects) >= 1 && feed.machineState === 'streaming' ? feed : null;
  }, 30_000, 100);
  await waitFor('candles flowing again', async () => (await count("SELECT COUNT(*) AS n FROM candles WHERE tf = '1m'")) > before + 40, 30_000, 100);
  for (const g of await gaps()) {
    if (g.missing) {
      const ts = (await db.pool.query<Array<{ t: number }>>("SELECT open_time AS t FROM candles WHERE tf = '1m' AND symbol = ? ORDER BY open_time", [g.symbol])).map((r) => Number(r.t));
      const holes = ts.slice(1).map((t, i) => [ts[i]!, t] as const).filter(([a, b]) => b - a > 60_000).map(([a, b]) => `${new Date(a).toISOString()}→${new Date(b).toISOString()}`);
      const feed = (await d!.status()).actors.find((a) => a.id === 'market-feed')!;
      assert.is(g.missing, 0, `${g.symbol}: ${g.missing} missing minutes after the drop: ${holes.join(', ')}; feed ${JSON.stringify(feed.details)}\n${d!.output().split('\n').filter((l) => /market-feed|gap|backfill/.test(l)).slice(-20).join('\n')}`);
    }
  }
  assert.ok((await count("SELECT COUNT(*) AS n FROM candles WHERE tf = '5m'")) > 0, 'higher timeframes are stored too');

  // The user-data stream goes silent and cannot come back for a while (listenKey requests fail): execution polls
  // fills over REST meanwhile, and catches up once the stream is back.
  await venue.control('POST', '/bosun/v1/faults', { rules: [{ method: 'POST', path: '/fapi/v1/listenKey', times: 12, fault: { kind: 'status', status: 503 } }] });
  assert.is((await venue.control<{ affected: number }>('POST', '/bosun/v1/ws-faults', { action: 'silent_drop', scope: 'user' })).affected, 1);
  const execution = async () => (await d!.status()).actors.find((a) => a.id === 'execution')!;
  const down = await waitFor('execution sees the user stream down', async () => {
    const e = await execution();
    return String(e.details.userStream).startsWith('down') && Number(e.details.streamDowns) >= 1 ? e : null;
  }, 30_000, 20);
  await waitFor('a REST poll while it is down', async () => {
    const e = await execution();
    return Number(e.details.polls) > Number(down.details.polls) && String(e.details.userStream).startsWith('down') ? e : null;
  }, 30_000, 20);
  // Liveness, not speed: 12 refused listenKey requests with backoff, on a machine that may be loaded.
  await waitFor('the user stream back', async () => (await d!.status()).actors.find((a) => a.id === 'execution')!.details.userStream === 'up', 90_000, 100);

  // The daemon dies while the venue keeps running (stops and targets keep triggering there); the restart reconciles.
  {
    await waitFor('some trading', async () => (await count('SELECT COUNT(*) AS n FROM orders')) > 0, 60_000, 100);
    d.proc.kill('SIGKILL');
    await d.exited;
    d = startDaemon({ dbUrl: db.url, dir, overrides, env: KEYS });
    await d.waitRunning();
    // Liveness (a fresh chroot's loaded run took longer than 30 s once); the reconciliation's own deadline is the config's.
    await waitFor('execution reconciled', async () => {
      const a = (await d!.status()).actors.find((x) => x.id === 'execution')!;
      return /booting|reconciling/.test(String(a.machineState)) ? null : a;
    }, 120_000, 100);
  }
  for (const g of await gaps()) assert.is(g.missing, 0, `${g.symbol}: no gap across the kill -9`);

  // What the venue did and what the ledger says agree: no lost fill, no extra fill, one venue order per intent.
  await waitFor('ledger and venue agree', async () => {
    const v = await venue!.control<VenueState>('GET', '/bosun/v1/state');
    const ours = v.fills.filter((f) => f.clientId?.startsWith('bsn-'));
    const dbFills = await db.pool.query<Array<{ symbol: string; trade_id: string }>>('SELECT symbol, trade_id FROM fills');
    const inDb = new Set(dbFills.map((f) => `${f.symbol}|${f.trade_id}`));
    const missing = ours.filter((f) => !inDb.has(`${f.symbol}|${f.tradeId}`));
    const onVenue = new Set(v.fills.map((f) => `${f.symbol}|${f.tradeId}`));
    const extra = dbFills.filter((f) => !onVenue.has(`${f.symbol}|${f.trade_id}`));
    const dbPos = await db.pool.query<Array<{ symbol: string; side: string; qty: string }>>("SELECT symbol, side, qty FROM positions WHERE status = 'open'");
    const samePositions = v.positions.length === dbPos.length && v.positions.every((p) => dbPos.some((q) => q.symbol === p.symbol && q.side === p.side && Number(q.qty) === Number(p.qty)));
    return !missing.length && !extra.length && samePositions ? { v, ours } : null;
  }, 20_000, 200);
  const v = await venue.control<VenueState>('GET', '/bosun/v1/state');
  const placed = v.orders.filter((o) => o.parentAlgoId === null && o.clientId.startsWith('bsn-'));
  assert.is(new Set(placed.map((o) => o.clientId)).size, placed.length, 'no client id placed twice on the venue');
  assert.ok(placed.length >= 1, `trading happened (${placed.length} orders)`);
  const r = await d.stop('SIGTERM');
  assert.is(r.code, 0);
  assert.is(await venue.stop('SIGTERM'), 0, 'bosun venue stops cleanly on SIGTERM');
});

test.run();
