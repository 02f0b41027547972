// The paper daemon with the AI swarm pointed at the loopback fake endpoint: predictions from all configured agents are
// stored, decision rows carry ai_consensus votes and Sentinel notes (also notified), status shows the swarm with its
// consensus, `bosun ai report` prints per-agent Brier scores, and the key never leaves the environment. Without an
// endpoint the daemon runs as before and status says the swarm is off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cli, cliAsync, startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { waitFor } from '../helpers/wait.js';

let db: TestDb;
let fake: FakeLlm;
let d: DaemonHandle | null = null;
test.before(async () => {
  db = await createTestDb('aidaemon', { migrate: false });
  fake = await startFakeLlm();
});
test.after.each(async () => {
  await d?.stop('SIGKILL');
  d = null;
});
test.after(async () => {
  await fake.close();
  await db.drop();
});

const KEY = 'sk-or-v1-daemontest-9f8e7d6c5b4a';
const MODELS: Record<string, string> = {
  gemini: 'fake/p=0.9', claude: 'fake/p=0.7', gpt: 'fake/p=0.65', momentum: 'fake/p=0.8',
  contrarian_shark: 'fake/p=0.6', flow_reader: 'fake/p=0.75', macro_sage: 'fake/p=0.7', conservative_filter: 'fake/p=0.55',
};
const gatesOff = { hours: false, rangingVeto: false, minAgreement: null, mlAgreementMin: null, debounceSec: null, fundingMaxAbs: null, entryGrades: null, volatileMinStrength: null, maxRiskScore: null };
const q = async <T>(sql: string, args: unknown[] = []) => db.pool.query<T[]>(sql, args);

