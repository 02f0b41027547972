// The Telegram client against the loopback fake: form-encoded sends, per-chat pacing, and error classification
// (429 → retry after what Telegram asked, 403 → give up on that chat, down/5xx → retry), with the token never in an error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TelegramClient } from '../../src/notify/telegram.js';
import { FakeTelegram } from '../helpers/telegram-fake.js';

const TOKEN = '5550001:telegram-client-test-token';
const fake = new FakeTelegram(TOKEN);
test.before(() => fake.start());
test.after(() => fake.stop());

const client = (perChatPerSec = 30) =>
  new TelegramClient(TOKEN, { apiRoot: fake.apiRoot, requestTimeoutMs: 2000, rateLimit: { globalPerSec: 30, perChatPerSec, perGroupPerMin: 60 } });

test('messages go out form-encoded and in order; one chat is paced at its rate without holding up another chat', async () => {
  const c = client(1);
  assert.is(c.rateFor('123'), 1);
  assert.is(c.rateFor('-100123'), 1, 'groups: perGroupPerMin / 60');
  const first = Promise.all([c.send('1', 'a'), c.send('1', 'b')]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await c.send('2', 'x'), { ok: true });
  assert.equal(fake.sentTo(1).map((m) => m.text), ['a'], 'the second message to chat 1 waits for its slot (1/s)');
  assert.equal(await first, [{ ok: true }, { ok: true }]);
  assert.equal(fake.sentTo(1).map((m) => m.text), ['a', 'b']);
  assert.ok(fake.requests.every((r) => r.contentType === 'application/x-www-form-urlencoded'));
});

test('errors are classified and carry no token', async () => {
  const c = client();
  fake.failSends.push({ code: 429, description: 'Too Many Requests: retry after 7', retryAfter: 7 });
  assert.equal(await c.send('1', 'r'), { ok: false, kind: 'retry', error: '429: Too Many Requests: retry after 7', retryAfterMs: 7000 });
  fake.failSends.push({ code: 403, description: 'Forbidden: bot was blocked by the user' });
  assert.equal(await c.send('1', 'r'), { ok: false, kind: 'drop', error: '403: Forbidden: bot was blocked by the user' });
  fake.failSends.push({ code: 502, description: 'Bad Gateway' });
  assert.is(((await c.send('1', 'r')) as { kind: string }).kind, 'retry');
  await fake.stop();
  const down = await c.send('1', 'r');
  await fake.start();
  assert.is((down as { kind: string }).kind, 'retry');
  const wrong = new TelegramClient('1:wrong-token-value', { apiRoot: fake.apiRoot, requestTimeoutMs: 2000, rateLimit: { globalPerSec: 30, perChatPerSec: 30, perGroupPerMin: 60 } });
  const unauthorized = await wrong.send('1', 'r');
  assert.equal(unauthorized, { ok: false, kind: 'retry', error: '401: Unauthorized' }, 'a wrong token keeps the backlog for when it is fixed');
  for (const r of [down, unauthorized]) assert.not.match(JSON.stringify(r), TOKEN);
});

test.run();
