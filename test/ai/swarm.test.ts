// The swarm's cycle on the real MariaDB against the loopback fake endpoint, with seed 000's eight agents on models that
// behave well, say 0.9 always, answer malformed JSON, hang, get a 429 with Retry-After or answer another horizon:
// every answer is stored with its prompt (valid or counted), the consensus is the hand-computed blend of the valid
// ones, scores come out as computed by hand, calibration down-weights reversibly with history, budgets hold, and a
// restart neither repeats a cycle nor forgets the consensus.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatClient } from '../../src/ai/client.js';
import { AI_SCOPE, agentMultipliers, calibrate } from '../../src/ai/calibration.js';
import { Swarm } from '../../src/ai/swarm.js';
import { SimClock } from '../../src/clock/clock.js';
import type { AiConfig } from '../../src/config/sections/ai.js';
import type { AiConsensusView, Candle } from '../../src/protocol/index.js';
import { agentScores, budgetToday, dbBudget, scorePending } from '../../src/store/repos/ai.js';
import { upsertCandles } from '../../src/store/repos/candles.js';
import { testConfig, tempDir, writeConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cliAsync } from '../helpers/daemon.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { BTC, bullish } from '../helpers/snapshots.js';

let fake: FakeLlm;
let db: TestDb;
test.before(async () => {
  fake = await startFakeLlm();
  db = await createTestDb('aiswarm');
});
test.after(async () => {
  await fake.close();
  await db.drop();
});

