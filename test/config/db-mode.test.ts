// Config rules of issue 18: fix texts for fields that must be above zero; `config check` refuses a mainnet config whose
// database is named or stamped for another mode; `bosun run` stamps and migrates nothing before the key and mode checks.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { databaseNameProblem, modesNamed } from '../../src/config/db-mode.js';
import { loadConfig } from '../../src/config/load.js';
import { recordedMode } from '../../src/store/migrate.js';
import { connect } from '../../src/store/pool.js';
import { tempDir, testConfig, writeConfig } from '../helpers/config.js';
import { BOSUN } from '../helpers/daemon.js';
import { createTestDb, DB_HOST_URL, type TestDb } from '../helpers/db.js';

const dbs: TestDb[] = [];
test.after(async () => {
  for (const d of dbs) await d.drop().catch(() => undefined);
});

const cli = (args: string[], env: Record<string, string> = {}) => {
  const { BOSUN_API_KEY: _k, BOSUN_API_SECRET: _s, BOSUN_DB_URL: _d, ...base } = process.env;
  return spawnSync(process.execPath, [BOSUN, ...args], { encoding: 'utf8', env: { ...base, ...env } });
};

test('a field that must be above zero says "> 0" in its fix; one that may be zero says "≥ 0"', () => {
  const dir = tempDir('fix');
  const bad = (o: Record<string, unknown>) => {
    try {
      loadConfig(writeConfig(dir, o));
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };
  assert.match(bad({ risk: { maxNotionalPctEquity: 0 } }), /\$\.risk\.maxNotionalPctEquity: .* — fix: use a value > 0/);
  assert.match(bad({ risk: { minNotional: -1 } }), /\$\.risk\.minNotional: .* — fix: use a value ≥ 0/);
  assert.match(bad({ symbols: [] }), /\$\.symbols: .* — fix: give at least 1 item/);
});

test('database names: a mainnet config pointed at a database named for another mode is refused; names without a mode word pass', () => {
  assert.equal([...modesNamed('bosun_paper')], ['paper']);
  assert.equal([...modesNamed('bosun-demo_x')], ['testnet']);
  assert.equal([...modesNamed('bosun_test_paperx_1')], []);
  const main = (db: string) => testConfig({ db: { url: `mariadb://root@127.0.0.1:3306/${db}` } }, 'mainnet');
  assert.match(databaseNameProblem(main('bosun_paper'))!, /named for paper mode, but this config runs mainnet/);
  assert.match(databaseNameProblem(main('bosun_testnet'))!, /testnet/);
  assert.is(databaseNameProblem(main('bosun_mainnet')), null);
  assert.is(databaseNameProblem(main('trading')), null);
  assert.is(databaseNameProblem(testConfig({ db: { url: 'mariadb://root@127.0.0.1:3306/bosun_mainnet' } })), null, 'only mainnet configs are held to their name');
});

test('bosun config check refuses a mainnet config whose database is named or stamped for another mode (exit 78), and passes its own', async () => {
  const dir = tempDir('cc');
  const named = cli(['config', 'check', writeConfig(dir, { db: { url: `${DB_HOST_URL}/bosun_paper` } }, 'mainnet')]);
  assert.is(named.status, 78, named.stdout + named.stderr);
  assert.match(named.stderr, /named for paper mode/);
  const paperDb = await createTestDb('ccstamp', { mode: 'paper' });
  dbs.push(paperDb);
  const stamped = cli(['config', 'check', writeConfig(dir, { db: { url: paperDb.url } }, 'mainnet')]);
  assert.is(stamped.status, 78, stamped.stdout + stamped.stderr);
  assert.match(stamped.stderr, /belongs to paper mode, but this config runs mainnet/);
  const mainDb = await createTestDb('ccmain', { mode: 'mainnet' });
  dbs.push(mainDb);
  const ok = cli(['config', 'check', writeConfig(dir, { db: { url: mainDb.url } }, 'mainnet')]);
  assert.is(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stderr, /stamped mainnet/);
});

test('bosun run on mainnet without keys stops before anything is created, migrated or stamped; a database of another mode is refused before migrating', async () => {
  const dir = tempDir('run');
  const name = `bosun_test_nokeys_${process.pid}`;
  const url = `${DB_HOST_URL}/${name}`;
  const r = cli(['run', '--confirm-mainnet', '--config', writeConfig(dir, { db: { url } }, 'mainnet')]);
  assert.is(r.status, 78, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /BOSUN_API_KEY/);
  const c = await connect({ url, connectTimeoutMs: 3000, poolSize: 1, noDatabase: true });
  try {
    const rows = await c.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
    assert.is(Number(rows[0]!.n), 0, 'no database was created');
  } finally {
    await c.end();
  }
  // A paper database at an older migration level, run as testnet (keys given): refused, and not migrated.
  const paperDb = await createTestDb('runstamp', { mode: 'paper' });
  dbs.push(paperDb);
  await paperDb.pool.query('DELETE FROM schema_migrations WHERE version = (SELECT v FROM (SELECT MAX(version) AS v FROM schema_migrations) x)');
  const before = (await paperDb.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM schema_migrations'))[0]!.n;
  const t = cli(['run', '--config', writeConfig(dir, { db: { url: paperDb.url } }, 'testnet')], { BOSUN_API_KEY: 'k', BOSUN_API_SECRET: 's' });
  assert.is(t.status, 78, t.stdout + t.stderr);
  assert.match(t.stdout + t.stderr, /belongs to paper mode/);
  const after = (await paperDb.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM schema_migrations'))[0]!.n;
  assert.is(Number(after), Number(before), 'nothing migrated');
  assert.is(await recordedMode(paperDb.url, 3000), 'paper');
});

test.run();
