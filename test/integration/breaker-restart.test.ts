// Drawdown breakers in the real daemon: they fire on the reconciler's equity, halt execution (emergency: flatten request),
// stay in force across kill -9 and restart though the loss is gone from the data, and clear only on an operator resume.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from '../../src/control/socket.js';
import { synthCandle } from '../../src/market/synthetic.js';
import type { Candle } from '../../src/protocol/index.js';
import { upsertCandles } from '../../src/store/repos/candles.js';
import { testConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { daemonConfig, startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

let db: TestDb;
let d: DaemonHandle | null = null;
test.before(async () => {
  db = await createTestDb('breakers');
});
test.after.each(async () => {
  await d?.stop('SIGKILL');
  d = null;
});
test.after(async () => db.drop());

const SYMBOL = 'BTC/USDT:USDT';
/** Paper time starts at the last stored candle: Wednesday 2026-01-07 10:00 UTC, far from a day or week boundary. */
const START = Date.UTC(2026, 0, 7, 10, 0, 0);
const DAY0 = Date.UTC(2026, 0, 7);

type BreakerRow = { code: string; until_ts: number | null; flatten: number; cleared_at: number | null; cleared_by: string | null };
const breakers = () => db.pool.query<BreakerRow[]>('SELECT code, until_ts, flatten, cleared_at, cleared_by FROM risk_breakers ORDER BY code');
const decisionActor = async (h: DaemonHandle) => (await h.status()).actors.find((a) => a.id === 'decision')!;

test('daily drawdown and emergency stop fire, survive kill -9 and restart, and clear only on resume', async () => {
  const cfg = testConfig();
  const history: Candle[] = [];
  let prev = cfg.market.synthetic.startPrice;
  for (let t = START - 120 * 60_000; t < START; t += 60_000) {
    const c = synthCandle(cfg.market.synthetic, SYMBOL, t, prev);
    prev = c.close;
    history.push(c);
  }
  await upsertCandles(db.pool, history, 'test');
  // The account started at 13 000 (emergency reference) and the day at 11 000: the venue's 10 000 is −23 % and −9 %.
  await db.pool.query("INSERT INTO risk_state (k, v, updated_at) VALUES ('account_reference', '{\"equity\": 13000, \"since\": 0}', 0)");
  await db.pool.query("INSERT INTO equity_curve (ts, equity, balance, unrealized_pnl, source) VALUES (?, '11000', '11000', '0', 'test')", [DAY0 + 1]);

  const { dir } = daemonConfig({ dbUrl: db.url });
  d = startDaemon({ dbUrl: db.url, dir });
  await d.waitRunning();
  const fired = await waitFor('both breakers in risk_breakers', async () => {
    const rows = await breakers();
    return rows.length === 2 ? rows : null;
  }, 20_000, 100);
  assert.equal(fired.map((r) => [r.code, r.flatten, r.cleared_at]), [['daily_drawdown', 0, null], ['emergency_stop', 1, null]]);
  assert.is(Number(fired[0]!.until_ts), DAY0 + 86_400_000, 'the daily breaker lasts until the next UTC day');
  assert.is(fired[1]!.until_ts, null, 'the emergency stop lasts until an operator resumes');
  await waitFor('execution received the halt and flattened', async () => {
    const n = await db.pool.query<Array<{ n: number | bigint }>>("SELECT COUNT(*) AS n FROM notifications WHERE code = 'execution.flatten'");
    return Number(n[0]!.n) > 0;
  }, 10_000, 100);
  // The machine state in status comes with the worker's heartbeat: wait for one that reports the halt.
  await waitFor('the decision machine reports halted', async () => (await decisionActor(d!)).machineState === 'halted', 10_000, 100);

  d.proc.kill('SIGKILL');
  assert.is((await d.exited).signal, 'SIGKILL');
  d = null;
  // The loss is gone from the data: only the recorded breakers can keep trading halted now.
  await db.pool.query("UPDATE risk_state SET v = '{\"equity\": 10000, \"since\": 0}' WHERE k = 'account_reference'");
  await db.pool.query("DELETE FROM equity_curve WHERE source = 'test'");
  const killedAt = Number((await db.pool.query<Array<{ t: number }>>('SELECT MAX(ts) AS t FROM decisions'))[0]!.t);

  d = startDaemon({ dbUrl: db.url, dir });
  await d.waitRunning();
  const after = await waitFor('decisions after the restart', async () => {
    const rows = await db.pool.query<Array<{ ts: number; reasoning: string; verdict: string; vetoes: unknown }>>('SELECT ts, reasoning, verdict, vetoes FROM decisions WHERE ts > ? ORDER BY ts', [killedAt]);
    return rows.length >= 3 ? rows : null;
  }, 20_000, 100);
  for (const r of after) {
    assert.match(r.reasoning, 'halted: daily_drawdown', 'every decision after the restart is made under the breakers');
    assert.match(r.reasoning, 'emergency_stop (until an operator resumes)');
    if (r.verdict !== 'NEUTRAL') assert.ok((typeof r.vetoes === 'string' ? JSON.parse(r.vetoes) : r.vetoes).some((v: { code: string }) => v.code === 'emergency_stop'), 'a directional verdict is vetoed');
  }
  const dec = await waitFor('the decision machine reports halted after the restart', async () => {
    const a = await decisionActor(d!);
    return a.machineState === 'halted' ? a : null;
  }, 10_000, 100);
  assert.equal(((dec.details.risk as { breakers: Array<{ code: string }> }).breakers).map((b) => b.code).sort(), ['daily_drawdown', 'emergency_stop']);
  const st = await d.status();
  assert.ok(st.risk.halted, 'bosun status reports trading halted');
  assert.match(String(st.risk.haltReason), 'emergency_stop');
  const still = await breakers();
  assert.is(still.length, 2, 'restoring did not fire them a second time');
  assert.ok(still.every((r) => r.cleared_at === null));
  const intents = await db.pool.query<Array<{ n: number | bigint }>>('SELECT COUNT(*) AS n FROM decisions WHERE ts > ? AND intent IS NOT NULL', [killedAt]);
  assert.is(Number(intents[0]!.n), 0, 'no intent while halted');

  await request(d.socket, 'resume');
  const cleared = await waitFor('breakers cleared by the operator', async () => {
    const rows = await breakers();
    return rows.every((r) => r.cleared_by === 'operator') ? rows : null;
  }, 10_000, 100);
  assert.is(cleared.length, 2);
  await waitFor('the decision machine left halted', async () => (await decisionActor(d!)).machineState !== 'halted', 10_000, 100);
  const r = await d.stop('SIGTERM');
  assert.is(r.code, 0);
});

test.run();
