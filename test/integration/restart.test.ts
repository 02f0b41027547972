import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { daemonConfig, startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';
import { placedOrders, venueState } from '../helpers/venue.js';

let db: TestDb;
let d: DaemonHandle | null = null;
test.before(async () => {
  db = await createTestDb('restart', { migrate: false });
});
test.after.each(async () => {
  await d?.stop('SIGKILL');
  d = null;
});
test.after(async () => db.drop());

const venue = () => venueState(db.pool).catch(() => ({ orders: [], positions: {} }) as unknown as Awaited<ReturnType<typeof venueState>>);

test('kill -9 with an open, protected paper position: after restart it is still open, once, with one stop-loss', async () => {
  // Wide stop and target so the position outlives the restart; a fast clock so a cross comes quickly.
  const { dir } = daemonConfig({ dbUrl: db.url });
  const overrides = { symbols: ['BTC/USDT:USDT'], clock: { speed: 1200 }, risk: { stopAtrMult: 60, takeProfitAtrMult: 90 }, decision: { cooldownSec: 60 } };
  d = startDaemon({ dbUrl: db.url, dir, overrides });
  await d.waitRunning();
  const open = await waitFor('an open position with its stop-loss on the venue', async () => {
    const rows = await db.pool.query<Array<{ id: number; symbol: string; qty: string }>>("SELECT id, symbol, qty FROM positions WHERE status = 'open'");
    if (!rows[0]) return null;
    const v = await venue();
    const sl = v.orders.filter((o) => o.type === 'stop_market' && o.status === 'new');
    return sl.length === 1 ? rows[0] : null;
  }, 60_000, 100);
  d.proc.kill('SIGKILL');
  const gone = await d.exited;
  assert.is(gone.signal, 'SIGKILL');
  d = startDaemon({ dbUrl: db.url, dir, overrides: { ...overrides, clock: { speed: 60 } } });
  await d.waitRunning();
  // Startup reconciliation now talks to the venue over HTTP: wait until execution has finished it.
  const exec = await waitFor('execution done reconciling', async () => {
    const a = (await d!.status()).actors.find((x) => x.id === 'execution')!;
    // Ready (or halted: the assertion below says why); before its first heartbeat a child reports no machine state yet.
    return /^(ready|halted)/.test(String(a?.machineState ?? '')) ? a : null;
  }, 30_000, 100);
  assert.is((exec.details.slots as Record<string, string>)['BTC/USDT:USDT'], 'in_position', `execution is ${exec.machineState} ${JSON.stringify(exec.details.slots)}: ${d.output().split("\n").filter((l) => /warn|error|reconcil/.test(l)).slice(-15).join("\n")}`);
  const rows = await db.pool.query<Array<{ id: number; qty: string }>>("SELECT id, qty FROM positions WHERE status = 'open'");
  assert.is(rows.length, 1);
  assert.is(rows[0]!.id, open.id);
  assert.is(rows[0]!.qty, open.qty);
  const v = await venue();
  const pos = Object.values(v.positions);
  assert.is(pos.length, 1);
  assert.is(Number(pos[0]!.qty), Number(open.qty));
  assert.is(v.orders.filter((o) => o.type === 'stop_market' && o.status === 'new').length, 1, 'exactly one live stop-loss');
  const ids = placedOrders(v).map((o) => o.clientId);
  assert.is(new Set(ids).size, ids.length, 'no client id was sent twice');
  const notImported = await db.pool.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM positions WHERE decision_id IS NULL");
  assert.is(Number(notImported[0]!.n), 0, 'nothing was imported as an orphan');
  const r = await d.stop('SIGTERM');
  assert.is(r.code, 0);
});

test.run();
