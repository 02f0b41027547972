import { createHmac } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { placed, readVenue, settledDiff, unprotected, type VenueView } from '../helpers/chaos-checks.js';
import { tradingOverrides } from '../helpers/chaos.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { privateMariaDbAvailable, startPrivateMariaDb, type PrivateMariaDb } from '../helpers/private-mariadb.js';
import { startVenueProcess, type VenueProcess } from '../helpers/venue-process.js';
import { sleep, waitFor } from '../helpers/wait.js';

// The daemon's MariaDB (a private server) dies mid-run and comes back; the venue (on the shared server) keeps running.
const KEYS = { BOSUN_API_KEY: 'degraded-venue-key-0123456789', BOSUN_API_SECRET: 'degraded-venue-secret-0123456789' };
const SYMBOL = 'BTC/USDT:USDT';
let mdb: PrivateMariaDb | null = null;
let venueDb: TestDb | null = null;
let venue: VenueProcess | null = null;
let d: DaemonHandle | null = null;
test.after(async () => {
  await d?.stop('SIGKILL');
  await venue?.stop('SIGKILL');
  await mdb?.destroy();
  await venueDb?.drop();
});

/** A hand-placed order on the venue (not the daemon's): a signed POST /fapi/v1/order, as an operator's other tool would. */
async function manualOrder(url: string, params: Record<string, string>): Promise<{ orderId: number }> {
  const q = new URLSearchParams({ ...params, timestamp: String(Date.now()), recvWindow: '5000' }).toString();
  const body = `${q}&signature=${createHmac('sha256', KEYS.BOSUN_API_SECRET).update(q).digest('hex')}`;
  const r = await fetch(`${url}/fapi/v1/order`, { method: 'POST', body, headers: { 'X-MBX-APIKEY': KEYS.BOSUN_API_KEY, 'content-type': 'application/x-www-form-urlencoded' } });
  const j = (await r.json()) as { orderId: number; msg?: string };
  if (!r.ok) throw new Error(`manual order refused: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

const entryIds = (v: VenueView) => new Set(placed(v).filter((o) => /^bsn-[0-9a-f]{24}-e\d+$/.test(o.clientId)).map((o) => o.clientId.slice(0, 28)));

test('MariaDB down mid-run: no new entry while it is down, the stop stays on the venue, fills from the outage are written once when it returns, then trading resumes', async () => {
  if (!privateMariaDbAvailable()) {
    console.log('skip: no mariadbd / mariadb-install-db on this machine');
    return;
  }
  mdb = await startPrivateMariaDb();
  venueDb = await createTestDb('degradedvenue', { migrate: false });
  venue = await startVenueProcess({ dbUrl: venueDb.url, overrides: { clock: { speed: 600 }, symbols: [SYMBOL], log: { level: 'warn' } }, env: KEYS });
  const base = tradingOverrides(venue.url, [SYMBOL]);
  // Wide stop and target (the position must outlive the outage) and a daemon that enters whenever it can.
  const overrides = { ...base, risk: { ...base.risk, stops: 'atr', stopAtrMult: 60, takeProfitAtrMult: 90 } };
  const dbUrl = `${mdb.url}/bosun_degraded`;
  d = startDaemon({ dbUrl, overrides, env: KEYS });
  await d.waitRunning();
  const pos = await waitFor('an open position with its stop-loss on the venue', async () => {
    const v = await readVenue(venue!.control);
    return v.positions.length === 1 && !unprotected(v).length ? v.positions[0]! : null;
  }, 60_000, 100);
  const before = await readVenue(venue.control);

  await mdb.stop('SIGKILL');
  // While the DB is down: take half the position off by hand on the venue (a fill the daemon cannot write yet) and
  // check that a stop covers what is left; then close the rest by hand, so that only the outage keeps the daemon (whose
  // preset enters on any vote, without cooldown) from entering again.
  const side = pos.side === 'long' ? 'SELL' : 'BUY';
  const half = (Math.floor((Number(pos.qty) / 2) * 1000) / 1000).toFixed(3);
  const manual = [await manualOrder(venue.url, { symbol: 'BTCUSDT', side, type: 'MARKET', quantity: half, reduceOnly: 'true', newClientOrderId: 'by-hand-1' })];
  const watch = async (ms: number, protectedToo: boolean) => {
    let samples = 0;
    for (const until = Date.now() + ms; Date.now() < until; samples++) {
      const v = await readVenue(venue!.control);
      if (protectedToo) assert.equal(unprotected(v), [], 'every venue position keeps a stop while the DB is down');
      assert.equal([...entryIds(v)].filter((id) => !entryIds(before).has(id)), [], 'no new entry while the DB is down');
      await sleep(200);
    }
    assert.ok(samples > 5);
  };
  await watch(4000, true);
  const rest = (await readVenue(venue.control)).positions.find((p) => p.symbol === SYMBOL);
  assert.ok(rest, 'the other half is still open');
  manual.push(await manualOrder(venue.url, { symbol: 'BTCUSDT', side, type: 'MARKET', quantity: rest.qty, reduceOnly: 'true', newClientOrderId: 'by-hand-2' }));
  await watch(5000, false);
  assert.ok(d.proc.exitCode === null, `the daemon is still running through the outage: ${d.output().slice(-2000)}`);
  const outage = await readVenue(venue.control);
  assert.is(outage.positions.length, 0, 'flat on the venue');
  const manualFills = outage.fills.filter((f) => manual.some((m) => f.exchangeOrderId === String(m.orderId)));
  assert.ok(manualFills.length >= 2, 'both hand-placed orders filled during the outage');

  await mdb.start();
  const { createPool } = await import('../../src/store/pool.js');
  const pool = createPool({ url: dbUrl, connectTimeoutMs: 3000, poolSize: 2 });
  try {
    const diff = await settledDiff(venue.control, pool, 60_000);
    assert.equal(diff, [], `the DB caught up with the venue once MariaDB returned\n${d.output().split('\n').filter((l) => /execution|reconcil/.test(l)).slice(-15).join('\n')}`);
    for (const f of manualFills) {
      const rows = await pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM fills WHERE symbol = ? AND trade_id = ?', [f.symbol, f.tradeId]);
      assert.is(Number(rows[0]!.n), 1, `fill ${f.tradeId} from the outage is in the DB exactly once`);
    }
    const closed = await pool.query<Array<{ status: string; exit_reason: string | null }>>('SELECT status, exit_reason FROM positions ORDER BY id LIMIT 1');
    assert.is(closed[0]?.status, 'closed', 'the position closed by hand during the outage is closed in the DB');
    // The control experiment: with the DB back, the same daemon enters again (so the quiet outage was the DB's doing).
    await waitFor('a new entry once the DB is back', async () => [...entryIds(await readVenue(venue!.control))].some((id) => !entryIds(before).has(id)), 60_000, 200);
  } finally {
    await pool.end();
  }
  assert.ok(d.proc.exitCode === null, 'the daemon survived the outage');
  const r = await d.stop('SIGTERM');
  d = null;
  assert.is(r.code, 0);
});

test.run();
