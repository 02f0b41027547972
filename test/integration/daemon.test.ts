import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode } from '../../src/errors.js';
import { fromRoot } from '../../src/paths.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cli, daemonConfig, startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { sleep, waitFor } from '../helpers/wait.js';

let db: TestDb;
let d: DaemonHandle | null = null;
test.before(async () => {
  db = await createTestDb('daemon', { migrate: false });
});
test.after.each(async () => {
  await d?.stop('SIGKILL');
  d = null;
});
test.after(async () => db.drop());

const count = async (table: string) => Number((await db.pool.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);

test('npm start equivalent: six actors in six threads, and candles, snapshots, decisions keep increasing', async () => {
  d = startDaemon({ dbUrl: db.url });
  const s = await d.waitRunning();
  assert.is(s.daemon.mode, 'paper');
  assert.equal(s.actors.map((a) => a.id).sort(), ['analytics', 'decision', 'execution', 'market-feed', 'notifier', 'reconciler']);
  assert.is(new Set(s.actors.map((a) => a.threadId)).size, 6);
  assert.ok(s.actors.every((a) => a.threadId !== null && a.threadId > 0));
  assert.ok(s.db.ok);
  const first = await waitFor('rows in candles, snapshots and decisions', async () => {
    const c = { candles: await count('candles'), snapshots: await count('snapshots'), decisions: await count('decisions') };
    return c.candles > 0 && c.snapshots > 0 && c.decisions > 0 ? c : null;
  }, 20_000, 200);
  await waitFor('all three tables to grow', async () =>
    (await count('candles')) > first.candles && (await count('snapshots')) > first.snapshots && (await count('decisions')) > first.decisions, 20_000, 200);
  const cliStatus = await import('../helpers/daemon.js').then((m) => m.cli(['status', '--socket', d!.socket]));
  assert.is(cliStatus.code, 0, cliStatus.stderr);
  assert.match(cliStatus.stdout, 'market-feed');
  const json = JSON.parse(cli(['status', '--json', '--socket', d!.socket]).stdout);
  assert.is(json.actors.length, 6);
});

test('a worker that throws is restarted: restarts = 1, a new thread running again (liveness; the time is printed)', async () => {
  d = startDaemon({ dbUrl: db.url });
  await d.waitRunning();
  const { request } = await import('../../src/control/socket.js');
  const before = (await d.status()).actors.find((a) => a.id === 'decision')!;
  const t0 = Date.now();
  await request(d.socket, 'test.crash', { actor: 'decision' });
  const after = await waitFor('decision restarted', async () => {
    const a = (await d!.status()).actors.find((x) => x.id === 'decision')!;
    return a.restarts === 1 && a.lifecycle === 'running' && a.threadId !== before.threadId ? a : null;
  }, 20_000, 20);
  // The supervisor's backoff starts at 100 ms: about that on an idle machine; a busy one may take longer (not asserted).
  console.log(`daemon: decision worker running again ${Date.now() - t0} ms after its crash`);
  assert.is(after.restarts, 1);
  const decisions = await count('decisions');
  await waitFor('the restarted decision actor keeps deciding', async () => (await count('decisions')) > decisions, 15_000, 200);
});

test('SIGTERM stops cleanly with exit 0 within the shutdown budget; status then says not running (exit 2)', async () => {
  d = startDaemon({ dbUrl: db.url });
  await d.waitRunning();
  const t0 = Date.now();
  const r = await d.stop('SIGTERM');
  const took = Date.now() - t0;
  assert.is(r.code, 0, d.output().slice(-2000));
  const budget = JSON.parse((await import('node:fs')).readFileSync(fromRoot('supervisor.config.json'), 'utf8')).children.reduce((a: number, c: { shutdownMs: number }) => a + c.shutdownMs, 0);
  assert.ok(took < budget, `took ${took} ms`);
  const stops = d.output().split('\n').filter((l) => l.includes('"child stopped"')).map((l) => JSON.parse(l).child);
  assert.equal(stops, ['market-feed', 'analytics', 'decision', 'reconciler', 'execution', 'notifier']);
  const st = cli(['status', '--socket', d.socket]);
  assert.is(st.code, ExitCode.notRunning);
  assert.match(st.stderr, 'bosun is not running');
  const stopNote = await db.pool.query<Array<{ code: string }>>("SELECT code FROM notifications WHERE code IN ('daemon.started', 'daemon.stopping')");
  assert.ok(stopNote.length >= 2, 'start and stop are notified');
});

test('exceeding restart intensity stops the daemon with a non-zero exit', async () => {
  const sup = JSON.parse((await import('node:fs')).readFileSync(fromRoot('supervisor.config.json'), 'utf8'));
  sup.intensity = 1;
  const { dir } = daemonConfig({ dbUrl: db.url });
  const supFile = join(dir, 'supervisor.json');
  writeFileSync(supFile, JSON.stringify(sup));
  d = startDaemon({ dbUrl: db.url, dir, supervisorFile: supFile });
  await d.waitRunning();
  const { request } = await import('../../src/control/socket.js');
  await request(d.socket, 'test.crash', { actor: 'analytics' });
  await waitFor('analytics restarted once', async () => {
    const a = (await d!.status()).actors.find((x) => x.id === 'analytics')!;
    return a.restarts === 1 && a.lifecycle === 'running';
  }, 5000, 20);
  await request(d.socket, 'test.crash', { actor: 'analytics' });
  const r = await Promise.race([d.exited, sleep(20_000).then(() => null)]);
  assert.ok(r, 'daemon exited');
  assert.is(r!.code, ExitCode.failure);
  assert.match(d.output(), 'restart intensity exceeded');
});

test('a config with a wrong type or unknown key: config check prints the path and fails, and the daemon refuses it', async () => {
  const { configFile } = daemonConfig({ dbUrl: db.url, overrides: { risk: { leverage: 'high' }, decision: { cooldwnSec: 5 } } });
  const chk = cli(['config', 'check', configFile]);
  assert.is(chk.code, ExitCode.config);
  assert.match(chk.stderr, '$.risk.leverage');
  assert.match(chk.stderr, '$.decision.cooldwnSec: unknown key');
  const run = cli(['run', '--config', configFile]);
  assert.is(run.code, ExitCode.config);
  assert.match(run.stderr, '$.risk.leverage');
  const ok = cli(['config', 'check', fromRoot('config', 'mainnet.json')]);
  assert.is(ok.code, 0, ok.stderr);
});

test('MariaDB unreachable: run fails within 5 s with one paragraph saying what it tried and how to fix it', async () => {
  const { configFile } = daemonConfig({ dbUrl: 'mariadb://root@127.0.0.1:1/bosun_nowhere' });
  const t0 = Date.now();
  // With the embedded default off: otherwise a local port where nothing answers gets bosun's own mariadbd.
  const r = cli(['run', '--config', configFile], { BOSUN_EMBEDDED_DB: 'off' });
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  assert.is(r.code, ExitCode.dbUnavailable);
  assert.match(r.stderr, 'cannot reach MariaDB at 127.0.0.1:1');
  assert.match(r.stderr, 'BOSUN_DB_URL');
  assert.is(r.stderr.trim().split('\n').length, 1);
});

test('a database of another mode is refused, and mainnet needs explicit confirmation', async () => {
  // Keys present: the mode check is the one that refuses (issue 18 checks keys first, before anything is written).
  const KEYS = { BOSUN_API_KEY: 'mode-test-key-0123456789', BOSUN_API_SECRET: 'mode-test-secret-0123456789' };
  const own = await createTestDb('paperdb', { mode: 'paper' });
  try {
    const { configFile } = daemonConfig({ dbUrl: own.url, base: 'testnet', overrides: { clock: { speed: 1 } } });
    const r = cli(['run', '--config', configFile], KEYS);
    assert.is(r.code, ExitCode.config);
    assert.match(r.stderr, 'belongs to paper mode');
    const m = daemonConfig({ dbUrl: own.url, base: 'mainnet', overrides: { clock: { speed: 1 } } });
    const r2 = cli(['run', '--config', m.configFile], KEYS);
    assert.is(r2.code, ExitCode.config);
    assert.match(r2.stderr, 'MAINNET');
    assert.match(r2.stderr, '--confirm-mainnet');
    const r3 = cli(['run', '--config', m.configFile, '--confirm-mainnet'], KEYS);
    assert.is(r3.code, ExitCode.config);
    assert.match(r3.stderr, 'belongs to paper mode', 'confirmed mainnet still refuses a paper database');
  } finally {
    await own.drop();
  }
});

test.run();
