// Backtests of several symbols on one account through `bosun backtest --data SYMBOL=FILE --data SYMBOL=FILE --json`: three
// days of the shared BTC candles and an ETH-like companion derived from them (test/helpers/market-data.ts), with a gap
// in ETH. Checks that both symbols trade, every trade names its symbol, times and stop, no fill falls in the gap, the
// result lists each series, and a second run gives the same bytes; and that the single-file form is unchanged (plain
// FILE and BTC/USDT:USDT=FILE give the same bytes as the engine's one-series form, on two of the days). Skips when ../shared/data is absent.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configIdentity } from '../../src/backtest/config-hash.js';
import { candlesSha256 } from '../../src/backtest/data.js';
import { runBacktest } from '../../src/backtest/engine.js';
import { resultJson, type BacktestResult } from '../../src/backtest/result.js';
import { loadConfig } from '../../src/config/load.js';
import type { Candle } from '../../src/protocol/index.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { cliAsync } from '../helpers/daemon.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { BTC, BTC_FILE, candleCsv, companionCandles, loadBtcCandles, missing } from '../helpers/market-data.js';

const ETH = 'ETH/USDT:USDT';
const MINUTE = 60_000;
const FROM = Date.parse('2023-03-05T00:00:00Z');
const TO = Date.parse('2023-03-08T00:00:00Z');
/** ETH has no candles for these 45 minutes (a feed gap): only ETH sits them out. */
const GAP = [Date.parse('2023-03-06T10:00:00Z'), Date.parse('2023-03-06T10:45:00Z')] as const;

const absent = missing(BTC_FILE);
const dir = tempDir('multi');
let db: TestDb;
let cfgFile: string;
let btc: Candle[] = [];
let eth: Candle[] = [];
const files = { btc: join(dir, 'btc.csv'), eth: join(dir, 'eth.csv'), short: join(dir, 'btc-short.csv') };
/** The single-symbol checks run on the first two days only (three runs of them). */
const SHORT_TO = FROM + 2 * 86_400_000;

test.before(async () => {
  db = await createTestDb('multi');
  // Each position may use 40 % of the account's notional (so two fit), and no account-wide loss cooldown: positions on
  // both symbols can be open together.
  cfgFile = writeConfig(dir, { db: { url: db.url }, analytics: { fullSnapshotSec: 300 }, risk: { maxNotionalPctEquity: 0.4, lossCooldownMin: [0], maxTradesPerDay: 1000 } }, 'paper');
  if (absent) return;
  btc = loadBtcCandles()!.filter((c) => c.openTime >= FROM && c.openTime < TO);
  eth = companionCandles(btc, { symbol: ETH, scale: 0.065, seed: 7 }).filter((c) => c.openTime < GAP[0] || c.openTime >= GAP[1]);
  writeFileSync(files.btc, candleCsv(btc));
  writeFileSync(files.eth, candleCsv(eth));
  writeFileSync(files.short, candleCsv(btc.filter((c) => c.openTime < SHORT_TO)));
});
test.after(async () => db.drop());

test('the companion series: deterministic, consistent OHLC, its own moves', () => {
  const src = absent ? [] : loadBtcCandles()!.slice(0, 2000);
  if (!src.length) return console.log(absent);
  const a = companionCandles(src, { symbol: ETH, scale: 0.065, seed: 7 });
  assert.equal(companionCandles(src, { symbol: ETH, scale: 0.065, seed: 7 }), a, 'same seed, same candles');
  assert.not.equal(companionCandles(src, { symbol: ETH, scale: 0.065, seed: 8 }), a, 'another seed, another path');
  for (const c of a) assert.ok(c.symbol === ETH && c.low > 0 && c.low <= Math.min(c.open, c.close) && c.high >= Math.max(c.open, c.close) && c.volume >= 0, `OHLC at ${c.openTime}`);
  const ret = (cs: Candle[]) => cs.slice(1).map((c, i) => Math.log(c.close / cs[i]!.close));
  const [x, y] = [ret(src), ret(a)];
  const dot = (u: number[], v: number[]) => u.reduce((s, ui, i) => s + ui * v[i]!, 0);
  const corr = dot(x, y) / Math.sqrt(dot(x, x) * dot(y, y));
  assert.ok(corr > 0.3 && corr < 0.95, `returns correlate like an altcoin's, not in lockstep (${corr.toFixed(3)})`);
  assert.ok(Math.abs(a[0]!.open / src[0]!.open - 0.065) < 1e-3, 'scaled price');
});

