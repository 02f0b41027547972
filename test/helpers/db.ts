// A throwaway MariaDB database per test file: unique name, migrated, dropped afterwards.
// Guarantees tests never touch each other's data or the operator's databases.
import { randomBytes } from 'node:crypto';
import { connect, createPool, type Pool } from '../../src/store/pool.js';
import { ensureDatabase, ensureMode, migrate } from '../../src/store/migrate.js';
import { ensureEmbeddedDb } from '../../src/store/embedded.js';

export const DB_HOST_URL = process.env.BOSUN_TEST_DB_URL ?? 'mariadb://root@127.0.0.1:3306';

/**
 * The test server, as the daemon finds its own: when nothing answers at DB_HOST_URL (a local port), bosun's embedded
 * mariadbd is started there (var/mariadb/<port>). The test runner starts it once and stops it at the end; a test file
 * run alone leaves the one it started running for the next.
 */
let serverReady: Promise<unknown> | null = null;
// Adopting (owning) it keeps a daemon this test starts from adopting it, and stopping it when that daemon stops.
export const ensureTestServer = (): Promise<unknown> => (serverReady ??= ensureEmbeddedDb(`${DB_HOST_URL}/bosun_test`, { adopt: true }));

export interface TestDb {
  name: string;
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

export async function createTestDb(tag: string, opts: { migrate?: boolean; mode?: string } = {}): Promise<TestDb> {
  const name = `bosun_test_${tag.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const url = `${DB_HOST_URL}/${name}`;
  await ensureTestServer();
  await ensureDatabase(url, 3000);
  if (opts.migrate !== false) {
    const conn = await connect({ url, connectTimeoutMs: 3000, poolSize: 1, multipleStatements: true });
    try {
      await migrate(conn);
      await ensureMode(conn, opts.mode ?? 'paper', name);
    } finally {
      await conn.end();
    }
  }
  const pool = createPool({ url, connectTimeoutMs: 3000, poolSize: 4 });
  return {
    name, url, pool,
    async drop() {
      await pool.end().catch(() => undefined);
      const c = await connect({ url, connectTimeoutMs: 3000, poolSize: 1, noDatabase: true });
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await c.end();
      }
    },
  };
}
