// Telegram commands: only allowlisted chats, zod-validated input, /flatten only with a fresh single-use code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandHandler, parseCommand } from '../../src/notify/commands.js';

const update = (chatId: number, text: string, id = 1) => ({ update_id: id, message: { message_id: id, date: 0, chat: { id: chatId, type: 'private' }, from: { id: chatId, is_bot: false, first_name: 'x', username: 'op' }, text } });

function harness() {
  let wall = 0;
  const calls: Array<{ cmd: string; args?: Record<string, unknown> }> = [];
  const replies: Array<{ chat: string; text: string }> = [];
  const warns: object[] = [];
  const h = new CommandHandler({
    allowed: new Set(['111']),
    control: async (cmd, args) => {
      calls.push({ cmd, ...(args ? { args } : {}) });
      return cmd === 'flatten' ? { ok: true, result: { closing: [] } } : { ok: true };
    },
    reply: async (chat, text) => void replies.push({ chat, text }),
    log: { warn: (o) => void warns.push(o), info: () => undefined },
    confirmTtlMs: 60_000,
    wallNow: () => wall,
  });
  return { h, calls, replies, warns, tick: (ms: number) => (wall += ms) };
}

test('parsing: names, @bot suffixes, arguments are validated', () => {
  assert.equal(parseCommand('/pause'), { ok: true, command: { name: 'pause', args: [] } });
  assert.equal(parseCommand('/Flatten@bosun_bot 123456'), { ok: true, command: { name: 'flatten', args: ['123456'] } });
  assert.is(parseCommand('hello'), null);
  const bad = parseCommand('/pause now')!;
  assert.is(bad.ok, false);
  assert.match((bad as { error: string }).error, 'usage: /pause');
  assert.match((parseCommand('/flatten 12') as { error: string }).error, 'six digits');
  assert.match((parseCommand('/rm -rf') as { error: string }).error, 'unknown command /rm');
});

test('an unknown chat is ignored and logged: no control call, no reply, whatever it sends', async () => {
  const { h, calls, replies, warns } = harness();
  for (const t of ['/flatten', '/flatten 000000', '/pause', '/status']) assert.is(await h.handle(update(999, t)), 'unauthorized');
  assert.equal(calls, []);
  assert.equal(replies, []);
  assert.is(warns.length, 4);
  assert.equal(warns[0], { chatId: '999', fromId: 999, chatType: 'private' });
});

test('malformed updates are dropped by the schema', async () => {
  const { h, calls } = harness();
  assert.is(await h.handle({ update_id: 'x' }), 'ignored');
  assert.is(await h.handle({ update_id: 5, message: { chat: { id: 'abc' } } }), 'ignored');
  assert.is(await h.handle({ update_id: 6 }), 'ignored');
  assert.equal(calls, []);
});

test('/flatten asks first; only the fresh code of the same chat acts, once', async () => {
  const { h, calls, replies, tick } = harness();
  await h.handle(update(111, '/flatten'));
  const code = /\/flatten (\d{6})/.exec(replies.at(-1)!.text)![1]!;
  await h.handle(update(111, `/flatten ${code === '000000' ? '000001' : '000000'}`));
  assert.match(replies.at(-1)!.text, 'no matching confirmation');
  await h.handle(update(111, `/flatten ${code}`));
  assert.match(replies.at(-1)!.text, 'no matching confirmation', 'a wrong code spends the confirmation');
  await h.handle(update(111, '/flatten'));
  const code2 = /\/flatten (\d{6})/.exec(replies.at(-1)!.text)![1]!;
  tick(61_000);
  await h.handle(update(111, `/flatten ${code2}`));
  assert.match(replies.at(-1)!.text, 'expired');
  await h.handle(update(111, '/flatten'));
  const code3 = /\/flatten (\d{6})/.exec(replies.at(-1)!.text)![1]!;
  await h.handle(update(111, `/flatten ${code3}`));
  assert.match(replies.at(-1)!.text, 'flatten done by telegram:111 (@op)');
  await h.handle(update(111, `/flatten ${code3}`));
  assert.equal(calls.filter((c) => c.cmd === 'flatten'), [{ cmd: 'flatten', args: { by: 'telegram:111 (@op)', source: 'telegram' } }]);
});

test('/pause and /resume go to the control socket with who sent them', async () => {
  const { h, calls, replies } = harness();
  await h.handle(update(111, '/pause'));
  await h.handle(update(111, '/resume'));
  assert.equal(calls, [{ cmd: 'pause', args: { by: 'telegram:111 (@op)', source: 'telegram' } }, { cmd: 'resume', args: { by: 'telegram:111 (@op)', source: 'telegram' } }]);
  assert.match(replies[0]!.text, 'paused by telegram:111');
});

test.run();
