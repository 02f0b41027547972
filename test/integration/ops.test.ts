// The operator's view of a running daemon: systemd READY/WATCHDOG/STOPPING on a NOTIFY_SOCKET, `bosun status --json`
// with every field, exit codes 0/1/2, pause/kill-switch/flatten/resume recorded with who and when, Prometheus
// metrics, a dropped database survived, and secrets from the environment found nowhere.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { UnixDgramSocket } from 'unix-dgram';
import type { StatusDoc } from '../../src/daemon/status.js';
import { ExitCode } from '../../src/errors.js';
import { tempDir } from '../helpers/config.js';
import { createTestDb, DB_HOST_URL, type TestDb } from '../helpers/db.js';
import { BOSUN, cliAsync as cli, startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { connect } from '../../src/store/pool.js';
import { ensureDatabase, ensureMode, migrate } from '../../src/store/migrate.js';
import { waitFor } from '../helpers/wait.js';

const unix = createRequire(import.meta.url)('unix-dgram') as typeof import('unix-dgram');

const SECRETS = {
  BOSUN_API_KEY: 'AKIA-bosun-ops-test-key-7f3a9c',
  BOSUN_API_SECRET: 'sec-bosun-ops-test-9c2e1d44',
  BOSUN_TELEGRAM_TOKEN: '777000:tg-bosun-ops-test-secret',
};
const DB_PASSWORD = 'pw-Bosun-ops-Xy7q';

let db: TestDb;
let d: DaemonHandle | null = null;
let listener: UnixDgramSocket | null = null;
const user = `bt_ops_${process.pid}`;

test.before(async () => {
  db = await createTestDb('ops', { migrate: false });
  await db.pool.query(`CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${DB_PASSWORD}'`);
  await db.pool.query(`GRANT ALL ON \`${db.name}\`.* TO '${user}'@'%'`);
});
test.after(async () => {
  await d?.stop('SIGKILL');
  listener?.close();
  await db.pool.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => undefined);
  await db.drop();
});

const statusCli = async (socket: string, json = true) => {
  const r = await cli(['status', ...(json ? ['--json'] : []), '--socket', socket]);
  return { ...r, doc: json && r.stdout ? (JSON.parse(r.stdout) as StatusDoc) : null };
};

