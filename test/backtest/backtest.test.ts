// Backtests end to end: the shared month through `bosun backtest` twice gives byte-identical JSON (and one recorded
// run each); every trade carries its side, times, prices, size, stop, target, fees, pnl and exit reason, and the trade
// list adds up to the equity change. Generated candles check the same in process when ../shared/data is absent.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configIdentity } from '../../src/backtest/config-hash.js';
import { runBacktest } from '../../src/backtest/engine.js';
import { resultJson, type BacktestResult } from '../../src/backtest/result.js';
import { loadConfig } from '../../src/config/load.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cliAsync } from '../helpers/daemon.js';
import { BTC_FILE, missing, synthCandles } from '../helpers/market-data.js';

const dir = tempDir('backtest');
const absent = missing(BTC_FILE);
let db: TestDb;
let cfgFile: string;
test.before(async () => {
  db = await createTestDb('backtest');
  // The default config's 5-minute decisions (paper.json decides every minute).
  cfgFile = writeConfig(dir, { db: { url: db.url } }, 'backtest');
});
test.after(async () => db.drop());

/** What every result must satisfy, whatever the data. */
function checkResult(r: BacktestResult, what: string): void {
  const m = r.metrics;
  assert.is(m.trades, r.trades.length, `${what}: trade count`);
  let sum = 0;
  for (const t of r.trades) {
    const tag = `${what} trade ${t.id}`;
    for (const k of ['side', 'entryTime', 'entryPrice', 'exitTime', 'exitPrice', 'qty', 'stopLoss', 'takeProfit', 'fees', 'pnl', 'exitReason'] as const) assert.ok(t[k] !== undefined && t[k] !== null, `${tag}: ${k}`);
    assert.ok(t.exitTime >= t.entryTime && Number(t.qty) > 0, `${tag}: times and size`);
    assert.ok(t.side === 'long' ? Number(t.stopLoss) < Number(t.entryPrice) * 1.01 : Number(t.stopLoss) > Number(t.entryPrice) * 0.99, `${tag}: stop on the losing side`);
    assert.ok(Math.abs(Number(t.pnl) - (Number(t.grossPnl) - Number(t.fees) + Number(t.funding))) < 1e-9, `${tag}: pnl = gross − fees + funding`);
    // Written to the tick (prices) and the cent (money): the gross from the written prices is within a tick × qty and a cent.
    const gross = (t.side === 'long' ? 1 : -1) * (Number(t.exitPrice) - Number(t.entryPrice)) * Number(t.qty);
    assert.ok(Math.abs(gross - Number(t.grossPnl)) <= 0.1 * Number(t.qty) + 0.005 + 1e-9, `${tag}: gross pnl from prices (${gross} vs ${t.grossPnl})`);
    for (const k of ['fees', 'funding', 'grossPnl', 'pnl'] as const) assert.match(t[k], /^-?\d+\.\d{2}$/, `${tag}: ${k} in cents (${t[k]})`);
    for (const k of ['entryPrice', 'exitPrice', 'stopLoss', 'takeProfit'] as const) assert.match(t[k]!, /^\d+\.\d$/, `${tag}: ${k} to the 0.1 tick (${t[k]})`);
    assert.match(t.qty, /^\d+\.\d{3}$/, `${tag}: qty to the 0.001 step (${t.qty})`);
    assert.ok(['stop_loss', 'take_profit', 'liquidation', 'open_at_end', 'flatten', 'max_hold', 'trailing_stop'].includes(t.exitReason), `${tag}: exit reason ${t.exitReason}`);
    sum += Number(t.pnl);
  }
  assert.ok(Math.abs(sum - m.netPnl) <= 0.01 * (r.trades.length + 1), `${what}: the trades add up to the equity change, to the cent per trade (${sum} vs ${m.netPnl})`);
  assert.ok(m.maxDrawdown >= 0 && m.maxDrawdown < 1 && m.exposure >= 0 && m.exposure <= 1);
  assert.ok(m.signals.decisions > 0 && m.signals.intents >= m.trades - 1);
  assert.not.match(resultJson(r), /NaN|Infinity/);
}

