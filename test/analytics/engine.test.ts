// The analytics engine and machine: warm-up in the real piscina pool (packed Float64Array windows) restores
// an engine that continues exactly like one fed in process; higher timeframes come from 1m candles only;
// late (backfill) candles update without snapshots; inputs between candles reach the snapshot; every field
// without data is null.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { analyticsMachine, type AnalyticsInput } from '../../machines/analytics.machine.js';
import { SymbolEngine } from '../../src/analytics/engine.js';
import { emptyManual, type ManualState } from '../../src/analytics/manual-inputs.js';
import { packCandles, packedCount, unpackCandle } from '../../src/analytics/pack.js';
import { engineParams } from '../../src/analytics/params.js';
import { AnalyticsPool } from '../../src/analytics/pool.js';
import { SimClock } from '../../src/clock/clock.js';
import { CandleAggregator } from '../../src/market/aggregate.js';
import type { Candle, Snapshot } from '../../src/protocol/index.js';
import { testConfig } from '../helpers/config.js';
import { BTC, synthCandles } from '../helpers/market-data.js';

const params = engineParams(testConfig({}, 'default').analytics);
const candles = synthCandles(4320 + 300);
const NO_ML = { kind: 'none', reason: 'no model configured' } as const;
const UNAVAILABLE = { available: false, reason: 'no model configured' } as const;

function machine(over: Partial<AnalyticsInput> = {}) {
  const snaps: Snapshot[] = [];
  const persisted: Snapshot[] = [];
  const actor = createActor(analyticsMachine.provide({ actions: { persistSnapshot: (_, s: Snapshot) => persisted.push(s) } }), {
    clock: new SimClock(candles[0]!.openTime),
    input: { symbols: [BTC], params, fullSnapshotSec: 300, ml: NO_ML, catchUpMs: null, ...over },
  });
  actor.on('analytics.snapshot', (e) => snaps.push(e.payload));
  actor.start();
  return { actor, snaps, persisted };
}

let pool: AnalyticsPool;
test.before(() => {
  pool = new AnalyticsPool(1);
});
test.after(async () => pool.close());

test('packed candle windows round-trip every field', () => {
  const some = candles.slice(0, 50);
  const packed = packCandles(some);
  assert.is(packedCount(packed), 50);
  assert.equal(some.map((_, k) => unpackCandle(packed, k, BTC)), some);
  const noTaker = { ...some[0]! };
  delete noTaker.takerBuyVolume;
  assert.equal(unpackCandle(packCandles([noTaker]), 0, BTC), noTaker);
});

test('warm-up in the pool restores an engine that continues exactly like one fed in process', async () => {
  const history = candles.slice(0, 4320);
  const r = await pool.warmup(BTC, params, history);
  assert.is(r.candles, 4320);
  assert.ok(r.warm);
  const restored = machine();
  restored.actor.send({ type: 'analytics.restore', symbol: BTC, state: r.state });
  assert.is(restored.actor.getSnapshot().value, 'ready');
  const direct = machine();
  direct.actor.send({ type: 'analytics.warmup', candles: history });
  for (const c of candles.slice(4320)) {
    restored.actor.send({ type: 'analytics.candle', candle: c });
    direct.actor.send({ type: 'analytics.candle', candle: c });
  }
  assert.is(restored.snaps.length, 300);
  assert.equal(restored.snaps, direct.snaps);
  const last = restored.snaps.at(-1)!;
  assert.equal(Object.keys(last.tf).sort(), ['15m', '1h', '1m', '4h', '5m'], 'three days of history warm every timeframe');
  assert.ok(last.regime && last.mtfAlignment !== null && last.flow !== null);
});

test('higher timeframes come from 1m candles only: feed-side 5m/1h candles and open candles change nothing', () => {
  const a = machine();
  const b = machine();
  const agg = new CandleAggregator(['5m', '1h']);
  const part = candles.slice(0, 3000);
  for (const c of part) {
    a.actor.send({ type: 'analytics.candle', candle: c });
    b.actor.send({ type: 'analytics.candle', candle: { ...c, closed: false, close: c.close * 1.01 } });
    b.actor.send({ type: 'analytics.candle', candle: c });
    for (const h of agg.push(c)) b.actor.send({ type: 'analytics.candle', candle: { ...h, close: h.close * 2 } });
  }
  assert.equal(b.snaps, a.snaps);
  // The 1h state is the last complete hour aggregated from its 60 minutes.
  const s = a.snaps.at(-1)!;
  const h1 = s.tf['1h']!;
  const hour = part.filter((c) => c.openTime >= h1.openTime! && c.openTime < h1.openTime! + 3_600_000);
  assert.is(hour.length, 60);
  assert.is(h1.close, hour.at(-1)!.close);
  assert.ok(s.ts - (h1.openTime! + 3_600_000) < 3_600_000 && s.ts >= h1.openTime! + 3_600_000, 'no look-ahead: the hour is closed');
});