test('systemd notify, full status, exit codes, operator actions, metrics, DB loss and return, no secret anywhere', async () => {
  const dir = tempDir('ops');
  const notifySock = join(dir, 'notify.sock');
  const notes: string[] = [];
  listener = unix.createSocket('unix_dgram', (buf) => notes.push(buf.toString()));
  listener.bind(notifySock);
  const dbUrlWithPassword = `${DB_HOST_URL.replace('mariadb://root@', `mariadb://${user}:${DB_PASSWORD}@`)}/${db.name}`;
  d = startDaemon({
    dbUrl: db.url,
    dir,
    env: { ...SECRETS, BOSUN_DB_URL: dbUrlWithPassword, NOTIFY_SOCKET: notifySock, WATCHDOG_USEC: '600000' },
    overrides: { notifier: { telegram: { enabled: true, chatIds: [] } } },
  });
  await d.waitRunning();

  // systemd: READY once every actor runs, then WATCHDOG pings every WATCHDOG_USEC / 2.
  await waitFor('READY=1 and two WATCHDOG=1', () => notes.some((n) => n.startsWith('READY=1')) && notes.filter((n) => n === 'WATCHDOG=1').length >= 2, 5000);
  assert.match(notes.find((n) => n.startsWith('READY=1'))!, 'STATUS=trading paper');

  // Status has every field an operator asks first; healthy → exit 0.
  await waitFor('status with equity, a decision and message rates', async () => {
    const doc = await d!.status();
    return doc.healthy && doc.equity && doc.lastDecision && doc.actors.every((a) => a.rates);
  }, 20_000, 200);
  const json = await statusCli(d.socket);
  assert.is(json.code, ExitCode.ok, json.stderr);
  const s = json.doc;
  assert.is(s!.daemon.mode, 'paper');
  assert.is(s!.daemon.environment, 'paper');
  for (const a of s!.actors) {
    for (const k of ['lifecycle', 'machineState', 'uptimeMs', 'restarts', 'heartbeatAgeMs', 'messagesIn', 'messagesOut', 'rates', 'heap'] as const) assert.ok(a[k] !== undefined && a[k] !== null, `${a.id}.${k}`);
    // Each actor's own isolate: some MB in use, no more than its heap holds.
    assert.ok(a.heap!.used > 1_000_000 && a.heap!.used <= a.heap!.total, `${a.id} heap ${JSON.stringify(a.heap)}`);
  }
  assert.ok(s!.daemon.rssBytes > 50_000_000, `process RSS ${s!.daemon.rssBytes}`);
  assert.equal(Object.keys(s!.exchange).sort(), ['clockOffsetMs', 'connected', 'environment', 'latencyMs', 'maintenance', 'requestWeight', 'source', 'venue']);
  assert.is(s!.exchange.connected, true);
  assert.is(s!.db.ok, true);
  assert.is(s!.db.migration, s!.db.expectedMigration);
  assert.ok(s!.db.migration! >= 50);
  assert.ok(Array.isArray(s!.positions));
  for (const k of ['equity', 'balance', 'unrealizedPnl', 'dayPnl', 'weekPnl']) assert.type((s!.equity as Record<string, unknown>)[k], 'string', k);
  assert.equal(Object.keys(s!.risk).sort(), ['breakers', 'cooldownUntil', 'haltReason', 'halted', 'killSwitch', 'paused', 'pausedBy']);
  for (const k of ['id', 'symbol', 'ts', 'verdict', 'score', 'vetoed', 'reasoning']) assert.ok(k in s!.lastDecision!, k);
  assert.type(s!.notifications.backlog, 'number');
  assert.match(s!.notifications.telegram, 'off (notifier.telegram.chatIds is empty)');
  assert.equal(s!.health, { status: 'healthy', reasons: [] });
  const text = await statusCli(d.socket, false);
  assert.is(text.code, ExitCode.ok);
  for (const w of ['HEALTHY', 'exchange: connected', 'migration', 'equity:', 'risk:', 'last decision:', 'notifications:', 'in/s', 'heap MB', 'RSS']) assert.match(text.stdout, w);

  // --watch --json: one compact document per refresh (NDJSON), until interrupted.
  const watch = spawn(process.execPath, [BOSUN, 'status', '--watch', '0.3', '--json', '--socket', d.socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  let watched = '';
  watch.stdout!.on('data', (c) => (watched += c));
  await waitFor('two refreshes', () => watched.split('\n').filter(Boolean).length >= 2, 10_000);
  watch.kill('SIGINT');
  for (const l of watched.split('\n').filter(Boolean).slice(0, 2)) assert.is((JSON.parse(l) as StatusDoc).daemon.mode, 'paper');

  // Operator actions through the control socket, each recorded with who and when.
  const t0 = Date.now();
  assert.is((await cli(['pause', '--socket', d.socket])).code, 0);
  assert.is((await d.status()).risk.paused, true);
  const kill = await cli(['kill-switch', '--reason', 'ops test', '--socket', d.socket]);
  assert.is(kill.code, 0, kill.stderr + kill.stdout);
  const halted = await statusCli(d.socket);
  assert.is(halted.code, ExitCode.failure, 'halted → degraded → exit 1');
  assert.match(halted.doc!.health.reasons.join(), 'trading halted');
  assert.is(halted.doc!.risk.killSwitch!.reason, 'ops test');
  const flat = await cli(['flatten', '--socket', d.socket]);
  assert.is(flat.code, 0, flat.stderr + flat.stdout);
  assert.is((await cli(['resume', '--socket', d.socket])).code, 0);
  await waitFor('healthy again after resume', async () => (await d!.status()).healthy, 10_000, 200);
  const actions = await db.pool.query<Array<{ action: string; by_whom: string; source: string; status: string; ts: number; finished_at: number }>>('SELECT action, by_whom, source, status, ts, finished_at FROM operator_actions ORDER BY id');
  assert.equal(actions.map((a) => a.action), ['pause', 'kill-switch', 'flatten', 'resume']);
  for (const a of actions) {
    assert.match(a.by_whom, /^cli:.+@.+/);
    assert.is(a.source, 'cli');
    assert.is(a.status, 'ok');
    assert.ok(a.ts >= t0 && a.finished_at >= a.ts && a.ts <= Date.now());
  }

  // Prometheus on loopback.
  const url = (await d.status()).metrics.url!;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const body = await (await fetch(url)).text();
  for (const m of ['bosun_messages_total{actor="market-feed",topic="market.candle",direction="out"}', 'bosun_actor_restarts_total', 'bosun_heartbeat_age_seconds{actor="decision"}', 'bosun_decisions_total{actor="decision",verdict=', 'bosun_order_latency_seconds', 'bosun_reconcile_anomalies_total', 'bosun_equity{actor="reconciler"}', 'bosun_notification_backlog{actor="notifier"} 0', 'bosun_heap_bytes{actor="analytics",kind="used"}', 'bosun_heap_bytes{actor="execution",kind="total"}']) {
    assert.ok(body.includes(m), `metrics lack ${m}`);
  }

  // Every table, every row: no secret.
  const tables = await db.pool.query<Array<{ t: string }>>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?', [db.name]);
  const dump = JSON.stringify(await Promise.all(tables.map((x) => db.pool.query(`SELECT * FROM \`${x.t}\``))));
  assert.ok(tables.length >= 12, 'dumped every table');

  // The database disappears: status still answers (degraded, exit 1) and the daemon keeps running; it comes back.
  const before = await statusCli(d.socket, false);
  await db.pool.query(`DROP DATABASE \`${db.name}\``);
  await waitFor('status reports the database down', async () => !(await d!.status()).db.ok, 10_000, 200);
  const lost = await statusCli(d.socket);
  assert.is(lost.code, ExitCode.failure);
  assert.match(lost.doc!.health.reasons.join(), 'database unreachable');
  assert.is(d.proc.exitCode, null, 'still running');
  await ensureDatabase(db.url, 3000);
  const conn = await connect({ url: db.url, connectTimeoutMs: 3000, poolSize: 1, multipleStatements: true });
  await migrate(conn);
  await ensureMode(conn, 'paper', db.name);
  await conn.end();
  // The DB section recovers by itself (execution stays degraded until it reconciles: its ledger missed writes).
  await waitFor('the database is reachable again', async () => (await d!.status()).db.ok, 10_000, 200);

  // SIGTERM: STOPPING=1, exit 0, then status says not running (exit 2).
  const r = await d.stop('SIGTERM');
  assert.is(r.code, 0, d.output().slice(-2000));
  assert.ok(notes.some((n) => n.startsWith('STOPPING=1')));
  assert.is((await cli(['status', '--socket', d.socket])).code, ExitCode.notRunning);

  // No secret from the environment in the logs, the DB, the status output or the metrics.
  const everywhere = [d.output(), dump, before.stdout, text.stdout, lost.stdout, kill.stdout, body, notes.join('\n')];
  for (const [name, value] of [...Object.entries(SECRETS), ['db password', DB_PASSWORD]]) {
    for (const w of everywhere) assert.not.ok(w.includes(value!), `${name} leaked`);
  }
  d = null;
});

test.run();