(absent ? test.skip : test)('two symbols on one account via --data SYMBOL=FILE: both trade, every trade complete, identical bytes twice', async () => {
  const jsons: string[] = [];
  for (const k of [1, 2]) {
    const out = join(dir, `multi-${k}.json`);
    // paper's lively preset (every 1m close): seed 004's imba decides on 5m closes and may not trade twice per symbol in three days.
    const r = await cliAsync(['backtest', '--config', cfgFile, '--data', `${BTC}=${files.btc}`, '--data', `${ETH}=${files.eth}`, '--strategy', 'paper_lively', '--json', out, '--html', join(dir, 'multi.html')], {}, 120_000);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /backtest paper_lively on BTC\/USDT:USDT,ETH\/USDT:USDT · btc\.csv, eth\.csv \(8595 candles\)/);
    assert.match(r.stdout, /by symbol:\n.*\n {2}BTC\/USDT:USDT .*\n {2}ETH\/USDT:USDT /);
    jsons.push(readFileSync(out, 'utf8'));
    if (k === 1) console.log(r.stdout.split('\n').slice(0, 22).join('\n'));
  }
  assert.is(jsons[1], jsons[0], 'byte-identical JSON');
  const html = readFileSync(join(dir, 'multi.html'), 'utf8');
  assert.match(html, /<h2>By symbol<\/h2><table><thead><tr><th>symbol<\/th>/);
  assert.match(html, /<tr><td class="n">\d+<\/td><td>ETH\/USDT:USDT<\/td>/, 'the HTML trade list names each trade\'s symbol');
  const r = JSON.parse(jsons[0]!) as BacktestResult;
  assert.equal(r.data.series, [
    { symbol: BTC, source: 'btc.csv', sha256: candlesSha256(btc), from: FROM, to: TO, candles: btc.length },
    { symbol: ETH, source: 'eth.csv', sha256: candlesSha256(eth), from: FROM, to: TO, candles: eth.length },
  ]);
  assert.is(r.data.candles, btc.length + eth.length);
  assert.is(r.metrics.trades, r.trades.length);
  const of = (s: string) => r.trades.filter((t) => t.symbol === s);
  assert.ok(of(BTC).length >= 2 && of(ETH).length >= 2, `trades of both symbols: BTC ${of(BTC).length}, ETH ${of(ETH).length}`);
  assert.is(of(BTC).length + of(ETH).length, r.trades.length, 'every trade names one of the two symbols');
  // One account, a position per symbol: where signals coincide, positions on both symbols are open at the same time.
  const overlap = of(BTC).some((a) => of(ETH).some((b) => a.entryTime < b.exitTime && b.entryTime < a.exitTime));
  assert.ok(overlap, 'a BTC and an ETH position open at the same time');
  let sum = 0;
  for (const [k, t] of r.trades.entries()) {
    const tag = `trade ${t.id} (${t.symbol})`;
    assert.is(t.id, k + 1, `${tag}: numbered in order`);
    assert.ok(Number.isInteger(t.entryTime) && Number.isInteger(t.exitTime) && t.entryTime >= FROM && t.exitTime >= t.entryTime && t.exitTime <= TO, `${tag}: entryTime and exitTime`);
    // The stop is the decision's, from the price it saw; a market entry may fill a little past it (as backtest.test.ts allows).
    assert.ok(t.stopLoss !== null && (t.side === 'long' ? Number(t.stopLoss) < Number(t.entryPrice) * 1.01 : Number(t.stopLoss) > Number(t.entryPrice) * 0.99), `${tag}: stopLoss ${t.stopLoss} on the losing side of ${t.entryPrice}`);
    // A fill happens at a bar's close: never inside a minute the symbol has no candle for.
    if (t.symbol === ETH) for (const ts of [t.entryTime, t.exitReason === 'open_at_end' ? 0 : t.exitTime]) assert.ok(!(ts > GAP[0] + MINUTE && ts <= GAP[1]), `${tag}: no ETH fill in the gap`);
    sum += Number(t.pnl);
  }
  for (const s of [BTC, ETH]) {
    const ts = of(s);
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i]!.entryTime >= ts[i - 1]!.exitTime, `${s}: one position at a time per symbol`);
  }
  assert.ok(Math.abs(sum - r.metrics.netPnl) <= 0.01 * (r.trades.length + 1), `the trades add up to the account's equity change, to the cent per trade (${sum} vs ${r.metrics.netPnl})`);
  assert.not.match(jsons[0]!, /NaN|Infinity/);
  const rows = await db.pool.query<Array<{ symbol: string; candles: number }>>('SELECT symbol, candles FROM backtest_runs ORDER BY id');
  assert.equal(rows.map((x) => [x.symbol, Number(x.candles)]), [[`${BTC},${ETH}`, 8595], [`${BTC},${ETH}`, 8595]]);
});