test('paper run with the fake endpoint: all agents stored, ai_consensus votes and Sentinel notes on decision rows, report with Brier, key kept secret', async () => {
  const agents = testConfig().ai.agents.map((a) => ({ ...a, model: MODELS[a.name]! }));
  d = startDaemon({
    dbUrl: db.url,
    env: { BOSUN_AI_API_KEY: KEY },
    overrides: {
      ai: { baseUrl: fake.url, agents, sentinel: { model: 'fake/sentinel=CAUTION' }, requestTimeoutMs: 5000, deadlineMs: 10000 },
      decision: {
        strategy: 'ai_swarm',
        presets: { ai_swarm: { kind: 'weighted', description: 'the AI consensus alone (test)', weights: { ai_consensus: 1 }, thresholds: { strongBuy: 0.28, buy: 0.2, sell: -0.2, strongSell: -0.28 }, gates: gatesOff } },
      },
    },
  });
  const s0 = await d.waitRunning();
  assert.is(s0.ai.on, true);
  assert.match(s0.ai.text, 'on (8 agents every 600 s');
  assert.match(s0.ai.text, 'key from BOSUN_AI_API_KEY');

  // Predictions from every configured agent.
  const agentsStored = await waitFor('a valid prediction from each of the 8 agents', async () => {
    const rows = await q<{ agent: string }>("SELECT DISTINCT agent FROM ai_predictions WHERE status = 'ok'").catch(() => []);
    return rows.length === 8 ? rows.map((r) => r.agent).sort() : null;
  }, 60_000, 250);
  assert.equal(agentsStored, Object.keys(MODELS).sort());
  // Decision rows: an available ai_consensus vote, and a Sentinel note on a non-vetoed STRONG_BUY.
  const voted = await waitFor('a decision with an ai_consensus vote', async () => {
    const [r] = await q<{ id: string; v: string }>(
      "SELECT id, JSON_EXTRACT(source_votes, '$.votes[0]') AS v FROM decisions WHERE JSON_VALUE(source_votes, '$.votes[0].source') = 'ai_consensus' AND JSON_VALUE(source_votes, '$.votes[0].direction') = '1' LIMIT 1");
    return r ?? null;
  }, 60_000, 250);
  const vote = typeof voted.v === 'string' ? JSON.parse(voted.v) : voted.v;
  assert.match(vote.note, 'AI consensus p_up');
  const noted = await waitFor('a decision row with a Sentinel note', async () => {
    const [r] = await q<{ id: string; verdict: string; vetoed: number; sentinel_note: string; sentinel: unknown }>('SELECT id, verdict, vetoed, sentinel_note, sentinel FROM decisions WHERE sentinel_note IS NOT NULL LIMIT 1');
    return r ?? null;
  }, 60_000, 250);
  assert.is(noted.sentinel_note, 'CAUTION');
  assert.is(noted.verdict, 'STRONG_BUY');
  assert.is(Number(noted.vetoed), 0, 'only non-vetoed STRONG verdicts are reviewed');
  const notified = await waitFor('the Sentinel notification', async () => (await q<{ text: string }>("SELECT text FROM notifications WHERE code = 'ai.sentinel' LIMIT 1"))[0] ?? null, 20_000, 250);
  assert.match(notified.text, 'Sentinel CAUTION');

  // Status: the swarm, its consensus with its age, and the last note.
  // A cycle in which an agent missed its deadline (a loaded machine) counts fewer agents: wait for one all eight answered.
  const st = await waitFor('status with a consensus of all eight agents and the last Sentinel note', async () => {
    const s = await d!.status();
    return s.ai.consensus.length && s.ai.consensus[0]!.agents === 8 && s.ai.lastSentinel ? s : null;
  }, 60_000, 250);
  assert.ok(st.ai.consensus[0]!.pUp > 0.6, `p_up ${st.ai.consensus[0]!.pUp}`);
  assert.ok(st.ai.budget!.calls > 0);
  const text = cli(['status', '--socket', d.socket]);
  assert.match(text.stdout, 'ai swarm: on');
  // Agreement: 7 of 8 above 0.55 (0.55 itself is not).
  assert.match(text.stdout, /consensus BTC\/USDT:USDT: p_up 0\.\d+ · agreement 0\.88 · 8\/8 agents/);
  assert.match(text.stdout, 'sentinel (advisory)');

  // Scores once horizons pass (the daemon's candles), then the report.
  await waitFor('scored predictions', async () => Number((await q<{ n: number }>('SELECT COUNT(*) AS n FROM ai_predictions WHERE outcome IS NOT NULL'))[0]!.n) >= 16, 90_000, 500);
  const report = await cliAsync(['ai', 'report', '-c', d.configFile]);
  assert.is(report.code, 0, report.stderr);
  for (const agent of Object.keys(MODELS)) {
    const line = report.stdout.split('\n').find((l) => l.startsWith(agent + ' '));
    assert.ok(line, `${agent} in the report`);
    assert.match(line!, /\s0\.\d{4}\s/, `${agent} has a Brier score: ${line}`);
  }
  assert.match(report.stdout, '(consensus)');

  // The key: sent as the bearer token, and nowhere else.
  assert.ok(fake.requests.length > 0 && fake.requests.every((r) => r.authorization === `Bearer ${KEY}`));
  const status = JSON.stringify(await d.status());
  assert.not.match(status, KEY);
  assert.not.match(d.output(), KEY);
  for (const [table, cols] of [['ai_predictions', 'CONCAT_WS(prompt, answer, detail, thesis)'], ['logs', 'CONCAT_WS(msg, data)'], ['decisions', 'CONCAT_WS(sentinel, reasoning)'], ['notifications', 'text']] as const) {
    const rows = await q<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${cols} LIKE ?`, [`%${KEY}%`]).catch((err: Error) => {
      if (/Unknown column/.test(err.message)) return [{ n: 0 }];
      throw err;
    });
    assert.is(Number(rows[0]!.n), 0, `${table} never holds the key`);
  }
  const r = await d.stop('SIGTERM');
  assert.is(r.code, 0, d.output().slice(-2000));
});

test('no endpoint configured: the daemon runs as before, status says the swarm is off, nothing is asked or stored', async () => {
  const before = fake.requests.length;
  d = startDaemon({ dbUrl: db.url });
  const s = await d.waitRunning();
  assert.is(s.ai.on, false);
  assert.match(s.ai.text, 'off (ai.baseUrl is not set)');
  const n0 = Number((await q<{ n: number }>('SELECT COUNT(*) AS n FROM ai_predictions'))[0]!.n);
  const d0 = Number((await q<{ n: number }>('SELECT COUNT(*) AS n FROM decisions'))[0]!.n);
  await waitFor('new decisions', async () => Number((await q<{ n: number }>('SELECT COUNT(*) AS n FROM decisions'))[0]!.n) > d0 + 5, 30_000, 200);
  assert.is(Number((await q<{ n: number }>('SELECT COUNT(*) AS n FROM ai_predictions'))[0]!.n), n0, 'no prediction stored');
  assert.is(fake.requests.length, before, 'no request sent');
  const text = cli(['status', '--socket', d.socket]);
  assert.match(text.stdout, 'ai swarm: off (ai.baseUrl is not set)');
  const sa = await d.status();
  assert.equal(sa.ai.consensus, []);
  assert.is(sa.actors.length, 6);
});

test.run();
