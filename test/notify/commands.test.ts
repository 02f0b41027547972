// Telegram commands: only allowlisted chats, zod-validated input, /flatten only with a fresh single-use code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommandHandler, parseCommand } from '../../src/notify/commands.js';

const update = (chatId: number, text: string, id = 1) => ({ update_id: id, message: { message_id: id, date: 0, chat: { id: chatId, type: 'private' }, from: { id: chatId, is_bot: false, first_name: 'x', username: 'op' }, text } });

const QUERY_ANSWERS: Record<string, unknown> = {
  trades: [{ id: 1, symbol: 'BTC/USDT:USDT', side: 'long', qty: '0.01', entryPrice: '60000', exitPrice: '60600', netPnl: '5.5', exitReason: 'tp', closedAt: Date.UTC(2024, 2, 12, 10) }],
  profit: { closedTrades: 3, openTrades: 1, wins: 2, losses: 1, winRate: 2 / 3, netPnl: '12.5', grossProfit: '20', grossLoss: '7.5', fees: '1.2', funding: '0', profitFactor: 2.6667, bestSymbol: 'BTC/USDT:USDT', firstTradeAt: 0, lastTradeAt: 0, avgHoldMs: 1 },
  pnl: [{ start: '2024-03-12', from: 0, trades: 2, wins: 1, netPnl: '3.25', fees: '0.5' }, { start: '2024-03-11', from: 0, trades: 0, wins: 0, netPnl: '0', fees: '0' }],
  performance: [{ symbol: 'ETH/USDT:USDT', trades: 2, wins: 2, winRate: 1, netPnl: '9' }, { symbol: 'BTC/USDT:USDT', trades: 1, wins: 0, winRate: 0, netPnl: '-1' }],
  count: { open: 1, max: 3, symbols: ['BTC/USDT:USDT'] },
  logs: [{ id: 1, ts: Date.UTC(2024, 2, 12), level: 'warn', actor: 'execution', msg: 'stop replaced', data: null }],
};

function harness() {
  let wall = 0;
  const calls: Array<{ cmd: string; args?: Record<string, unknown> }> = [];
  const replies: Array<{ chat: string; text: string }> = [];
  const warns: object[] = [];
  const h = new CommandHandler({
    allowed: new Set(['111']),
    control: async (cmd, args) => {
      calls.push({ cmd, ...(args ? { args } : {}) });
      if (cmd === 'query') return QUERY_ANSWERS[String(args?.name)];
      return cmd === 'flatten' || cmd === 'force-exit' ? { ok: true, result: { closing: [] } } : { ok: true, result: {} };
    },
    symbols: ['BTC/USDT:USDT', 'ETH/USDT:USDT'],
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

test('reads go to the query layer by name, with their arguments; the answers are formatted', async () => {
  const { h, calls, replies } = harness();
  for (const t of ['/trades 5', '/profit', '/daily 2', '/weekly', '/monthly 6', '/performance', '/count', '/logs']) await h.handle(update(111, t));
  assert.equal(calls.map((c) => c.args), [
    { name: 'trades', args: { limit: 5 } }, { name: 'profit', args: {} }, { name: 'pnl', args: { period: 'day', n: 2 } }, { name: 'pnl', args: { period: 'week', n: 4 } },
    { name: 'pnl', args: { period: 'month', n: 6 } }, { name: 'performance', args: {} }, { name: 'count', args: {} }, { name: 'logs', args: { limit: 10 } },
  ]);
  const t = replies.map((r) => r.text);
  assert.is(t[0], '2024-03-12 10:00 long 0.01 BTC/USDT:USDT 60000 → 60600 · net 5.50 (tp)');
  assert.match(t[1]!, 'closed trades 3 (open 1) · won 2, lost 1 · win rate 66.7 %');
  assert.is(t[2], 'PnL per day (closed trades)\n2024-03-12: 3.25 · 2 trades, 1 won\n2024-03-11: 0.00 · 0 trades');
  assert.match(t[5]!, '1. ETH/USDT:USDT: 9.00 · 2 trades · win rate 100 %');
  assert.is(t[6], 'open positions: 1 of 3 (BTC/USDT:USDT)');
  assert.match(t[7]!, 'WARN execution: stop replaced');
  assert.match((parseCommand('/trades 0') as { error: string }).error, 'usage: /trades');
  assert.match((parseCommand('/daily 99') as { error: string }).error, 'at most 60');
});

test('/forceexit and /killswitch: a code for that action (and symbol) only, once; BTC names BTC/USDT:USDT', async () => {
  const { h, calls, replies } = harness();
  await h.handle(update(111, '/forceexit BTC'));
  const code = /\/forceexit BTC\/USDT:USDT (\d{6})/.exec(replies.at(-1)!.text)![1]!;
  await h.handle(update(111, `/forceexit ETH ${code}`));
  assert.match(replies.at(-1)!.text, 'no matching confirmation');
  await h.handle(update(111, '/forceexit btc'));
  const code2 = /(\d{6})/.exec(replies.at(-1)!.text)![1]!;
  await h.handle(update(111, `/killswitch ${code2}`));
  assert.match(replies.at(-1)!.text, 'no matching confirmation', 'another action\'s code does not count');
  await h.handle(update(111, '/forceexit BTC/USDT:USDT'));
  const code3 = /(\d{6})/.exec(replies.at(-1)!.text)![1]!;
  await h.handle(update(111, `/forceexit BTC/USDT:USDT ${code3}`));
  assert.match(replies.at(-1)!.text, 'force exit of BTC/USDT:USDT done by telegram:111 (@op)');
  await h.handle(update(111, '/forceexit DOGE'));
  assert.match(replies.at(-1)!.text, 'not a traded symbol: DOGE');
  await h.handle(update(111, '/killswitch'));
  const code4 = /\/killswitch (\d{6})/.exec(replies.at(-1)!.text)![1]!;
  await h.handle(update(111, `/killswitch ${code4}`));
  assert.match(replies.at(-1)!.text, 'kill switch done by telegram:111 (@op)');
  assert.equal(calls.filter((c) => c.cmd !== 'query').map((c) => [c.cmd, c.args?.symbol ?? null]), [['force-exit', 'BTC/USDT:USDT'], ['kill-switch', null]]);
});

test.run();