(absent ? test.skip : test)('one symbol: --data FILE and --data BTC/USDT:USDT=FILE give the bytes of the engine\'s one-series form', async () => {
  const out = (k: string) => join(dir, `single-${k}.json`);
  const plain = await cliAsync(['backtest', '--config', cfgFile, '--data', files.short, '--strategy', 'imba', '--json', out('plain'), '-q'], {}, 120_000);
  assert.is(plain.code, 0, plain.stderr);
  const named = await cliAsync(['backtest', '--config', cfgFile, '--data', `${BTC}=${files.short}`, '--strategy', 'imba', '--json', out('named'), '-q'], {}, 120_000);
  assert.is(named.code, 0, named.stderr);
  const json = readFileSync(out('plain'), 'utf8');
  assert.is(readFileSync(out('named'), 'utf8'), json, 'the same bytes');
  const r = JSON.parse(json) as BacktestResult;
  const short = btc.filter((c) => c.openTime < SHORT_TO);
  assert.equal(r.data, { symbol: BTC, source: 'btc-short.csv', sha256: candlesSha256(short), from: FROM, to: SHORT_TO, candles: short.length }, 'no series list with one symbol');
  assert.ok(r.trades.length > 0 && r.trades.every((t) => t.symbol === BTC));
  const base = loadConfig(cfgFile, {}).config;
  const config = { ...base, decision: { ...base.decision, strategy: 'imba' } };
  const run = await runBacktest({ config, identity: configIdentity(config), candles: short, source: { name: 'btc-short.csv', sha256: candlesSha256(short) } });
  assert.is(resultJson(run.result), json, 'the engine\'s inline one-series form gives the same bytes');
});

test('bad --data combinations are refused as usage errors, nothing recorded', async () => {
  const before = await db.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM backtest_runs');
  const cases: Array<[string[], RegExp]> = [
    [['--data', 'a.csv', '--data', `${ETH}=b.csv`], /--data a\.csv: with several --data, name each one's symbol/],
    [['--data', `${ETH}=a.csv`, '--data', `${ETH}=b.csv`], /ETH\/USDT:USDT is given twice/],
    [['--data', 'DOGE/USDT:USDT=a.csv'], /does not list DOGE\/USDT:USDT/],
    [['--data', 'eth/usdt=a.csv'], /expected SYMBOL=FILE with a perpetual like ETH\/USDT:USDT/],
  ];
  for (const [args, why] of cases) {
    const r = await cliAsync(['backtest', '--config', cfgFile, ...args]);
    assert.is(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
  const after = await db.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM backtest_runs');
  assert.is(Number(after[0]!.n), Number(before[0]!.n));
});

test.run();
