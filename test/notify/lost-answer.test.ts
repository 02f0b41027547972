// Telegram accepted a message but its answer was lost (the client timed out): what bosun does, and that it holds. The Bot
// API has no idempotency key, so bosun chooses at-least-once: the row stays pending, the chat is marked "maybe", and the
// message is sent again with the same ref #N<id> and a note that it may be a repeat. A chat that surely got a message is
// never sent it again; a refused connection (nothing left) is retried without the note.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deliverNext } from '../../src/notify/deliver.js';
import { RESENT_NOTE } from '../../src/notify/format.js';
import { Outbox } from '../../src/notify/outbox.js';
import { TelegramClient } from '../../src/notify/telegram.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { FakeTelegram } from '../helpers/telegram-fake.js';
import { quietLog } from '../helpers/venue-server.js';

const TOKEN = '5550002:lost-answer-test-token';
const fake = new FakeTelegram(TOKEN);
let db: TestDb;
test.before(async () => {
  db = await createTestDb('lostanswer');
  await fake.start();
});
test.after(async () => {
  await fake.stop();
  await db.drop();
});

const row = async (id: number) => (await db.pool.query<Array<{ status: string; attempts: number; delivered_to: string | Record<string, string> }>>('SELECT status, attempts, delivered_to FROM notifications WHERE id = ?', [id]))[0]!;

test('accepted, answer lost: sent again with the same ref and a repeat note; the other chat gets it once; the row ends sent', async () => {
  const tg = new TelegramClient(TOKEN, { apiRoot: fake.apiRoot, requestTimeoutMs: 400, rateLimit: { globalPerSec: 30, perChatPerSec: 30, perGroupPerMin: 60 } });
  const outbox = new Outbox(db.pool, { deliver: true, coalesceMs: 0 });
  await outbox.record({ sourceId: 'lost-1', ts: 1, code: 'execution.stop_replaced', severity: 'critical', text: 'BTC position 7 had no stop-loss: placed again', symbol: 'BTC/USDT:USDT' });
  const [{ id }] = (await db.pool.query<Array<{ id: number }>>("SELECT id FROM notifications WHERE source_id = 'lost-1'")) as [{ id: number }];
  const chats = ['101', '202'];
  fake.loseAnswers = 1;
  const first = await deliverNext({ outbox, telegram: tg, chats, mode: 'paper', log: quietLog });
  assert.is(first.kind, 'retry', 'a lost answer is not a delivery');
  assert.is(fake.sentTo(101).length, 1, 'Telegram did show it');
  let r = await row(id);
  assert.is(r.status, 'pending');
  const delivered = typeof r.delivered_to === 'string' ? JSON.parse(r.delivered_to) : r.delivered_to;
  assert.match(delivered['101'], /^maybe: /);
  const second = await deliverNext({ outbox, telegram: tg, chats, mode: 'paper', log: quietLog });
  assert.equal(second, { kind: 'sent', id });
  const to101 = fake.sentTo(101).map((m) => m.text);
  assert.is(to101.length, 2, 'at least once: the chat may see it twice');
  assert.ok(to101.every((t) => t.includes(`ref #N${id}`)), 'the same ref both times');
  assert.not.ok(to101[0]!.includes(RESENT_NOTE));
  assert.ok(to101[1]!.includes(RESENT_NOTE), 'the second copy says it may be a repeat');
  assert.equal(fake.sentTo(202).map((m) => m.text.includes(RESENT_NOTE)), [false], 'the other chat got it once, plainly');
  r = await row(id);
  assert.equal([r.status, r.attempts], ['sent', 2]);
  assert.is(await deliverNext({ outbox, telegram: tg, chats, mode: 'paper', log: quietLog }).then((x) => x.kind), 'empty', 'nothing sent a third time');
});

test('nothing left (connection refused): retried later, sent once, without the repeat note', async () => {
  const outbox = new Outbox(db.pool, { deliver: true, coalesceMs: 0 });
  await outbox.record({ sourceId: 'down-1', ts: 2, code: 'daemon.started', severity: 'info', text: 'bosun started' });
  const port = fake.port;
  await fake.stop();
  const tg = new TelegramClient(TOKEN, { apiRoot: `http://127.0.0.1:${port}`, requestTimeoutMs: 400, rateLimit: { globalPerSec: 30, perChatPerSec: 30, perGroupPerMin: 60 } });
  const down = await deliverNext({ outbox, telegram: tg, chats: ['303'], mode: 'paper', log: quietLog });
  assert.is(down.kind, 'retry');
  await fake.start();
  const up = await deliverNext({ outbox, telegram: tg, chats: ['303'], mode: 'paper', log: quietLog });
  assert.is(up.kind, 'sent');
  assert.equal(fake.sentTo(303).map((m) => m.text.includes(RESENT_NOTE)), [false]);
});

test.run();