const T0 = Date.UTC(2026, 0, 7, 12, 0);
const MIN = 60_000;
const log = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const close = (a: number, b: number, what: string, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${what}: ${a} vs ${b}`);

/** Seed 000's eight agents, each on a fake model with a known behaviour. */
const MODELS: Record<string, string> = {
  gemini: 'fake/p=0.9', // always 0.9
  claude: 'fake/malformed',
  gpt: 'fake/429', // 429 with Retry-After: 1, then 0.6
  momentum: 'fake/p=0.8',
  contrarian_shark: 'fake/hang',
  flow_reader: 'fake/p=0.6',
  macro_sage: 'fake/wrong-horizon',
  conservative_filter: 'fake/p=0.5',
};

function aiConfig(over: Partial<AiConfig> = {}): AiConfig {
  const base = testConfig().ai;
  assert.equal(base.agents.map((a) => a.name), Object.keys(MODELS), 'the default set is seed 000\'s eight');
  return {
    // Deadlines with room for a loaded machine (the 429 agent waits 1 s between its two attempts).
    ...base, baseUrl: fake.url, requestTimeoutMs: 4000, deadlineMs: 6000, retry: { maxAttempts: 3, baseMs: 20, maxMs: 2000 },
    agents: base.agents.map((a) => ({ ...a, model: MODELS[a.name]! })), ...over,
  };
}

function swarmOn(ai: AiConfig, clock: SimClock, got: Array<{ symbol: string; c: AiConsensusView }>) {
  const client = new ChatClient({ config: ai, budget: dbBudget(db.pool, ai.budget) });
  return new Swarm({ pool: db.pool, ai, symbols: [BTC], clock, log, client, onConsensus: (symbol, c) => got.push({ symbol, c }) });
}

type Row = { agent: string; status: string; p_up: number | null; attempts: number; prompt: unknown; answer: string | null; made_at: number; based_on_ts: number };
const rowsOf = async (cycle: string) => db.pool.query<Row[]>('SELECT agent, status, p_up, attempts, prompt, answer, made_at, based_on_ts FROM ai_predictions WHERE cycle_id = ? ORDER BY id', [cycle]);

test('one cycle: every agent\'s answer stored with its prompt; the consensus is the blend of the valid ones, stored, then handed on', async () => {
  const clock = new SimClock(T0 + 5_000);
  const got: Array<{ symbol: string; c: AiConsensusView }> = [];
  const ai = aiConfig();
  const swarm = swarmOn(ai, clock, got);
  await swarm.start();
  assert.equal(got, [], 'nothing stored yet');
  swarm.onSnapshot(bullish(T0));
  swarm.onSnapshot(bullish(T0)); // a second snapshot while the cycle runs starts nothing
  await swarm.idle();
  const rows = await rowsOf(`${BTC}:${T0}`);
  const by = Object.fromEntries(rows.map((r) => [r.agent, r]));
  assert.is(rows.length, 8, 'one row per configured agent');
  assert.is(by.gemini!.status, 'ok');
  assert.is(by.gemini!.p_up, 0.9);
  assert.is(by.claude!.status, 'malformed_json');
  assert.match(by.claude!.answer!, 'p_up: 0.7 because', 'the raw answer is kept');
  assert.is(by.gpt!.status, 'ok');
  assert.is(by.gpt!.attempts, 2, '429 then the answer');
  assert.ok(['late', 'timeout'].includes(by.contrarian_shark!.status), by.contrarian_shark!.status);
  assert.is(by.macro_sage!.status, 'horizon_mismatch');
  assert.is(by.conservative_filter!.p_up, 0.5);
  for (const r of rows) {
    const prompt = (typeof r.prompt === 'string' ? JSON.parse(r.prompt) : r.prompt) as Array<{ role: string; content: string }>;
    assert.equal(prompt.map((m) => m.role), ['system', 'user']);
    assert.match(prompt[0]!.content, 'horizon_min must be 30');
    assert.match(prompt[1]!.content, '"price":30000');
    assert.is(Number(r.based_on_ts), T0);
  }
  // Valid: generalists gemini 0.9, gpt 0.6 (no record yet: both weigh the prior 0.5) → 0.75; personas 0.8, 0.6, 0.5 → 0.6333….
  const g = 0.75;
  const s = (0.8 + 0.6 + 0.5) / 3;
  assert.is(got.length, 1);
  const c = got[0]!.c;
  close(c.pUp, 0.4 * g + 0.6 * s, 'consensus');
  close(c.agreement, 4 / 5, 'agreement (0.9, 0.6, 0.8, 0.6 bull; 0.5 neither)');
  assert.is(c.agents, 5);
  assert.is(c.of, 8);
  assert.is(c.madeAt, clock.now());
  const [stored] = await db.pool.query<Array<{ p_up: number; agents_ok: number; weights: unknown }>>('SELECT p_up, agents_ok, weights FROM ai_consensus WHERE cycle_id = ?', [`${BTC}:${T0}`]);
  close(stored!.p_up, c.pUp, 'stored consensus');
  assert.is(swarm.stats.answers.ok, 5);
  assert.is(swarm.stats.answers.malformed_json, 1);
  // The cadence: 5 minutes later nothing, 10 minutes later a new cycle.
  swarm.onSnapshot(bullish(T0 + 5 * MIN));
  await swarm.idle();
  assert.is(swarm.stats.cycles, 1);
  clock.advanceTo(T0 + 10 * MIN + 5_000);
  swarm.onSnapshot(bullish(T0 + 10 * MIN));
  await swarm.idle();
  assert.is(swarm.stats.cycles, 2);
  assert.is(got.length, 2);
  await swarm.close();
});

test('scoring after the horizon, by hand; the report lists per-agent Brier; calibration down-weights the always-0.9 model, reversibly', async () => {
  // Nothing is scored before the candle that closes at the horizon is stored.
  assert.equal(await scorePending(db.pool, T0 + 60 * MIN), { predictions: 0, consensus: 0 });
  const candle = (openTime: number, close: number): Candle => ({ symbol: BTC, tf: '1m', openTime, open: 30_000, high: Math.max(30_000, close), low: Math.min(30_000, close), close, volume: 1, closed: true });
  // T0 + 30 min: the close is above 30 000 (up); T0 + 40 min: below (down).
  await upsertCandles(db.pool, [candle(T0 + 29 * MIN, 30_100), candle(T0 + 39 * MIN, 29_900)], 'test');
  assert.equal(await scorePending(db.pool, T0 + 29 * MIN), { predictions: 0, consensus: 0 }, 'not before its horizon');
  const n = await scorePending(db.pool, T0 + 41 * MIN);
  assert.is(n.predictions, 10, '5 valid answers in each of the two cycles');
  assert.is(n.consensus, 2);
  const sc = await agentScores(db.pool, 50);
  // gemini: 0.9 up (Brier 0.01), 0.9 down (0.81); conservative 0.5 twice: 0.25, never a hit.
  close(sc.gemini!.brier, (0.01 + 0.81) / 2, 'gemini Brier', 1e-12);
  close(sc.gemini!.logLoss, (-Math.log(0.9) - Math.log(0.1)) / 2, 'gemini log loss');
  close(sc.gemini!.hitRate, 0.5, 'gemini hits');
  close(sc.conservative_filter!.brier, 0.25, 'conservative Brier');
  assert.is(sc.conservative_filter!.hitRate, 0);
  close(sc.momentum!.brier, (0.04 + 0.64) / 2, 'momentum Brier');
  assert.is(sc.claude, undefined, 'rejected answers are never scored');
  assert.equal(await scorePending(db.pool, T0 + 41 * MIN), { predictions: 0, consensus: 0 }, 'scored once');

  // 20 more scored answers of the always-0.9 model, 75 % up: Brier 0.21 > 0.1875 of the base rate → × downWeight.
  const ai = aiConfig();
  const hist = Array.from({ length: 20 }, (_, i) => [`hist:${i}`, BTC, 'gemini', 'generalist', 'fake/p=0.9', T0 - (i + 1) * 10 * MIN, T0 - (i + 1) * 10 * MIN - 60_000, 30_000, 30, 'ok', 0.9, '[]', 1, i % 4 === 0 ? 0 : 1]);
  await db.pool.batch(`INSERT INTO ai_predictions (cycle_id, symbol, agent, role, model, made_at, based_on_ts, ref_price, horizon_min, status, p_up, prompt, attempts, latency_ms, outcome)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`, hist);
  const changes = await calibrate(db.pool, ai, T0 + 50 * MIN);
  assert.equal(changes.map((c) => [c.agent, c.to]), [['gemini', ai.calibration.downWeight]]);
  assert.equal((await agentMultipliers(db.pool)).gemini, ai.calibration.downWeight);
  assert.equal(await calibrate(db.pool, ai, T0 + 51 * MIN), [], 'a second pass changes nothing');

  // The CLI on the same database: the report shows each agent's Brier; history, pin and unpin reverse it.
  const dir = tempDir('aicli');
  const cfg = writeConfig(dir, { db: { url: db.url }, ai: { baseUrl: fake.url, agents: ai.agents } });
  const report = await cliAsync(['ai', 'report', '-c', cfg]);
  assert.is(report.code, 0, report.stderr);
  const line = report.stdout.split('\n').find((l) => l.startsWith('gemini'))!;
  assert.match(line, '×0.50 calib.');
  assert.match(report.stdout, /conservative_filter\s+persona\s+×1\.00\s+2\/2\s+2\s+0\.2500/);
  assert.match(report.stdout, /claude\s+generalist\s+×1\.00\s+0\/2\s+0\s+-/);
  assert.match(report.stdout, 'malformed_json 2');
  assert.match(report.stdout, '(consensus)');
  const json = JSON.parse((await cliAsync(['ai', 'report', '-c', cfg, '--json'])).stdout);
  close(json.rows.find((r: { agent: string }) => r.agent === 'conservative_filter').scores.brier, 0.25, 'report JSON');
  const pin = await cliAsync(['ai', 'pin', 'gemini', '1', '-c', cfg]);
  assert.is(pin.code, 0, pin.stderr);
  assert.equal(await calibrate(db.pool, ai, T0 + 52 * MIN), [], 'calibration leaves a pinned weight alone');
  assert.equal((await agentMultipliers(db.pool)).gemini, 1);
  const unpin = await cliAsync(['ai', 'unpin', 'gemini', '-c', cfg]);
  assert.is(unpin.code, 0, unpin.stderr);
  assert.match(unpin.stdout, 'gemini: ×1 → ×0.5');
  const history = await cliAsync(['ai', 'history', 'gemini', '-c', cfg]);
  assert.equal(history.stdout.trim().split('\n').map((l) => /×(.+?) → ×(\S+)\s+(\S+?):/.exec(l)!.slice(1, 4).join(' ')), [
    '1 (never set) 0.5 ai_calibration',
    '0.5 1 operator',
    '1 0.5 ai_calibration',
  ]);
  const bad = await cliAsync(['ai', 'pin', 'nobody', '1', '-c', cfg]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, 'no agent "nobody"');
  const hist2 = await db.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM signal_weight_override_history WHERE scope = ?', [AI_SCOPE]);
  assert.is(Number(hist2[0]!.n), 3);
});

test('a restarted swarm neither repeats the cycle nor forgets the latest consensus', async () => {
  const clock = new SimClock(T0 + 11 * MIN);
  const got: Array<{ symbol: string; c: AiConsensusView }> = [];
  const swarm = swarmOn(aiConfig(), clock, got);
  await swarm.start();
  assert.is(got.length, 1);
  assert.is(got[0]!.c.basedOn, T0 + 10 * MIN, 'the latest stored consensus is served again');
  const before = fake.requests.length;
  swarm.onSnapshot(bullish(T0 + 11 * MIN));
  await swarm.idle();
  assert.is(fake.requests.length, before, 'within the interval of the stored cycle: no call');
  await swarm.close();
});

test('the daily budget holds: beyond it the agents are counted as `budget` and nothing reaches the endpoint', async () => {
  await db.pool.query('DELETE FROM ai_budget');
  const ai = aiConfig({ budget: { callsPerDay: 10, tokensPerDay: 10_000_000 } });
  ai.agents = ai.agents.map((a) => ({ ...a, model: 'fake/p=0.66' }));
  const clock = new SimClock(T0 + 100 * MIN);
  const swarm = swarmOn(ai, clock, []);
  await swarm.start();
  const before = fake.requests.length;
  swarm.onSnapshot(bullish(T0 + 100 * MIN));
  await swarm.idle();
  swarm.onSnapshot(bullish(T0 + 110 * MIN));
  await swarm.idle();
  assert.is(fake.requests.length - before, 10, 'exactly the budget reached the endpoint');
  assert.is((await budgetToday(db.pool)).calls, 10);
  const [r] = await db.pool.query<Array<{ ok: number; budget: number }>>(
    "SELECT SUM(status = 'ok') AS ok, SUM(status = 'budget') AS budget FROM ai_predictions WHERE based_on_ts IN (?, ?)", [T0 + 100 * MIN, T0 + 110 * MIN]);
  assert.is(Number(r!.ok), 10);
  assert.is(Number(r!.budget), 6);
  await swarm.close();
});

test.run();
