// The AI consensus in backtests: unavailable without stored records; with them, each counts from the moment it was made
// (never for a snapshot before it: no look-ahead) until maxAgeSec; `bosun backtest` reads them from ai_consensus when the
// config's swarm is on, and the result names them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configIdentity } from '../../src/backtest/config-hash.js';
import { runBacktest } from '../../src/backtest/engine.js';
import { loadConfig } from '../../src/config/load.js';
import type { AiConsensusView } from '../../src/protocol/index.js';
import { insertConsensus } from '../../src/store/repos/ai.js';
import { upsertCandles } from '../../src/store/repos/candles.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cliAsync } from '../helpers/daemon.js';
import { BTC, synthCandles } from '../helpers/market-data.js';

const dir = tempDir('aireplay');
let db: TestDb;
test.before(async () => {
  db = await createTestDb('aireplay');
});
test.after(async () => db.drop());

const MIN = 60_000;
const gatesOff = { hours: false, rangingVeto: false, minAgreement: null, mlAgreementMin: null, debounceSec: null, fundingMaxAbs: null, entryGrades: null, volatileMinStrength: null, maxRiskScore: null };
/** A preset that votes on the AI consensus alone: its verdict shows exactly when a consensus was visible. */
const aiOnly = {
  analytics: { fullSnapshotSec: 300 },
  decision: { strategy: 'ai_only', presets: { ai_only: { kind: 'weighted', description: 'the AI consensus alone', weights: { ai_consensus: 1 }, thresholds: { strongBuy: 0.28, buy: 0.2, sell: -0.2, strongSell: -0.28 }, gates: gatesOff } } },
};

const candles = synthCandles(2 * 1440);
const start = candles[1440]!.openTime;
const rec = (madeAt: number, pUp: number): AiConsensusView => ({ madeAt, basedOn: madeAt - 5 * MIN, pUp, agreement: 1, generalistPUp: pUp, swarmPUp: pUp, agents: 8, of: 8, horizonMin: 30, cycleId: `${BTC}:${madeAt}` });
// Made 30 s after the 2 h and 5 h snapshots: those two snapshots must not see them.
const R1 = rec(start + 120 * MIN + 30_000, 0.9);
const R2 = rec(start + 300 * MIN + 30_000, 0.1);

test('unavailable without records; with them, from the snapshot after each was made until it is maxAgeSec old', async () => {
  const config = loadConfig(writeConfig(dir, { symbols: ['BTC/USDT:USDT'], db: { url: db.url }, ...aiOnly }), {}).config;
  const maxAge = config.decision.signals.ai_consensus.maxAgeSec * 1000;
  const base = { config, identity: configIdentity(config), candles: candles.slice(1440), warmup: candles.slice(0, 1440), source: { name: 'synthetic', sha256: '0'.repeat(64) } };
  const none = await runBacktest(base);
  assert.ok(none.decisions.every((d) => d.verdict === 'NEUTRAL'), 'no stored consensus: the source is unavailable');
  assert.is(none.result.config.ai, undefined);
  const run = await runBacktest({ ...base, ai: [R2, R1] });
  const verdictAt = (ts: number) => run.decisions.find((d) => d.ts === ts)?.verdict;
  assert.is(verdictAt(start + 120 * MIN), 'NEUTRAL', 'the snapshot 30 s before R1 was made does not see it');
  assert.is(verdictAt(start + 125 * MIN), 'STRONG_BUY');
  const lastR1 = Math.floor((R1.madeAt + maxAge) / (5 * MIN)) * 5 * MIN;
  assert.is(verdictAt(lastR1), 'STRONG_BUY', 'still within maxAgeSec');
  assert.is(verdictAt(lastR1 + 5 * MIN), 'NEUTRAL', 'older than maxAgeSec: unavailable');
  assert.is(verdictAt(start + 300 * MIN), 'NEUTRAL');
  assert.is(verdictAt(start + 305 * MIN), 'STRONG_SELL');
  for (const d of run.decisions) {
    const live = (d.ts >= R1.madeAt && d.ts - R1.madeAt <= maxAge) || (d.ts >= R2.madeAt && d.ts - R2.madeAt <= maxAge);
    assert.is(d.verdict !== 'NEUTRAL', live, `decision at ${new Date(d.ts).toISOString()}`);
  }
  assert.is(run.result.config.ai?.records, 2);
  const again = await runBacktest({ ...base, ai: [R1, R2] });
  assert.equal(again.decisions, run.decisions, 'deterministic, whatever the order the records came in');
});

test('`bosun backtest` replays the stored consensus when the config\'s swarm is on, and says so', async () => {
  await upsertCandles(db.pool, candles, 'test');
  for (const r of [R1, R2]) await insertConsensus(db.pool, { ...r, symbol: BTC, refPrice: 30_000, weights: {} });
  const out = join(dir, 'result.json');
  const on = writeConfig(dir, { symbols: ['BTC/USDT:USDT'], db: { url: db.url }, ...aiOnly, ai: { baseUrl: 'http://127.0.0.1:9/v1' } });
  const from = new Date(start).toISOString();
  const to = new Date(start + 1440 * MIN).toISOString();
  const r = await cliAsync(['backtest', '-c', on, '--from', from, '--to', to, '--json', out, '-q']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'AI consensus: 2 stored record(s) replayed');
  const json = JSON.parse(readFileSync(out, 'utf8'));
  assert.is(json.config.ai.records, 2);
  const off = writeConfig(dir, { symbols: ['BTC/USDT:USDT'], db: { url: db.url }, ...aiOnly });
  const r2 = await cliAsync(['backtest', '-c', off, '--from', from, '--to', to, '--json', out, '-q']);
  assert.is(r2.code, 0, r2.stderr);
  assert.not.match(r2.stdout, 'AI consensus');
  assert.is(JSON.parse(readFileSync(out, 'utf8')).config.ai, undefined, 'swarm off in the config: the stored records are not used');
});

test.run();
