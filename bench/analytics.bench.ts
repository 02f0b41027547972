// Analytics benchmarks, each next to a same-run baseline:
// 1. indicator updates per second, the full 1m set on the shared month, vs the reference libraries'
//    own incremental APIs (trading-signals, technicalindicators) computing the same values — goal: faster;
// 2. snapshot latency from candle close (published on the bus) to analytics.snapshot received, through a
//    real analytics worker (real machine, pool, ONNX model), p50/p99, vs the same bus path answered at once.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import * as TI from 'technicalindicators';
import * as TS from 'trading-signals';
import { IndicatorSet, type IndicatorParams } from '../src/analytics/indicator-set.js';
import { typicalPrice } from '../src/analytics/indicators/bar.js';
import { logisticModel } from '../src/analytics/ml/onnx-proto.js';
import { engineParams } from '../src/analytics/params.js';
import { PortBus } from '../src/bus/port-bus.js';
import { loadConfig } from '../src/config/load.js';
import { fromRoot } from '../src/paths.js';
import type { Candle } from '../src/protocol/index.js';
import { loadBtcCandles, synthCandles } from '../test/helpers/market-data.js';
import { pct, type BenchLine } from './report.js';

const DAY = 86_400_000;
const INDICATORS = 15;

function ours(candles: Candle[], p: IndicatorParams): number {
  const set = new IndicatorSet(p);
  let sink = 0;
  for (const c of candles) {
    set.update(c, c.openTime);
    sink += set.rsi.value ?? 0;
  }
  return sink;
}

/** The same 15 indicators and values through the reference libraries' incremental APIs. */
function reference(candles: Candle[], p: IndicatorParams): number {
  const emaF = new TI.EMA({ period: p.emaFast, values: [] });
  const emaS = new TI.EMA({ period: p.emaSlow, values: [] });
  const rsi = new TS.RSI(p.rsiPeriod);
  const atr = new TS.ATR(p.atrPeriod);
  const sma = new TS.SMA(p.smaPeriod);
  const bb = new TS.BollingerBands(p.bbPeriod, p.bbMult);
  const macd = new TI.MACD({ values: [], fastPeriod: p.macdFast, slowPeriod: p.macdSlow, signalPeriod: p.macdSignal, SimpleMAOscillator: false, SimpleMASignal: false });
  let vwap = new TS.VWAP();
  let day = -1;
  const vwma = new TS.VWMA(p.vwapPeriod);
  const adx = new TS.ADX(p.adxPeriod);
  const obv = new TI.OBV({ close: [], volume: [] });
  const dc = new TS.DonchianChannels(p.donchianPeriod);
  const kc = new TS.KeltnerChannels({ emaInterval: p.keltnerEmaPeriod, atrInterval: p.keltnerAtrPeriod, multiplier: p.keltnerMult });
  const zwin: number[] = [];
  const gk: Candle[] = [];
  let sink = 0;
  for (const c of candles) {
    emaF.nextValue(c.close);
    emaS.nextValue(c.close);
    sink += rsi.add(c.close) ?? 0;
    atr.add(c);
    sma.add(c.close);
    const b = bb.add(c.close);
    if (b) sink += (b.upper - b.lower) / b.middle;
    macd.nextValue(c.close);
    const d = Math.floor(c.openTime / DAY);
    if (d !== day) {
      day = d;
      vwap = new TS.VWAP();
    }
    vwap.add(c);
    vwma.add({ close: typicalPrice(c), volume: c.volume } as never);
    adx.add(c);
    obv.nextValue({ close: c.close, volume: c.volume } as never);
    dc.add(c);
    kc.add(c);
    // No library has a rolling z-score or Garman-Klass: trading-signals' getZScore over the window, and the formula.
    zwin.push(c.close);
    if (zwin.length > p.zscorePeriod) zwin.shift();
    if (zwin.length === p.zscorePeriod) {
      try {
        sink += TS.getZScore(zwin);
      } catch {
        // flat window
      }
    }
    gk.push(c);
    if (gk.length > p.gkPeriod) gk.shift();
    if (gk.length === p.gkPeriod) sink += Math.sqrt(gk.reduce((a, x) => a + 0.5 * Math.log(x.high / x.low) ** 2 - (2 * Math.LN2 - 1) * Math.log(x.close / x.open) ** 2, 0) / p.gkPeriod);
  }
  return sink;
}

