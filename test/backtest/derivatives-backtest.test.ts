// Derivatives data in backtests, end to end: realistic history generated for the shared month in Binance's archive
// formats → `bosun data import` → MariaDB → the backtest's feed → analytics → voting13's derivatives sources
// (funding_rate from the settled rates, ofi_contrarian from the taker volume) → `bosun backtest` trades. No look-ahead:
// a backtest that stops receiving history at X decides exactly as the full one up to X.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { analyticsMachine } from '../../machines/analytics.machine.js';
import { engineParams } from '../../src/analytics/params.js';
import { configIdentity } from '../../src/backtest/config-hash.js';
import { DerivativesFeed, derivativesFromDb, type DerivativesHistory } from '../../src/backtest/derivatives-feed.js';
import { runBacktest } from '../../src/backtest/engine.js';
import type { BacktestResult } from '../../src/backtest/result.js';
import { SimClock } from '../../src/clock/clock.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { runSignal } from '../../src/decision/signals/registry.js';
import { readArchiveText } from '../../src/market/derivatives-archive.js';
import { importDerivatives } from '../../src/market/derivatives-download.js';
import type { Candle, Snapshot } from '../../src/protocol/index.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { cli, cliAsync } from '../helpers/daemon.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { writeArchive } from '../helpers/derivatives-archive.js';
import { BTC, BTC_FILE, loadBtcCandles, missing } from '../helpers/market-data.js';

const dir = tempDir('derivbt');
const absent = missing(BTC_FILE);
const candles = loadBtcCandles();
let db: TestDb;
let cfgFile: string;
let config: Config;

/** Full snapshots of the real analytics machine over `cs`, with the derivatives history published as the backtest does. */
function snapshots(cs: Candle[], history: DerivativesHistory | null): Snapshot[] {
  const clock = new SimClock(cs[0]!.openTime);
  const out: Snapshot[] = [];
  const analytics = createActor(analyticsMachine, { clock, input: { symbols: [BTC], params: engineParams(config.analytics), fullSnapshotSec: config.analytics.fullSnapshotSec, ml: { kind: 'none', reason: 'no model' }, catchUpMs: null } });
  analytics.on('analytics.snapshot', (e) => {
    const s = e.payload as Snapshot;
    if (s.kind === 'full') out.push(s);
  });
  analytics.start();
  const feed = history ? new DerivativesFeed(history, config.market.derivatives.lagSec * 1000) : null;
  const bus = {
    publish: (topic: string, payload: never) => analytics.send(topic === 'market.derivatives' ? { type: 'analytics.derivatives', update: payload } : { type: 'analytics.liquidations', batch: payload }),
  };
  for (const c of cs) {
    clock.advanceTo(c.openTime + 60_000);
    feed?.publishDue(bus as never, c.openTime + 60_000);
    analytics.send({ type: 'analytics.candle', candle: c });
  }
  analytics.stop();
  return out;
}

test('the backtest feed: a row stamped T goes out at the first bar at or after T + the polling lag, a liquidation at its bar, each once', () => {
  const row = (ts: number) => ({ symbol: BTC, ts, openInterest: 1, openInterestValue: 1, topTraderAccountRatio: 1, topTraderPositionRatio: 1, longShortRatio: 1, takerBuySellRatio: 1 });
  const T = Date.UTC(2023, 2, 1, 0, 5);
  const h: DerivativesHistory = {
    symbol: BTC, metrics: [row(T), row(T + 300_000)], funding: [{ symbol: BTC, ts: T, rate: 0.0001, intervalHours: 8, markPrice: null }],
    liquidations: [{ symbol: BTC, ts: T - 30_000, side: 'sell', price: 1, avgPrice: 1, qty: 1, notional: 1 }], sha256: '',
  };
  const sent: Array<[number, string, number[]]> = [];
  let now = 0;
  const bus = { publish: (topic: string, p: { metrics?: Array<{ ts: number }>; funding?: Array<{ ts: number }>; liquidations?: Array<{ ts: number }> }) => sent.push([now, topic, [...(p.metrics ?? []), ...(p.funding ?? []), ...(p.liquidations ?? [])].map((x) => x.ts)]) };
  const feed = new DerivativesFeed(h, 20_000);
  for (now = T - 60_000; now <= T + 600_000; now += 60_000) feed.publishDue(bus as never, now);
  assert.equal(sent, [
    [T - 60_000, 'market.liquidations', []], // the coverage starts (the stored liquidations are the stream's record)
    [T, 'market.liquidations', [T - 30_000]],
    [T + 60_000, 'market.derivatives', [T, T]],
    [T + 360_000, 'market.derivatives', [T + 300_000]],
  ]);
});