test('without trades, book, funding or manual inputs those fields are null; the ML signal says why it is missing', () => {
  const m = machine();
  m.actor.send({ type: 'analytics.warmup', candles: candles.slice(0, 4319) });
  m.actor.send({ type: 'analytics.candle', candle: candles[4319]! });
  const s = m.snaps.at(-1)!;
  assert.equal(s.ml, { available: false, reason: 'no model configured' });
  for (const [k, v] of Object.entries(s.micro!)) if (k !== 'windowSec' && k !== 'trades') assert.is(v, null, `micro.${k}`);
  const f = s.flow!;
  assert.is(f.fundingRate, null);
  assert.is(f.fundingExtreme, null);
  assert.is(f.oiChangePct, null);
  assert.is(f.crowdBias, null);
  assert.is(f.trapIndex, null);
  assert.is(f.sentiment, null);
  assert.is(f.etfFlowUsd, null);
  assert.equal(Object.keys(f.riskComponents!), ['volatility']);
  assert.ok(f.riskScore >= 0 && f.riskScore <= 1);
  for (const k of ['sma', 'bbWidth', 'macdHist', 'vwapSession', 'adx', 'obv', 'donchianHigh', 'keltnerUpper', 'zscore', 'gkVol'] as const) assert.type(s.ind[k], 'number', k);
});

test('trades, funding and manual inputs between candles reach the next snapshot; manual inputs expire', () => {
  const m = machine();
  m.actor.send({ type: 'analytics.warmup', candles: candles.slice(0, 4300) });
  const c = candles[4300]!;
  const t = c.openTime + 10_000;
  m.actor.send({ type: 'analytics.trades', batch: { symbol: BTC, trades: [
    { id: '1', ts: t, price: 30000, qty: 2, side: 'buy' }, { id: '2', ts: t + 500, price: 30001, qty: 20, side: 'buy' }, { id: '3', ts: t + 900, price: 29999, qty: 1, side: 'sell' },
  ] } });
  m.actor.send({ type: 'analytics.mark', mark: { symbol: BTC, ts: t, markPrice: 30000, fundingRate: 0.0008 } });
  const manual: ManualState = { ...emptyManual(), sentiment: { id: 1, kind: 'sentiment', asOf: c.openTime, receivedAt: c.openTime, data: { score: -2, comment: 'banking scare' } } };
  m.actor.send({ type: 'analytics.manual', manual });
  m.actor.send({ type: 'analytics.candle', candle: c });
  const s = m.snaps.at(-1)!;
  assert.is(s.micro!.cvd, 21);
  assert.is(s.micro!.trades, 3);
  assert.is(s.micro!.whaleBuyNotional, 20 * 30001, '$600K ≥ the $500K whale threshold');
  assert.is(s.flow!.fundingRate, 0.0008);
  assert.is(s.flow!.fundingExtreme, true);
  assert.ok(s.flow!.warnings.includes('funding_extreme_longs_pay'));
  assert.is(s.flow!.sentiment, -2);
  assert.ok(s.flow!.warnings.includes('sentiment_extreme'));
  // ETF flows count for their asset, a liquidation map for its symbol.
  const eth = new SymbolEngine(BTC, params);
  for (const x of candles.slice(0, 4301)) eth.update(x);
  const liq = { id: 3, kind: 'liquidations' as const, asOf: c.openTime, receivedAt: c.openTime, data: { asOf: 'x', clusters: [{ price: c.close * 0.99, side: 'long' as const, notionalUsd: 2e8 }] } };
  eth.setManual({
    sentiment: null,
    etfFlow: { id: 2, kind: 'etf_flow', asOf: c.openTime, receivedAt: c.openTime, data: { asOf: 'x', asset: 'ETH', totalNetFlowUsd: -9e8 } },
    liquidations: { ...liq, data: { ...liq.data, symbol: 'ETH/USDT:USDT' } },
  });
  const other = eth.snapshot('fast', UNAVAILABLE).flow!;
  assert.is(other.etfFlowUsd, null, 'an ETH flow does not count for BTC');
  assert.is(other.liquidations, null, 'an ETH liquidation map does not count for BTC');
  eth.setManual({ sentiment: null, etfFlow: { id: 2, kind: 'etf_flow', asOf: c.openTime, receivedAt: c.openTime, data: { asOf: 'x', asset: 'BTC', totalNetFlowUsd: -9e8 } }, liquidations: liq });
  const own = eth.snapshot('fast', UNAVAILABLE).flow!;
  assert.is(own.etfFlowUsd, -9e8);
  assert.ok(own.warnings.includes('etf_outflow_large') && own.warnings.includes('liquidation_cluster_near'));
  assert.is(own.liquidations!.longNotionalNear, 2e8);
  assert.is(own.riskComponents!.etf, 1);
  // Past its max age (24 h) the sentiment no longer counts, and the flow says it went stale.
  const e = new SymbolEngine(BTC, params);
  for (const x of candles.slice(0, 4301)) e.update(x);
  e.setManual(manual);
  e.update({ ...candles[4301]!, openTime: c.openTime + 86_400_000 });
  const stale = e.snapshot('fast', UNAVAILABLE);
  assert.is(stale.flow!.sentiment, null);
  assert.ok(stale.flow!.warnings.includes('manual_stale:sentiment'));
});

