import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MigrationError, ModeMismatchError } from '../../src/errors.js';
import { fromRoot } from '../../src/paths.js';
import { ensureMode, migrate, prepareDatabase, readMigrations } from '../../src/store/migrate.js';
import { connect } from '../../src/store/pool.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

let db: TestDb;
test.before(async () => {
  db = await createTestDb('migrate', { migrate: false });
});
test.after(async () => db.drop());

const withConn = async <T>(fn: (c: Awaited<ReturnType<typeof connect>>) => Promise<T>) => {
  const c = await connect({ url: db.url, connectTimeoutMs: 3000, poolSize: 1, multipleStatements: true });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
};

test('applies every migration once, records checksums, and is idempotent', async () => {
  const first = await withConn((c) => migrate(c));
  assert.ok(first.applied.length >= 1);
  assert.is(first.applied[0], '001_initial.sql');
  const again = await withConn((c) => migrate(c));
  assert.equal(again.applied, []);
  const rows = await db.pool.query<Array<{ version: number; checksum: string }>>('SELECT version, checksum FROM schema_migrations ORDER BY version');
  assert.is(rows.length, readMigrations().length);
  assert.is(rows[0]!.checksum.length, 64);
  const tables = (await db.pool.query<Array<Record<string, string>>>('SHOW TABLES')).map((r) => Object.values(r)[0]);
  for (const t of ['candles', 'snapshots', 'decisions', 'orders', 'fills', 'positions', 'equity_curve', 'notifications', 'logs', 'actor_state', 'meta']) assert.ok(tables.includes(t), t);
});

test('an applied migration that was edited is an error naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-sql-'));
  const ms = readMigrations(fromRoot('sql'));
  for (const m of ms) writeFileSync(join(dir, m.file), readFileSync(fromRoot('sql', m.file), 'utf8'));
  writeFileSync(join(dir, ms[0]!.file), `${ms[0]!.sql}\n-- edited\n`);
  const err = await withConn((c) => migrate(c, readMigrations(dir))).catch((e) => e);
  assert.instance(err, MigrationError);
  assert.match((err as Error).message, `${ms[0]!.file} was edited`);
});

test('a migration missing from disk is an error (database newer than the code)', async () => {
  const err = await withConn((c) => migrate(c, [])).catch((e) => e);
  assert.instance(err, MigrationError);
  assert.match((err as Error).message, 'not in sql/');
});

test('the database records its mode and refuses another one', async () => {
  await withConn((c) => ensureMode(c, 'paper', db.name));
  await withConn((c) => ensureMode(c, 'paper', db.name));
  const err = await withConn((c) => ensureMode(c, 'testnet', db.name)).catch((e) => e);
  assert.instance(err, ModeMismatchError);
  assert.match((err as Error).message, 'belongs to paper mode');
  const err2 = await prepareDatabase(db.url, 'mainnet', 3000).catch((e) => e);
  assert.instance(err2, ModeMismatchError);
});

test('DECIMAL money reads back as an exact string', async () => {
  await db.pool.query("INSERT INTO equity_curve (ts, equity, balance, unrealized_pnl, source) VALUES (1, '12345678901234567.123456789012', '0.1', '0.2', 't')");
  const [row] = await db.pool.query<Array<{ equity: string; balance: string }>>('SELECT equity, balance FROM equity_curve WHERE ts = 1');
  assert.is(row!.equity, '12345678901234567.123456789012');
  assert.is(typeof row!.balance, 'string');
});

test.run();
