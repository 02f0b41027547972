// The notifications outbox on MariaDB: one row per message, repeats folded, per-chat progress kept, oldest first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Notice } from '../../machines/notifier.machine.js';
import { telegramText } from '../../src/notify/format.js';
import { Outbox } from '../../src/notify/outbox.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

let db: TestDb;
test.before(async () => {
  db = await createTestDb('outbox');
});
test.after(async () => db.drop());
test.before.each(async () => {
  await db.pool.query('DELETE FROM notifications');
});

let wall = 1_000_000;
const n = (id: string, code = 'reconcile.position_drift', severity: Notice['severity'] = 'warning', text = id): Notice => ({ sourceId: id, ts: 1, code, severity, text, symbol: 'BTC/USDT:USDT' });
const box = (deliver = true) => new Outbox(db.pool, { deliver, coalesceMs: 60_000, wallNow: () => wall, scrub: (s) => s.split('s3cr3t').join('[REDACTED]') });
const all = () => db.pool.query<Array<{ id: number; source_id: string; code: string; severity: string; status: string; repeats: number; coalesced_into: number | null; text: string }>>('SELECT id, source_id, code, severity, status, repeats, coalesced_into, text FROM notifications ORDER BY id');

test('a redelivered bus message never makes a second row', async () => {
  const o = box();
  assert.is(await o.record(n('m1', 'daemon.started', 'info')), 'inserted');
  assert.is(await o.record(n('m1', 'daemon.started', 'info')), 'duplicate');
  assert.is((await all()).length, 1);
});

test('repeats within the window fold into the pending row (×N); after it went out they are held back and counted in the next one', async () => {
  const o = box();
  await o.record(n('a1'));
  wall += 1000;
  assert.is(await o.record(n('a2')), 'coalesced');
  assert.is(await o.record(n('a3')), 'coalesced');
  assert.is(await o.record(n('a3')), 'duplicate');
  let rows = await all();
  assert.equal(rows.map((r) => r.status), ['pending', 'coalesced', 'coalesced']);
  assert.is(rows[0]!.repeats, 2);
  assert.match(telegramText(rows[0]!, 'paper'), '×3');
  await o.finish(rows[0]!.id, 'sent', null);
  wall += 1000;
  assert.is(await o.record(n('a4')), 'coalesced', 'still within the window: held back');
  wall += 60_000;
  assert.is(await o.record(n('a5')), 'inserted', 'after the window: a new message');
  rows = await all();
  assert.match(rows.at(-1)!.text, '1 more like this were held back');
  assert.is(await o.record(n('info1', 'position.opened', 'info')), 'inserted');
  assert.is(await o.record(n('info2', 'position.opened', 'info')), 'inserted', 'trades are never folded');
});

test('oldest pending first; per-chat progress survives; errors are scrubbed; logged rows never wait for Telegram', async () => {
  const o = box();
  await o.record(n('x1', 'daemon.started', 'info'));
  await o.record(n('x2', 'daemon.stopping', 'info'));
  const first = (await o.oldestPending())!;
  assert.is(first.source_id, 'x1');
  await o.markChats(first.id, { '111': 'sent' });
  await o.markChats(first.id, { '111': 'sent', '-100200': 'failed: 403 Forbidden' });
  await o.markAttempt(first.id, 'connection refused near s3cr3t');
  const again = (await o.oldestPending())!;
  assert.equal(again.delivered, { '111': 'sent', '-100200': 'failed: 403 Forbidden' });
  assert.is(again.attempts, 1);
  const [row] = await db.pool.query<Array<{ last_error: string }>>('SELECT last_error FROM notifications WHERE id = ?', [first.id]);
  assert.is(row!.last_error, 'connection refused near [REDACTED]');
  await o.finish(first.id, 'sent', null);
  assert.is((await o.oldestPending())!.source_id, 'x2');
  assert.is((await o.backlog()).pending, 1);
  await box(false).record(n('x3', 'daemon.started', 'info'));
  assert.equal((await all()).map((r) => r.status), ['sent', 'pending', 'logged']);
});

test.run();