if (absent || !candles) {
  console.log(absent ?? 'skip: no shared candles');
  test.skip('derivatives in backtests on the shared month');
} else {
  test.before(async () => {
    db = await createTestDb('derivbt');
    cfgFile = writeConfig(dir, { db: { url: db.url }, analytics: { fullSnapshotSec: 300 } }, 'paper');
    config = loadConfig(cfgFile, {}).config;
  });
  test.after(async () => db.drop());

  test('archive files generated for the shared month are imported (CLI and in process alike) into MariaDB, whole', async () => {
    const files = writeArchive(join(dir, 'archive'), candles);
    assert.is(files.metrics.length, 22, 'a file per UTC day (the last holds 00:00 of March 22)');
    assert.match(readFileSync(files.metrics[0]!, 'utf8').split('\n')[0]!, 'create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio');
    for (const f of [files.metrics[0]!, files.funding[0]!]) {
      const r = cli(['data', 'import', f, '--config', cfgFile]);
      assert.is(r.code, 0, r.stderr);
    }
    for (const f of files.metrics.slice(1)) await importDerivatives(db.pool, readArchiveText(f), { kind: 'metrics', symbol: BTC, file: f });
    const h = await derivativesFromDb(db.pool, BTC, candles[0]!.openTime, candles.at(-1)!.openTime + 60_001, 0);
    assert.ok(h);
    assert.is(h!.metrics.length, files.rows.metrics);
    assert.is(h!.funding.length, files.rows.funding);
  });

  test('voting13\'s derivatives sources vote on the imported data (and are unavailable without it)', async () => {
    const week = candles.slice(0, 7 * 1440);
    const h = await derivativesFromDb(db.pool, BTC, week[0]!.openTime, week.at(-1)!.openTime + 60_001, 0);
    // After two days: the flow view needs the 1h volatility regime (a day and a half of candles).
    const withData = snapshots(week, h).slice(12 * 48);
    const without = snapshots(week, null).slice(12 * 48);
    assert.ok(withData.every((s) => s.flow), 'a flow view in every snapshot');
    const sp = config.decision.signals;
    const tally = (snaps: Snapshot[], name: 'funding_rate' | 'ofi_contrarian') => {
      let available = 0, votes = 0;
      for (const s of snaps) {
        const r = runSignal(name, s, null, sp);
        if ('dir' in r) {
          available++;
          if (r.dir !== 0) votes++;
        }
      }
      return { available, votes };
    };
    for (const name of ['funding_rate', 'ofi_contrarian'] as const) {
      assert.is(tally(withData, name).available, withData.length, `${name} available in every snapshot`);
      assert.equal(tally(without, name), { available: 0, votes: 0 }, `${name} without derivatives data`);
    }
    // Funding beyond its neutral band votes (contrarian); a 5-minute taker imbalance is rarely extreme enough to fade.
    assert.ok(tally(withData, 'funding_rate').votes > 0);
    // The flow view carries the latest row the live feed would have by each 5-minute close: stamped at the previous one
    // (the row stamped at this close is polled lagSec after it), never a later one.
    for (const s of withData) assert.is(s.flow!.derivatives?.metricsTs, s.ts - 300_000, JSON.stringify(s.flow!.derivatives));
  });

  test('bosun backtest: voting13 on the shared month reads the imported derivatives and trades', async () => {
    const out = join(dir, 'voting13.json');
    const r = await cliAsync(['backtest', '--data', BTC_FILE, '--strategy', 'voting13', '--config', cfgFile, '--json', out, '--quiet'], {}, 240_000);
    assert.is(r.code, 0, r.stderr);
    const res = JSON.parse(readFileSync(out, 'utf8')) as BacktestResult;
    assert.match(res.data.source, /btcusdt-1m-2023-03-01_21\.csv \+ derivatives \(6048 metrics rows, 63 funding rates\)/);
    assert.ok(res.metrics.trades >= 1, `voting13 trades with derivatives data: ${res.metrics.trades} (signals ${JSON.stringify(res.metrics.signals)})`);
  });

  test('no look-ahead: history cut at X gives the same snapshots and decisions up to X as the full history', async () => {
    const cs = candles.slice(2 * 1440, 5 * 1440);
    const warmup = candles.slice(1440, 2 * 1440);
    const full = (await derivativesFromDb(db.pool, BTC, warmup[0]!.openTime, cs.at(-1)!.openTime + 60_000, 0))!;
    const x = cs[1500]!.openTime + 60_000;
    const cut: DerivativesHistory = { ...full, metrics: full.metrics.filter((m) => m.ts <= x), funding: full.funding.filter((f) => f.ts <= x), liquidations: [] };
    const run = (h: DerivativesHistory | null) => runBacktest({ config: { ...config, decision: { ...config.decision, strategy: 'voting13' } }, identity: configIdentity(config), candles: cs, warmup, source: { name: 'cut', sha256: '' }, derivatives: h });
    // The analytics view: the history shows in every snapshot; cut after X, nothing up to X changes.
    const all = [...warmup, ...cs];
    const sa = snapshots(all, full).filter((s) => s.ts <= x);
    const sb = snapshots(all, cut).filter((s) => s.ts <= x);
    const sn = snapshots(all, null).filter((s) => s.ts <= x);
    assert.ok(sa.length > 500);
    assert.not.equal(sn, sa, 'the history is in the snapshots');
    assert.equal(sb, sa, 'what comes after X is not');
    // The decisions of the whole backtest (voting13) likewise.
    const a = await run({ ...full, liquidations: [] });
    const b = await run(cut);
    const upTo = (lines: typeof a.decisions) => lines.filter((l) => l.ts <= x);
    assert.is(upTo(a.decisions).length, 300, 'a decision every 5 minutes up to X');
    assert.equal(upTo(b.decisions), upTo(a.decisions));
  });
}

test.run();
