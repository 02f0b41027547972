// Transactions on a pool connection: commit on success, roll back on any error, always release.
// Guarantees a failed unit of work leaves nothing half-written.
import type { Pool, PoolConnection } from 'mariadb';

export async function inTx<T>(pool: Pool, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const out = await fn(conn);
    await conn.commit();
    return out;
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  } finally {
    await conn.release();
  }
}