test('a candle received long after its close (backfill) updates the engine but yields no snapshot', () => {
  const m = machine({ catchUpMs: 600_000 });
  m.actor.send({ type: 'analytics.warmup', candles: candles.slice(0, 4000) });
  const c = candles[4000]!;
  m.actor.send({ type: 'analytics.candle', candle: c, receivedAt: c.openTime + 60_000 + 600_001 });
  assert.is(m.snaps.length, 0);
  const next = candles[4001]!;
  m.actor.send({ type: 'analytics.candle', candle: next, receivedAt: next.openTime + 61_000 });
  assert.is(m.snaps.length, 1);
  const ref = new SymbolEngine(BTC, params);
  for (const x of candles.slice(0, 4002)) ref.update(x);
  assert.equal(m.snaps[0], ref.snapshot(m.snaps[0]!.kind, UNAVAILABLE), 'the skipped candle still went into the indicators');
});

test('with fast snapshots off (the backtest) only full ones are published, identical to those of a machine with them on', () => {
  const on = machine();
  const off = machine({ fastSnapshots: false });
  for (const m of [on, off]) {
    m.actor.send({ type: 'analytics.warmup', candles: candles.slice(0, 4320) });
    for (const c of candles.slice(4320, 4320 + 30)) m.actor.send({ type: 'analytics.candle', candle: c });
  }
  assert.is(on.snaps.length, 30);
  assert.ok(off.snaps.length >= 5 && off.snaps.every((x) => x.kind === 'full'), `${off.snaps.length} snapshots`);
  assert.equal(off.snaps, on.snaps.filter((x) => x.kind === 'full'));
  assert.equal(off.persisted, on.persisted);
});

test('after warm-up a full snapshot of the latest candle is published (flagged warmup), unless it was one already or is stale', () => {
  const m = machine({ catchUpMs: 600_000 });
  const hist = candles.slice(0, 4003);
  m.actor.send({ type: 'analytics.warmup', candles: hist });
  const close = hist.at(-1)!.openTime + 60_000;
  assert.ok(close % 300_000 !== 0, 'the last candle is not on a full-snapshot boundary');
  m.actor.send({ type: 'analytics.warmed', receivedAt: close + 1_000 });
  assert.is(m.snaps.length, 1);
  assert.is(m.snaps[0]!.kind, 'full');
  assert.is(m.snaps[0]!.warmup, true);
  assert.equal(m.persisted, m.snaps);
  const stale = machine({ catchUpMs: 600_000 });
  stale.actor.send({ type: 'analytics.warmup', candles: hist });
  stale.actor.send({ type: 'analytics.warmed', receivedAt: close + 3_600_000 });
  assert.is(stale.snaps.length, 0);
  const boundary = machine();
  boundary.actor.send({ type: 'analytics.warmup', candles: candles.slice(0, 4004) });
  boundary.actor.send({ type: 'analytics.candle', candle: candles[4004]! }); // closes on a 5-minute boundary
  assert.is(boundary.snaps.at(-1)!.kind, 'full');
  const n = boundary.snaps.length;
  boundary.actor.send({ type: 'analytics.warmed' });
  assert.is(boundary.snaps.length, n, 'no second full snapshot for the same candle');
});

test.run();
