// The notifier in the real daemon against a loopback fake of the Telegram Bot API: order, an outage with a notifier
// crash in the middle (nothing lost, nothing twice), coalescing, commands from allowed and unknown chats, the stop
// message delivered before exit, and the bot token absent from logs, DB and status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from '../../src/control/socket.js';
import type { AlertPayload } from '../../src/protocol/index.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { FakeTelegram } from '../helpers/telegram-fake.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = '4242424242:AAF-bosun-test-token-do-not-leak';
const CHAT = 111;
const INTRUDER = 999;

let db: TestDb;
let fake: FakeTelegram;
let d: DaemonHandle | null = null;

test.before(async () => {
  db = await createTestDb('notifier', { migrate: false });
  fake = new FakeTelegram(TOKEN);
  await fake.start();
});
test.after(async () => {
  await d?.stop('SIGKILL');
  await fake.stop();
  await db.drop();
});

const alert = (code: string, text: string, severity: AlertPayload['severity'] = 'warning'): AlertPayload => ({ severity, code, text });
const publish = (alerts: AlertPayload[]) => request(d!.socket, 'test.alert', { alerts });
const rows = (where: string) =>
  db.pool.query<Array<{ id: number; code: string; status: string; attempts: number; repeats: number; text: string }>>(`SELECT id, code, status, attempts, repeats, text FROM notifications WHERE ${where} ORDER BY id`);
const texts = () => fake.sentTo(CHAT).map((m) => m.text);

