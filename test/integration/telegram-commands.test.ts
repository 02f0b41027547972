// Telegram parity with Freqtrade's commands, in the real trading paper daemon against the loopback fake Telegram: every
// read answers from the query layer (the same rows the API and `bosun status` read), /forceexit and /killswitch act
// only with their confirmation code and are recorded in operator_actions with the chat.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tradingOverrides } from '../helpers/chaos.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { FakeTelegram } from '../helpers/telegram-fake.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = '4242424243:AAF-bosun-parity-token-do-not-leak';
const CHAT = 111;
const SYMBOL = 'BTC/USDT:USDT';

let db: TestDb;
let fake: FakeTelegram;
let d: DaemonHandle | null = null;

test.before(async () => {
  db = await createTestDb('tgparity');
  fake = new FakeTelegram(TOKEN);
  await fake.start();
  const trade = tradingOverrides('http://unused', [SYMBOL]);
  const { url: _url, ...exchange } = trade.exchange;
  d = startDaemon({
    dbUrl: db.url,
    env: { BOSUN_TELEGRAM_TOKEN: TOKEN },
    overrides: {
      ...trade, exchange, log: { level: 'info' },
      notifier: { telegram: { enabled: true, chatIds: [CHAT], apiRoot: fake.apiRoot, pollTimeoutSec: 1, rateLimit: { globalPerSec: 30, perChatPerSec: 30, perGroupPerMin: 60 } }, retry: { initialMs: 100, maxMs: 400 } },
    },
  });
  await d.waitRunning();
});
test.after(async () => {
  await d?.stop('SIGKILL');
  await fake.stop();
  await db.drop();
});

/** Sends a command and returns the bot's next reply to it. */
async function ask(text: string, match: RegExp = /./, timeoutMs = 20_000): Promise<string> {
  const before = fake.sentTo(CHAT).length;
  fake.pushMessage(CHAT, text, 'op');
  return waitFor(`the reply to ${text}`, () => fake.sentTo(CHAT).slice(before).map((m) => m.text).find((t) => !/^\S+ \[PAPER\]/.test(t) && match.test(t)) ?? null, timeoutMs, 50);
}

test('reads: positions, count, trades, profit, daily/weekly/monthly, performance, logs, help', async () => {
  // Positions open and close by themselves here (tight stops): ask while one is open, again if it closed meanwhile.
  const whileOpen = async (cmd: string, want: RegExp) => {
    let last = '';
    for (let i = 0; i < 10; i++) {
      await waitFor('an open position', async () => ((await d!.status()).positions.length ? true : null), 120_000, 100);
      last = await ask(cmd);
      if (want.test(last)) return last;
    }
    assert.unreachable(`${cmd} answered ${last}`);
  };
  await whileOpen('/count', /^open positions: 1 of 3 \(BTC\/USDT:USDT\)$/);
  await whileOpen('/positions', /^(long|short) [0-9.]+ BTC\/USDT:USDT @ [0-9.]+ · stop [0-9.]+ · tp /);
  assert.match(await ask('/help'), '/forceexit SYMBOL');
  assert.match(await ask('/trades 0'), 'usage: /trades');

  // Close it through /forceexit (asks for a code first; the code of another action or symbol does not count).
  const prompt = await ask('/forceexit BTC', /To confirm/);
  const code = /\/forceexit BTC\/USDT:USDT (\d{6})/.exec(prompt)![1]!;
  assert.match(await ask(`/killswitch ${code}`), 'no matching confirmation');
  const prompt2 = await ask('/forceexit btc', /To confirm/);
  const code2 = /(\d{6})/.exec(prompt2)![1]!;
  assert.match(await ask(`/forceexit ${SYMBOL} ${code2}`, /force exit/, 60_000), /^force exit of BTC\/USDT:USDT done by telegram:111 \(@op\)/);
  await waitFor('a closed trade', async () => Number((await db.pool.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM positions WHERE status = 'closed'"))[0]!.n) > 0, 30_000, 100);
  const [closed] = await db.pool.query<Array<{ n: number; net: string }>>("SELECT COUNT(*) AS n, SUM(net_pnl) AS net FROM positions WHERE status = 'closed'");

  assert.match(await ask('/trades 5'), / BTC\/USDT:USDT [0-9.]+ → [0-9.]+ · net -?[0-9.]+ \(/);
  const profit = await ask('/profit');
  assert.match(profit, /^closed trades \d+ \(open \d\)/);
  assert.ok(Number(/closed trades (\d+)/.exec(profit)![1]) >= Number(closed!.n));
  const daily = await ask('/daily 3');
  assert.match(daily, /^PnL per day \(closed trades\)\n\d{4}-\d{2}-\d{2}: -?[0-9.]+ · [1-9]\d* trades?/);
  assert.is(daily.split('\n').length, 4, 'three days, newest first');
  assert.match(await ask('/weekly'), /^PnL per week/);
  assert.match(await ask('/monthly 2'), /^PnL per month \(closed trades\)\n\d{4}-\d{2}-01: /);
  assert.match(await ask('/performance'), /^1\. BTC\/USDT:USDT: -?[0-9.]+ · \d+ trades · win rate \d+ %/);
  assert.match(await ask('/logs 3'), /WARN|ERROR|no warning or error logged/);
  assert.match(await ask('/balance'), /^equity [0-9.]+ · balance/);

  const acts = await db.pool.query<Array<{ action: string; by_whom: string; source: string; status: string; args: string | { symbol?: string } }>>("SELECT action, by_whom, source, status, args FROM operator_actions WHERE action = 'force-exit'");
  assert.is(acts.length, 1, 'acted once, only with the right code');
  assert.equal([acts[0]!.by_whom, acts[0]!.source, acts[0]!.status], ['telegram:111 (@op)', 'telegram', 'ok']);
  const args = typeof acts[0]!.args === 'string' ? JSON.parse(acts[0]!.args) : acts[0]!.args;
  assert.is(args.symbol, SYMBOL);
});

test('/killswitch with its code halts and flattens; /resume releases it', async () => {
  const prompt = await ask('/killswitch', /To confirm/);
  const code = /\/killswitch (\d{6})/.exec(prompt)![1]!;
  assert.match(await ask(`/killswitch ${code}`, /kill switch (done|INCOMPLETE)/, 60_000), /^kill switch done by telegram:111 \(@op\): trading halted until \/resume/);
  const s = await d!.status();
  assert.ok(s.risk.halted && s.risk.killSwitch?.by === 'telegram:111 (@op)', JSON.stringify(s.risk));
  assert.is(s.positions.length, 0, 'flattened');
  assert.match(await ask('/resume'), 'resumed by telegram:111');
  await waitFor('trading again', async () => (!(await d!.status()).risk.halted ? true : null), 10_000, 100);
  const acts = await db.pool.query<Array<{ action: string; by_whom: string }>>("SELECT action, by_whom FROM operator_actions WHERE action IN ('kill-switch', 'resume') ORDER BY id");
  assert.equal(acts, [{ action: 'kill-switch', by_whom: 'telegram:111 (@op)' }, { action: 'resume', by_whom: 'telegram:111 (@op)' }]);
});

test.run();
