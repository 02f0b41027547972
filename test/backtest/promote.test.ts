// The promotion gate: a mainnet config whose backtest fails the gate is refused with every reason, and the mainnet
// daemon refuses to start on it; one that passes (backtest, walk-forward, paper/testnet track record) is promoted and
// may start; editing it afterwards changes its hash, so promotion and start are refused again, saying why.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configIdentity } from '../../src/backtest/config-hash.js';
import type { Metrics } from '../../src/backtest/metrics.js';
import type { BacktestResult } from '../../src/backtest/result.js';
import type { WalkforwardReport } from '../../src/backtest/walkforward.js';
import { loadConfig } from '../../src/config/load.js';
import { requireMainnetPromotion } from '../../src/daemon/config-run.js';
import { insertBacktestRun, insertWalkforward } from '../../src/store/repos/backtest.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cliAsync } from '../helpers/daemon.js';
import { synthCandles } from '../helpers/market-data.js';

const dir = tempDir('promote');
const DAY = 86_400_000;
/** The mainnet daemon needs keys (any: it is refused before it uses them). */
const KEYS = { BOSUN_API_KEY: 'test-key', BOSUN_API_SECRET: 'test-secret' };
let main: TestDb;
let testnet: TestDb;
let mainFile: string;
let testnetFile: string;
const csv = join(dir, 'synth.csv');
test.before(async () => {
  [main, testnet] = await Promise.all([createTestDb('promomain', { mode: 'mainnet' }), createTestDb('promotest', { mode: 'testnet' })]);
  const wf = { walkforward: { trainDays: 2, testDays: 1, stepDays: 1, minWindows: 2 } };
  mainFile = writeConfig(dir, { db: { url: main.url }, control: { socketPath: join(dir, 'main.sock') }, backtest: wf }, 'mainnet');
  testnetFile = writeConfig(dir, { db: { url: testnet.url }, control: { socketPath: join(dir, 'testnet.sock') } }, 'testnet');
  const candles = synthCandles(5 * 1440);
  writeFileSync(csv, `open_time,open,high,low,close,volume\n${candles.map((c) => `${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`);
});
test.after(async () => {
  await Promise.all([main.drop(), testnet.drop()]);
});

test('a config that fails the gate is refused with every reason; the mainnet daemon will not start on it', async () => {
  const bt = await cliAsync(['backtest', '--config', mainFile, '--data', csv, '-q']);
  assert.is(bt.code, 0, bt.stderr);
  const wf = await cliAsync(['walkforward', '--config', mainFile, '--data', csv, '--no-strategy-metrics']);
  assert.is(wf.code, 0, wf.stderr);
  const r = await cliAsync(['promote', '--config', mainFile, '--to', 'mainnet', '--track-record', testnetFile, '--by', 'test']);
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stderr, /^REFUSED .* → mainnet \(promotion request #1 recorded as refused\):/);
  assert.match(r.stderr, /backtest #1: (\d+ trades, fewer than the 20|profit factor [0-9.]+ ≤ 1\.1|win rate [0-9.]+ % ≤ 55\.00 %)/);
  assert.match(r.stderr, /walk-forward #1 has no out-of-sample strategy metrics/);
  assert.match(r.stderr, /mainnet needs a paper\/testnet track record of this strategy; testnet \(.*\) has none/);
  const [row] = await main.pool.query<Array<{ passed: number; reasons: unknown; requested_by: string }>>('SELECT * FROM promotions');
  assert.is(row!.passed, 0);
  assert.is(row!.requested_by, 'test');
  const run = await cliAsync(['run', '--config', mainFile, '--confirm-mainnet'], KEYS);
  assert.is(run.code, 78, run.stderr);
  assert.match(run.stderr, /refusing to start on MAINNET: .* was never promoted to mainnet; promotion request #1 was refused: backtest #1/);
  const wrongMode = await cliAsync(['promote', '--config', testnetFile, '--to', 'mainnet']);
  assert.is(wrongMode.code, 64);
  assert.match(wrongMode.stderr, /runs testnet mode: promote the config file that will run on mainnet/);
});

const passing: Metrics = {
  from: 0, to: 21 * DAY, days: 21, initialEquity: 10_000, finalEquity: 10_900, netPnl: 900, totalReturn: 0.09, trades: 40, wins: 26, losses: 14, winRate: 0.65,
  grossProfit: 2000, grossLoss: 1100, profitFactor: 2000 / 1100, profitFactorInfinite: false, expectancy: 22.5, avgWin: 76.9, avgLoss: -78.6, fees: 300, funding: 0,
  maxDrawdown: 0.06, maxDrawdownAbs: 650, sharpe: 2.1, sortino: 3.2, cagr: 3.4, calmar: 56, exposure: 0.2, avgHoldMs: 3_600_000,
  byHour: {}, byRegime: {}, byExitReason: {}, signals: { decisions: 6000, signals: 300, intents: 40, rejectedByVeto: {} },
};

/** Records the runs a passing config would have: a backtest, a walk-forward with out-of-sample trades, and a 91-day testnet run with 35 trades (21 won). */
async function recordPassingRuns(hash: string, strategyHash: string, strategy: string): Promise<void> {
  const now = Date.now();
  const result: BacktestResult = {
    kind: 'bosun.backtest', version: 1, config: { hash, strategyHash, strategy, overrides: {} },
    data: { symbol: 'BTC/USDT:USDT', source: 'month.csv', sha256: '0'.repeat(64), from: 0, to: 21 * DAY, candles: 30_240 }, metrics: passing, trades: [], equity: [], drawdown: [],
  };
  await insertBacktestRun(main.pool, result, 'f'.repeat(64), now);
  const win = { trades: 12, wins: 8, winRate: 8 / 12, grossProfit: 600, grossLoss: 300, profitFactor: 2, profitFactorInfinite: false, netPnl: 300, maxDrawdown: 0.03, sharpe: 1.5, expectancy: 25 };
  const scores = { n: 500, accuracy: 0.56, balancedAccuracy: 0.56, logLoss: 0.68, baseRate: 0.5 };
  const report: WalkforwardReport = {
    model: 'gbdt', features: ['rsi'], horizonMin: 15, shuffledLabels: null, oos: scores, baselineLogLoss: 0.693, threshold: 0.52, demoted: false, mlMultiplier: 1, reason: 'kept',
    windows: [1, 2, 3].map((k) => ({ window: k, trainFrom: 0, trainTo: 1, testFrom: 1, testTo: 2, trainRows: 2000, train: scores, test: scores, baselineLogLoss: 0.693, strategy: win })),
  };
  await insertWalkforward(main.pool, { configHash: hash, strategyHash, strategy, symbol: 'BTC/USDT:USDT', modelKind: 'gbdt', from: 0, to: 1, windows: 3, oosRows: 1500, oosAccuracy: 0.56, oosBalancedAccuracy: 0.56, oosLogLoss: 0.68, baselineLogLoss: 0.693, threshold: 0.52, demoted: false, mlMultiplier: 1, report }, now);
  const start = Date.UTC(2026, 0, 1);
  await testnet.pool.query('INSERT INTO config_runs (config_hash, strategy_hash, strategy, mode, started_at, last_seen_at, wall_started_at, wall_last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ['t'.repeat(64), strategyHash, strategy, 'testnet', start, start + 91 * DAY, start, start + 91 * DAY]);
  for (let k = 0; k < 35; k++) {
    const id = `BTCUSDTUSDT-${strategy}-${start + k * DAY}`;
    await testnet.pool.query("INSERT INTO decisions (id, symbol, ts, strategy, verdict, score, vetoed, vetoes, source_votes, reasoning, created_at) VALUES (?, 'BTC/USDT:USDT', ?, ?, 'BUY', 0.3, 0, '[]', '{}', 'test', ?)", [id, start + k * DAY, strategy, start]);
    await testnet.pool.query("INSERT INTO positions (symbol, side, status, qty, entry_price, exit_price, realized_pnl, fees, decision_id, opened_at, closed_at, updated_at) VALUES ('BTC/USDT:USDT', 'long', 'closed', 0.1, 30000, 30100, ?, 2, ?, ?, ?, ?)",
      [k < 21 ? 60 : -40, id, start + k * DAY, start + k * DAY + 3_600_000, start]);
  }
}

test('a config whose runs pass the gate is promoted and may start; edited afterwards, it is refused again with the reason', async () => {
  const config = loadConfig(mainFile, {}).config;
  const id = configIdentity(config);
  await recordPassingRuns(id.hash, id.strategyHash, id.strategy);
  const ok = await cliAsync(['promote', '--config', mainFile, '--to', 'mainnet', '--track-record', testnetFile]);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /ok {3}backtest #2: profit factor 1\.818 > 1\.1/);
  assert.match(ok.stdout, /ok {3}walk-forward #2 out of sample \(3 windows\): 36 trades ≥ 20/);
  assert.match(ok.stdout, /ok {3}track record: 91\.0 days ≥ 90/);
  assert.match(ok.stdout, /ok {3}track record: win rate 60\.00 % > 55\.00 %/);
  assert.match(ok.stdout, /PROMOTED .* → mainnet: promotion #2 recorded/);
  await requireMainnetPromotion(main.pool, config, mainFile);

  // The operator edits the promoted file: one risk value.
  const raw = JSON.parse(readFileSync(mainFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(mainFile, JSON.stringify({ ...raw, risk: { riskPerTrade: 0.004 } }, null, 2));
  const edited = loadConfig(mainFile, {}).config;
  assert.is.not(configIdentity(edited).hash, id.hash);
  assert.is(configIdentity(edited).strategyHash, id.strategyHash, 'the signal side did not change');
  const again = await cliAsync(['promote', '--config', mainFile, '--to', 'mainnet', '--track-record', testnetFile]);
  assert.is(again.code, 1);
  assert.match(again.stderr, new RegExp(`no backtest of this config \\(hash ${configIdentity(edited).hash.slice(0, 12)}\\): the latest backtest of its strategy, #2, ran config ${id.hash.slice(0, 12)} — the config was edited since`));
  assert.match(again.stderr, /no walk-forward of this config/);
  const run = await cliAsync(['run', '--config', mainFile, '--confirm-mainnet'], KEYS);
  assert.is(run.code, 78);
  assert.match(run.stderr, new RegExp(`config ${configIdentity(edited).hash.slice(0, 12)}\\) was never promoted to mainnet; promotion request #3 was refused: no backtest of this config`));
  const rows = await main.pool.query<Array<{ passed: number; config_hash: string }>>('SELECT passed, config_hash FROM promotions ORDER BY id');
  assert.equal(rows.map((r) => r.passed), [0, 1, 0]);
});

test.run();
