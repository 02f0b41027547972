// WARN and above reach the `logs` table, scrubbed, without blocking; with the DB unreachable nothing throws and the
// queue stays bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeLogger, createLogger, dbSinkOf } from '../../src/log/logger.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

let db: TestDb;
test.before(async () => {
  db = await createTestDb('dbsink');
});
test.after(async () => db.drop());

test('warn, error and fatal lines go to the logs table with their fields; info does not; secrets are scrubbed', async () => {
  process.env.BOSUN_API_SECRET = 'sink-secret-value-123';
  const out: string[] = [];
  const log = createLogger({ level: 'info', name: 'tester', destination: { write: (s: string) => void out.push(s) }, db: { url: db.url, connectTimeoutMs: 2000, level: 'warn' } });
  delete process.env.BOSUN_API_SECRET;
  log.info('not stored');
  log.warn({ symbol: 'BTC/USDT:USDT', apiKey: 'k-should-vanish' }, 'drift with sink-secret-value-123');
  log.error({ err: 'boom' }, 'failed');
  try {
    const rows = await waitFor('two rows in logs', async () => {
      const r = await db.pool.query<Array<{ level: string; actor: string; msg: string; data: unknown }>>('SELECT level, actor, msg, data FROM logs ORDER BY id');
      return r.length === 2 ? r : null;
    }, 5000);
    assert.equal(rows.map((r) => [r.level, r.actor, r.msg]), [['warn', 'tester', 'drift with [REDACTED]'], ['error', 'tester', 'failed']]);
    const data = rows[0]!.data;
    assert.equal(typeof data === 'string' ? JSON.parse(data) : data, { symbol: 'BTC/USDT:USDT', apiKey: '[REDACTED]' });
    assert.is(out.length, 3, 'stdout still gets every line');
  } finally {
    await closeLogger(log);
  }
});

test('with the database unreachable, logging goes on, nothing throws, and the queue is bounded', async () => {
  const out: string[] = [];
  const log = createLogger({ level: 'info', name: 'tester', destination: { write: (s: string) => void out.push(s) }, db: { url: 'mariadb://root@127.0.0.1:1/nowhere', connectTimeoutMs: 200, level: 'warn' } });
  try {
    for (let i = 0; i < 1500; i++) log.warn({ i }, 'db is down');
    await new Promise((r) => setTimeout(r, 700));
    const sink = dbSinkOf(log)!;
    assert.is(out.length, 1500);
    assert.ok(sink.dropped >= 500, `dropped ${sink.dropped}`);
    await waitFor('the failure is recorded', () => sink.lastError !== null, 5000);
  } finally {
    await closeLogger(log, 300);
  }
});

test.run();
