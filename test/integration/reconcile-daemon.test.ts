import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cliAsync as cli, startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

// The reconciler worker in the paper daemon: equity points with PnL totals, drift seen, alerted once and cleared.
const SYMBOLS = ['BTC/USDT:USDT', 'ETH/USDT:USDT'];
let db: TestDb;
let d: DaemonHandle | null = null;
test.before(async () => {
  db = await createTestDb('recdaemon', { migrate: false });
});
test.after(async () => {
  await d?.stop('SIGKILL');
  await db.drop();
});

const reconciler = async () => (await d!.status()).actors.find((a) => a.id === 'reconciler')!;
const codes = async () => (await db.pool.query<Array<{ code: string }>>("SELECT code FROM notifications WHERE code LIKE 'reconcile.%' ORDER BY id")).map((r) => r.code);

test('reconciler worker: equity with totals every interval; a DB position the venue does not hold → drift and one alert; cleared when gone', async () => {
  d = startDaemon({ dbUrl: db.url, dir: tempDir('recdaemon'), overrides: { symbols: SYMBOLS, reconciler: { intervalSec: 300, foreignOrders: 'cancel', confirmMs: 200 } } });
  await d.waitRunning();
  assert.is((await cli(['pause', '--socket', d.socket])).code, 0, 'no new entries while we tamper with the DB');
  await waitFor('equity points from the reconciler, with PnL totals', async () => {
    const rows = await db.pool.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM equity_curve WHERE source = 'reconciler' AND fees IS NOT NULL AND realized_pnl IS NOT NULL");
    return Number(rows[0]!.n) >= 2;
  }, 30_000, 100);
  await waitFor('no drift to start with', async () => {
    const r = await reconciler();
    return Number(r.details.checks) > 2 && Array.isArray(r.details.drifting) && (r.details.drifting as string[]).length === 0;
  }, 30_000, 100);

  // A position the DB believes in and the venue does not hold.
  const open = await db.pool.query<Array<{ symbol: string }>>("SELECT symbol FROM positions WHERE status = 'open'");
  const symbol = SYMBOLS.find((s) => !open.some((p) => p.symbol === s))!;
  assert.ok(symbol, 'a flat symbol');
  const ins = await db.pool.query<{ insertId: number }>("INSERT INTO positions (symbol, side, status, qty, entry_price, opened_at, updated_at) VALUES (?, 'long', 'open', '1', '100', 0, 0)", [symbol]);
  await waitFor('drift reported for that symbol', async () => ((await reconciler()).details.drifting as string[]).includes(symbol), 30_000, 100);
  await waitFor('the alert reached the notifier', async () => (await codes()).includes('reconcile.position_gone'), 30_000, 100);
  const checksAtDrift = Number((await reconciler()).details.checks);
  await waitFor('several more checks while drifting', async () => Number((await reconciler()).details.checks) >= checksAtDrift + 3, 30_000, 100);
  assert.is((await codes()).filter((c) => c === 'reconcile.position_gone').length, 1, 'alerted once, not every check');

  await db.pool.query("UPDATE positions SET status = 'closed', closed_at = 0 WHERE id = ?", [ins.insertId]);
  await waitFor('drift cleared', async () => ((await reconciler()).details.drifting as string[]).length === 0, 30_000, 100);
  await waitFor('cleared notice', async () => (await codes()).includes('reconcile.drift_cleared'), 30_000, 100);
  const r = await d.stop('SIGTERM');
  assert.is(r.code, 0);
});

test.run();
