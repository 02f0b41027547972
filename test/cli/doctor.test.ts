// `bosun doctor`: one line per check, exit 0 when all pass, 1 on any failure (keys missing, exchange unreachable,
// database not migrated).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cliAsync, daemonConfig } from '../helpers/daemon.js';

let db: TestDb;
let fresh: TestDb;
test.before(async () => {
  db = await createTestDb('doctor');
  fresh = await createTestDb('doctorfresh', { migrate: false });
});
test.after(async () => {
  await db.drop();
  await fresh.drop();
});

const lines = (out: string) => Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(6, 16).trim(), l.slice(0, 4).trim()]));

test('paper on a migrated database: every check passes (exit 0)', async () => {
  const { configFile } = daemonConfig({ dbUrl: db.url });
  const r = await cliAsync(['doctor', '--config', configFile], { BOSUN_TELEGRAM_TOKEN: '' });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(lines(r.stdout), { config: 'ok', database: 'ok', migrations: 'ok', keys: 'ok', telegram: 'warn', exchange: 'ok', clock: 'ok', daemon: 'ok' });
});

test('testnet without keys on an empty database: keys, migrations, exchange and clock fail (exit 1)', async () => {
  const { configFile } = daemonConfig({ dbUrl: fresh.url, base: 'testnet', overrides: { clock: { speed: 1 } } });
  const r = await cliAsync(['doctor', '--config', configFile], { BOSUN_API_KEY: '', BOSUN_API_SECRET: '' });
  assert.is(r.code, 1, r.stdout + r.stderr);
  const l = lines(r.stdout);
  assert.equal([l.config, l.database, l.migrations, l.keys, l.exchange, l.clock], ['ok', 'ok', 'FAIL', 'FAIL', 'FAIL', 'FAIL']);
  assert.match(r.stdout, 'testnet needs BOSUN_API_KEY and BOSUN_API_SECRET');
  assert.match(r.stdout, 'run `bosun migrate`');
});

test('an invalid config fails first and the rest is skipped', async () => {
  const { configFile } = daemonConfig({ dbUrl: db.url, overrides: { risk: { leverage: 'high' } } });
  const r = await cliAsync(['doctor', '--config', configFile]);
  assert.is(r.code, 1);
  assert.match(r.stdout, /^FAIL  config .*\$\.risk\.leverage/m);
  assert.match(r.stdout, /^skip  database/m);
});

test.run();