function rate(fn: () => number, candles: number, minMs = 1500): number {
  fn(); // warm the JIT
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    fn();
    n++;
  }
  return (n * candles * INDICATORS) / ((performance.now() - t0) / 1000);
}

async function latency(mode: 'echo' | 'analytics', history: Candle[], live: Candle[], model: { path: string } | null): Promise<{ p50: number; p99: number }> {
  const cfg = loadConfig(fromRoot('config', 'default.json')).config;
  const feed = new MessageChannel();
  const back = new MessageChannel();
  const w = new Worker(new URL('./workers/analytics-peer.js', import.meta.url), {
    workerData: { inPort: feed.port2, outPort: back.port1, mode, params: engineParams(cfg.analytics), history, model },
    transferList: [feed.port2, back.port1],
  });
  await new Promise<void>((resolve, reject) => {
    w.once('error', reject);
    w.on('message', (m: { kind: string }) => m.kind === 'ready' && resolve());
  });
  const out = new PortBus('feed', () => Date.now(), 'f-', [{ to: 'analytics', topics: ['market.candle'], port: feed.port1 }], []);
  const inp = new PortBus('decision', () => Date.now(), 'd-', [], [{ from: 'analytics', port: back.port2 }]);
  let waiting: ((t: number) => void) | null = null;
  inp.subscribe('analytics.snapshot', () => waiting?.(performance.now()));
  const lat: number[] = [];
  for (const c of live) {
    const got = new Promise<number>((r) => (waiting = r));
    const t0 = performance.now();
    out.publish('market.candle', c, { tsEvent: c.openTime + 60_000 });
    lat.push((await got) - t0);
  }
  await w.terminate();
  out.close();
  inp.close();
  const s = lat.slice(Math.floor(lat.length / 10)); // drop warm-up
  return { p50: pct(s, 50) * 1000, p99: pct(s, 99) * 1000 };
}

export default async function run(): Promise<BenchLine[]> {
  const real = loadBtcCandles();
  const candles = real ?? synthCandles(30_240);
  const data = real ? 'shared BTC month' : 'generated month (../shared/data absent)';
  const p = engineParams(loadConfig(fromRoot('config', 'default.json')).config.analytics).indicators;
  // Alternate, to spread drift over both; keep the best of two.
  const o1 = rate(() => ours(candles, p), candles.length);
  const r1 = rate(() => reference(candles, p), candles.length);
  const o2 = rate(() => ours(candles, p), candles.length);
  const r2 = rate(() => reference(candles, p), candles.length);
  const o = Math.max(o1, o2);
  const r = Math.max(r1, r2);

  const dir = join(tmpdir(), `bosun-bench-${process.pid}`);
  (await import('node:fs')).mkdirSync(dir, { recursive: true });
  const modelPath = join(dir, 'logistic.onnx');
  const feats = ['rsi', 'ema_spread_atr', 'macd_hist_atr', 'bb_pos', 'adx', 'di_diff', 'atr_pct', 'mtf_alignment'];
  writeFileSync(modelPath, logisticModel(feats.map((_, i) => 0.1 * (i + 1)), -0.2, { 'bosun.features': feats.join(',') }));
  const history = candles.slice(0, 4320);
  const live = candles.slice(4320, 4320 + 1500);
  const echo = await latency('echo', history, live, null);
  const an = await latency('analytics', history, live, null);
  const ml = await latency('analytics', history, live, { path: modelPath });
  return [
    { name: `indicator updates, 15 indicators (${data})`, value: o, unit: 'upd/s', baseline: { name: 'reference libraries, incremental', value: r }, goal: 'faster than the reference', met: o > r },
    { name: 'candle close → analytics.snapshot p50', value: an.p50, unit: 'µs', baseline: { name: 'same bus path, answered at once', value: echo.p50 } },
    { name: 'candle close → analytics.snapshot p99', value: an.p99, unit: 'µs', baseline: { name: 'same bus path, answered at once', value: echo.p99 } },
    { name: 'candle close → snapshot with ONNX p_up p50', value: ml.p50, unit: 'µs', baseline: { name: 'same bus path, answered at once', value: echo.p50 } },
    { name: 'candle close → snapshot with ONNX p_up p99', value: ml.p99, unit: 'µs', baseline: { name: 'same bus path, answered at once', value: echo.p99 } },
  ];
}
