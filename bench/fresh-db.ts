// A migrated paper database for one benchmark, on the test server (BOSUN_TEST_DB_URL or local root).
// Guarantees a unique name per call and that drop() removes it and closes the pool.
import { randomBytes } from 'node:crypto';
import { ensureDatabase, ensureMode, migrate } from '../src/store/migrate.js';
import { connect, createPool, type Pool } from '../src/store/pool.js';

export async function freshDb(tag: string): Promise<{ url: string; pool: Pool; drop(): Promise<void> }> {
  const host = process.env.BOSUN_TEST_DB_URL ?? 'mariadb://root@127.0.0.1:3306';
  const name = `bosun_bench_${tag}_${randomBytes(3).toString('hex')}`;
  const url = `${host}/${name}`;
  await ensureDatabase(url, 3000);
  const c = await connect({ url, connectTimeoutMs: 3000, poolSize: 1, multipleStatements: true });
  await migrate(c);
  await ensureMode(c, 'paper', name);
  await c.end();
  const pool = createPool({ url, connectTimeoutMs: 3000, poolSize: 4 });
  return { url, pool, drop: async () => { await pool.query(`DROP DATABASE \`${name}\``); await pool.end(); } };
}