test('telegram end to end: order, outage with a notifier crash, coalescing, commands, stop message', async () => {
  d = startDaemon({
    dbUrl: db.url,
    env: { BOSUN_TELEGRAM_TOKEN: TOKEN },
    overrides: {
      notifier: {
        telegram: { enabled: true, chatIds: [CHAT], apiRoot: fake.apiRoot, pollTimeoutSec: 1, rateLimit: { globalPerSec: 30, perChatPerSec: 30, perGroupPerMin: 60 } },
        retry: { initialMs: 100, maxMs: 400 },
        drainMs: 3000,
      },
    },
  });
  await d.waitRunning();
  await waitFor('the start message', () => texts().some((t) => t.includes('bosun started') && t.includes('[PAPER]')), 10_000);
  assert.ok(fake.requests.every((r) => r.contentType === 'application/x-www-form-urlencoded'), 'form-encoded, as the library sends');

  // 1. In order: what reaches the chat is exactly the stored rows, oldest first.
  await publish([1, 2, 3, 4, 5].map((i) => alert(`test.order.${i}`, `order ${i}`)));
  await waitFor('five ordered alerts delivered', () => [1, 2, 3, 4, 5].every((i) => texts().some((t) => t.includes(`order ${i}`))), 10_000);
  const order = texts().filter((t) => t.includes('order ')).map((t) => /order (\d)/.exec(t)![1]);
  assert.equal(order, ['1', '2', '3', '4', '5']);

  // 2. Telegram goes down; alerts keep coming, repeats fold into one, the notifier crashes in the middle.
  await fake.stop();
  await publish([alert('test.down.1', 'down 1'), alert('test.down.2', 'down 2'), alert('test.flood', 'flood'), alert('test.flood', 'flood'), alert('test.flood', 'flood'), alert('test.down.3', 'down 3')]);
  await waitFor('all six recorded, and delivery retried while Telegram is down', async () =>
    (await rows("code LIKE 'test.down.%' OR code = 'test.flood'")).length === 6 && (await rows("status = 'pending' AND attempts >= 2")).length >= 1, 10_000);
  await request(d.socket, 'test.crash', { actor: 'notifier' });
  await waitFor('notifier restarted', async () => {
    const a = (await d!.status()).actors.find((x) => x.id === 'notifier')!;
    return a.restarts === 1 && a.lifecycle === 'running';
  }, 10_000);
  await publish([alert('test.down.4', 'down 4')]);
  await waitFor('the new incarnation records while still down', async () => (await rows("code = 'test.down.4'")).length === 1, 10_000);
  const pending = await rows("status = 'pending'");
  assert.ok(pending.length >= 5, `pending while down: ${pending.length}`);
  const flood = await rows("code = 'test.flood'");
  assert.equal(flood.map((r) => r.status), ['pending', 'coalesced', 'coalesced']);
  assert.is(flood[0]!.repeats, 2);

  // 3. Telegram returns: the backlog goes out oldest first, every row once.
  await fake.start();
  await waitFor('the backlog delivered', async () => (await rows("status = 'pending'")).length === 0, 15_000, 100);
  const down = texts().filter((t) => /down \d|flood/.test(t)).map((t) => /down \d|flood/.exec(t)![0]);
  assert.equal(down, ['down 1', 'down 2', 'flood', 'down 3', 'down 4']);
  assert.match(texts().find((t) => t.includes('flood'))!, '×3');
  for (const row of await rows("status = 'sent'")) assert.is(texts().filter((t) => t.includes(row.text)).length, 1, `row ${row.id} (${row.code}) reached the chat exactly once`);
  assert.is(new Set(texts()).size, texts().length, 'no text delivered twice');

  // 4. Commands: an unknown chat is ignored; the allowlisted chat can ask and act (flatten asks first).
  const before = fake.confirmed;
  fake.pushMessage(INTRUDER, '/flatten', 'mallory');
  fake.pushMessage(INTRUDER, '/flatten 123456', 'mallory');
  fake.pushMessage(INTRUDER, '/pause', 'mallory');
  fake.pushMessage(CHAT, '/status', 'op');
  fake.pushMessage(CHAT, '/flatten', 'op');
  const ask = await waitFor('flatten asks for confirmation', () => fake.sentTo(CHAT).find((m) => m.text.includes('To confirm, send /flatten')), 10_000);
  assert.ok(fake.sentTo(CHAT).some((m) => m.text.includes('bosun PAPER')), '/status answered');
  const code = /\/flatten (\d{6})/.exec(ask.text)![1]!;
  fake.pushMessage(CHAT, `/flatten ${code}`, 'op');
  // A flatten waits up to 15 s for the exchange to show flat, after the work queued before it (operator budget 60 s).
  await waitFor('flatten done', () => fake.sentTo(CHAT).some((m) => m.text.startsWith('flatten done by telegram:111 (@op)')), 60_000);
  fake.pushMessage(CHAT, '/pause', 'op');
  await waitFor('paused from Telegram (the notifier itself is paused on the way: no deadlock)', () => fake.sentTo(CHAT).some((m) => m.text.startsWith('paused by telegram:111 (@op)')), 10_000);
  assert.is((await d.status()).risk.pausedBy, 'telegram:111 (@op)');
  fake.pushMessage(CHAT, '/resume', 'op');
  await waitFor('resumed from Telegram', () => fake.sentTo(CHAT).some((m) => m.text.startsWith('resumed by telegram:111 (@op)')), 10_000);
  assert.ok(fake.confirmed > before + 7, 'every update was consumed');
  assert.is(fake.sentTo(INTRUDER).length, 0, 'nothing is ever sent to an unknown chat');
  const actions = await db.pool.query<Array<{ action: string; by_whom: string; source: string; status: string }>>('SELECT action, by_whom, source, status FROM operator_actions ORDER BY id');
  assert.equal(actions, ['flatten', 'pause', 'resume'].map((action) => ({ action, by_whom: 'telegram:111 (@op)', source: 'telegram', status: 'ok' })), 'only the allowed chat acted, flatten only once confirmed');
  const ignored = await waitFor('the ignored chat logged in the logs table', async () =>
    (await db.pool.query<Array<{ data: string }>>("SELECT data FROM logs WHERE level = 'warn' AND msg LIKE 'ignored a Telegram message%'")).length >= 3, 5000);
  assert.ok(ignored);
  const st = await waitFor('status counts the ignored messages (heartbeat)', async () => {
    const s = await d!.status();
    return (s.actors.find((a) => a.id === 'notifier')!.details.commands as { unauthorized: number }).unauthorized === 3 ? s : null;
  }, 5000);
  assert.match(st.notifications.telegram, 'on (1 chat)');

  // 5. Stop: the stop message reaches the chat before the process exits.
  const r = await d.stop('SIGTERM');
  assert.is(r.code, 0, d.output().slice(-2000));
  assert.ok(texts().some((t) => t.includes('bosun stopping in PAPER mode')), 'stop message delivered');
  assert.equal((await rows("code = 'daemon.stopping'")).map((x) => x.status), ['sent']);

  // 6. The token is in no log line, no DB row, no status document.
  const dump = JSON.stringify(await Promise.all(['notifications', 'logs', 'operator_actions', 'meta', 'actor_state'].map((t) => db.pool.query(`SELECT * FROM ${t}`))));
  for (const where of [d.output(), dump, JSON.stringify(st)]) assert.not.ok(where.includes(TOKEN) || where.includes('AAF-bosun-test-token'), 'token leaked');
  d = null;
});

test.run();