test('generated candles: the same inputs give the same bytes; trades add up', async () => {
  const config = { ...loadConfig(cfgFile, {}).config };
  const candles = synthCandles(4 * 1440);
  const run = () => runBacktest({ config, identity: configIdentity(config), candles: candles.slice(1440), warmup: candles.slice(0, 1440), source: { name: 'synthetic', sha256: '0'.repeat(64) } });
  const a = await run();
  const b = await run();
  assert.is(resultJson(a.result), resultJson(b.result));
  assert.ok(a.result.trades.length >= 3, `trades: ${a.result.trades.length}`);
  assert.is(a.decisions.length, 3 * 288, 'a decision every 5 minutes');
  assert.is(a.fills.length, a.result.trades.filter((t) => t.exitReason !== 'open_at_end').length * 2 + a.result.trades.filter((t) => t.exitReason === 'open_at_end').length, 'one entry and one exit fill per trade');
  checkResult(a.result, 'synthetic');
});

(absent ? test.skip : test)('the shared month through bosun backtest, twice: byte-identical JSON, both runs recorded, HTML written', async () => {
  const out = (k: number) => ({ json: join(dir, `month-${k}.json`), html: join(dir, `month-${k}.html`) });
  const results: string[] = [];
  for (const k of [1, 2]) {
    const r = await cliAsync(['backtest', '--config', cfgFile, '--data', BTC_FILE, '--json', out(k).json, '--html', out(k).html], {}, 120_000);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /backtest imba on BTC\/USDT:USDT · btcusdt-1m-2023-03-01_21\.csv \(30240 candles\)/);
    for (const label of ['win rate', 'profit factor', 'expectancy', 'max drawdown', 'sharpe', 'sortino', 'calmar', 'CAGR', 'exposure', 'average hold', 'by entry hour (UTC)', 'by regime at entry', 'rejected signals by veto']) assert.ok(r.stdout.includes(label), `table shows ${label}`);
    assert.match(r.stdout, new RegExp(`recorded as backtest run #${k} `));
    results.push(readFileSync(out(k).json, 'utf8'));
    if (k === 1) console.log(r.stdout.split('\n').slice(0, 18).join('\n'));
  }
  assert.is(results[1], results[0], 'byte-identical JSON');
  assert.is(readFileSync(out(2).html, 'utf8'), readFileSync(out(1).html, 'utf8'), 'identical HTML');
  const r = JSON.parse(results[0]!) as BacktestResult;
  assert.is(r.data.candles, 30_240);
  assert.is(r.metrics.signals.decisions, 30_240 / 5 - 4, 'a decision per 5-minute snapshot once the engine is warm');
  assert.ok(r.trades.length > 10, `trades ${r.trades.length}`);
  checkResult(r, 'month');
  const rows = await db.pool.query<Array<{ result_sha256: string; trades: number; config_hash: string }>>('SELECT result_sha256, trades, config_hash FROM backtest_runs ORDER BY id');
  assert.is(rows.length, 2);
  assert.is(rows[0]!.result_sha256, rows[1]!.result_sha256);
  assert.is(rows[0]!.trades, r.trades.length);
  assert.is(rows[0]!.config_hash, configIdentity(loadConfig(cfgFile, {}).config).hash);
});

test('bad input is refused with the reason, nothing recorded', async () => {
  const bad = join(dir, 'bad.csv');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(bad, 'open_time,open,high,low,close,volume\n1700000040000,100,101,99,100.5,3\n1700000100000,100,99,98,100.5,3\n1700000040000,100,101,99,100,1\n');
  const r = await cliAsync(['backtest', '--config', cfgFile, '--data', bad]);
  assert.is(r.code, 65);
  assert.match(r.stderr, /line 3: high\/low do not contain open and close/);
  assert.match(r.stderr, /line 4: not after the previous row/);
  const usage = await cliAsync(['backtest', '--config', cfgFile, '--data', bad, '--strategy', 'nope']);
  assert.is(usage.code, 64);
  assert.match(usage.stderr, /--strategy nope: no such preset .* use one of voting13, imba, rules, ema_rsi/);
  const none = await db.pool.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM backtest_runs WHERE data_source = 'bad.csv'");
  assert.is(Number(none[0]!.n), 0);
});

test.run();
