// Forward-only migrations from sql/NNN_name.sql, checksummed, applied in order under a lock.
// Guarantees: an applied migration that was edited (or removed) is an error; the DB records its mode.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationError, ModeMismatchError } from '../errors.js';
import { fromRoot } from '../paths.js';
import { connect, parseDbUrl, type Conn } from './pool.js';

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = fromRoot('sql')): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!m) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    out.push({ version: Number(m[1]), name: m[2]!, file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  const versions = out.map((m) => m.version);
  const dup = versions.find((v, i) => versions.indexOf(v) !== i);
  if (dup !== undefined) throw new MigrationError(`two migrations share version ${dup} in ${dir}`);
  return out;
}

export interface MigrateResult {
  applied: string[];
  current: number;
}

/** Creates the database if the user may, so a fresh machine needs no manual SQL. */
export async function ensureDatabase(url: string, connectTimeoutMs: number): Promise<void> {
  const { database } = parseDbUrl(url);
  const conn = await connect({ url, connectTimeoutMs, poolSize: 1, noDatabase: true });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await conn.end();
  }
}

export async function migrate(conn: Conn, migrations = readMigrations(), now = Date.now()): Promise<MigrateResult> {
  const [lock] = await conn.query<Array<{ l: number | null }>>("SELECT GET_LOCK('bosun_migrate', 30) AS l");
  if (lock?.l !== 1) throw new MigrationError('another process holds the migration lock (bosun_migrate) for over 30 s');
  try {
    await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INT NOT NULL PRIMARY KEY,
      name VARCHAR(128) NOT NULL,
      checksum CHAR(64) NOT NULL,
      applied_at BIGINT NOT NULL
    ) ENGINE=InnoDB`);
    const rows = await conn.query<Array<{ version: number; name: string; checksum: string }>>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const onDisk = new Map(migrations.map((m) => [m.version, m]));
    for (const r of rows) {
      const m = onDisk.get(r.version);
      if (!m) throw new MigrationError(`the database has migration ${r.version} (${r.name}) that is not in sql/: is this bosun older than the database?`);
      if (m.checksum !== r.checksum) {
        throw new MigrationError(`migration ${m.file} was edited after it was applied (checksum ${r.checksum.slice(0, 12)} in the database, ${m.checksum.slice(0, 12)} on disk): add a new migration instead of editing an applied one`);
      }
    }
    const done = new Set(rows.map((r) => r.version));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        await conn.query(m.sql);
      } catch (err) {
        throw new MigrationError(`migration ${m.file} failed: ${(err as Error).message}`, { cause: err });
      }
      await conn.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [m.version, m.name, m.checksum, now]);
      applied.push(m.file);
    }
    return { applied, current: Math.max(0, ...migrations.map((m) => m.version)) };
  } finally {
    await conn.query("SELECT RELEASE_LOCK('bosun_migrate')");
  }
}

/** Records the mode in a fresh database; refuses a database that belongs to another mode. */
export async function ensureMode(conn: Conn, mode: string, dbName: string, now = Date.now()): Promise<void> {
  const rows = await conn.query<Array<{ v: string }>>("SELECT v FROM meta WHERE k = 'mode'");
  const recorded = rows[0]?.v;
  if (recorded === undefined) {
    await conn.query("INSERT INTO meta (k, v, updated_at) VALUES ('mode', ?, ?)", [mode, now]);
    return;
  }
  if (recorded !== mode) {
    throw new ModeMismatchError(
      `database "${dbName}" belongs to ${recorded} mode, but this config runs ${mode} mode: point db.url (or BOSUN_DB_URL) at a ${mode} database. Each mode keeps its own database so paper fills never mix with real ones.`,
    );
  }
}

/** The mode the database has recorded, or null (no such database, no meta table yet, or no stamp). Changes nothing. */
export async function recordedMode(url: string, connectTimeoutMs: number): Promise<string | null> {
  const { database } = parseDbUrl(url);
  const conn = await connect({ url, connectTimeoutMs, poolSize: 1, noDatabase: true });
  try {
    const rows = await conn.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, 'meta']);
    if (!Number(rows[0]?.n)) return null;
    const v = await conn.query<Array<{ v: string }>>(`SELECT v FROM \`${database}\`.meta WHERE k = 'mode'`);
    return v[0]?.v ?? null;
  } finally {
    await conn.end();
  }
}

/**
 * Connects, creates the database if needed, checks the mode it recorded (before migrating anything), migrates, stamps a
 * fresh database with the mode. Used by `run` and `migrate`.
 */
export async function prepareDatabase(url: string, mode: string, connectTimeoutMs: number): Promise<MigrateResult> {
  await ensureDatabase(url, connectTimeoutMs);
  const recorded = await recordedMode(url, connectTimeoutMs);
  if (recorded !== null && recorded !== mode) {
    throw new ModeMismatchError(
      `database "${parseDbUrl(url).database}" belongs to ${recorded} mode, but this config runs ${mode} mode: point db.url (or BOSUN_DB_URL) at a ${mode} database. Each mode keeps its own database so paper fills never mix with real ones.`,
    );
  }
  const conn = await connect({ url, connectTimeoutMs, poolSize: 1, multipleStatements: true });
  try {
    const result = await migrate(conn);
    await ensureMode(conn, mode, parseDbUrl(url).database);
    return result;
  } finally {
    await conn.end();
  }
}
