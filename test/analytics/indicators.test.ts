// Every indicator of the library against a reference implementation, step by step, on the shared real
// candles and on generated candles: same warm-up, and values within 1e-9 relative error.
import * as TI from 'technicalindicators';
import * as TS from 'trading-signals';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adx } from '../../src/analytics/indicators/adx.js';
import { Atr } from '../../src/analytics/indicators/atr.js';
import { typicalPrice } from '../../src/analytics/indicators/bar.js';
import { Bollinger } from '../../src/analytics/indicators/bollinger.js';
import { Donchian } from '../../src/analytics/indicators/donchian.js';
import { Ema } from '../../src/analytics/indicators/ema.js';
import { GarmanKlass } from '../../src/analytics/indicators/garman-klass.js';
import { Keltner } from '../../src/analytics/indicators/keltner.js';
import { Macd } from '../../src/analytics/indicators/macd.js';
import { Obv } from '../../src/analytics/indicators/obv.js';
import { Rsi } from '../../src/analytics/indicators/rsi.js';
import { Sma } from '../../src/analytics/indicators/sma.js';
import { RollingVwap, SessionVwap } from '../../src/analytics/indicators/vwap.js';
import { ZScore } from '../../src/analytics/indicators/zscore.js';
import type { Candle } from '../../src/protocol/index.js';
import { BTC_FILE, loadBtcCandles, missing, synthCandles } from '../helpers/market-data.js';

const TOL = 1e-9;
const DAY = 86_400_000;

/** Compares two value streams; `scale` floors the denominator near zero crossings (1e-3 × mean |ref|). */
class Cmp {
  n = 0;
  maxRel = 0;
  worst = '';
  private absSum = 0;
  private pairs: Array<[number, number, number]> = [];
  constructor(readonly name: string) {}
  /** Both null, or both numbers. */
  push(i: number, ours: number | null | undefined, ref: number | null | undefined): void {
    const o = ours ?? null;
    const r = ref ?? null;
    if ((o === null) !== (r === null)) assert.unreachable(`${this.name}: at bar ${i} ours=${o} reference=${r} (warm-up differs)`);
    if (o === null || r === null) return;
    this.pairs.push([i, o, r]);
    this.absSum += Math.abs(r);
  }
  check(minPairs: number): string {
    const floor = (this.absSum / Math.max(1, this.pairs.length)) * 1e-3;
    for (const [i, o, r] of this.pairs) {
      const rel = Math.abs(o - r) / Math.max(Math.abs(r), floor, Number.MIN_VALUE);
      if (rel > this.maxRel) {
        this.maxRel = rel;
        this.worst = `bar ${i}: ours ${o} reference ${r}`;
      }
    }
    this.n = this.pairs.length;
    assert.ok(this.n >= minPairs, `${this.name}: only ${this.n} values compared`);
    assert.ok(this.maxRel <= TOL, `${this.name}: relative error ${this.maxRel.toExponential(2)} > ${TOL} at ${this.worst}`);
    return `${this.name} ${this.maxRel.toExponential(1)}`;
  }
}

function compareAll(candles: Candle[], label: string): void {
  const min = candles.length - 200;
  const report: string[] = [];
  const run = (name: string, step: (c: Candle, i: number, cmp: (o: number | null | undefined, r: number | null | undefined) => void) => void, subs = 1) => {
    const cmps = Array.from({ length: subs }, (_, k) => new Cmp(subs > 1 ? `${name}[${k}]` : name));
    candles.forEach((c, i) => {
      let k = 0;
      step(c, i, (o, r) => cmps[k++]!.push(i, o, r));
    });
    for (const c of cmps) report.push(c.check(name.startsWith('vwapSession') ? candles.length / 2 : min));
  };

  // SMA(20) — trading-signals SMA.
  { const o = new Sma(20); const r = new TS.SMA(20);
    run('sma', (c, _i, cmp) => cmp(o.update(c.close), r.add(c.close))); }
  // EMA(21), SMA-seeded — technicalindicators EMA.nextValue.
  { const o = new Ema(21); const r = new TI.EMA({ period: 21, values: [] });
    run('ema', (c, _i, cmp) => cmp(o.update(c.close), r.nextValue(c.close))); }
  // RSI(14), Wilder — trading-signals RSI (WSMA).
  { const o = new Rsi(14); const r = new TS.RSI(14);
    run('rsi', (c, _i, cmp) => cmp(o.update(c.close), r.add(c.close))); }
  // ATR(14), Wilder — trading-signals ATR.
  { const o = new Atr(14); const r = new TS.ATR(14);
    run('atr', (c, _i, cmp) => cmp(o.update(c.high, c.low, c.close), r.add(c))); }
  // Bollinger(20, 2) and width — trading-signals BollingerBands + BollingerBandsWidth.
  { const o = new Bollinger(20, 2); const r = new TS.BollingerBands(20, 2); const rw = new TS.BollingerBandsWidth(new TS.BollingerBands(20, 2));
    run('bollinger', (c, _i, cmp) => {
      const ov = o.update(c.close); const rv = r.add(c.close); const w = rw.add(c.close);
      cmp(ov?.upper, rv?.upper); cmp(ov?.middle, rv?.middle); cmp(ov?.lower, rv?.lower); cmp(ov?.width, w);
    }, 4); }
  // MACD(12, 26, 9), SMA-seeded EMAs — technicalindicators MACD.nextValue.
  { const o = new Macd(12, 26, 9); const r = new TI.MACD({ values: [], fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false });
    run('macd', (c, _i, cmp) => {
      const ov = o.update(c.close); const rv = r.nextValue(c.close) as { MACD?: number; signal?: number; histogram?: number } | undefined;
      cmp(ov?.macd, rv?.MACD); cmp(ov?.signal, rv?.signal); cmp(ov?.hist, rv?.histogram);
    }, 3); }
  // Session VWAP (UTC day) — trading-signals VWAP, a fresh one each UTC day; bands — two-pass textbook formula.
  { const o = new SessionVwap(2); let r = new TS.VWAP(); let day = -1; let tps: Array<[number, number]> = [];
    run('vwapSession', (c, _i, cmp) => {
      const d = Math.floor(c.openTime / DAY);
      if (d !== day) { day = d; r = new TS.VWAP(); tps = []; }
      const ov = o.update(c, d * DAY);
      const rv = r.add(c);
      if (c.volume > 0) tps.push([typicalPrice(c), c.volume]);
      let sd: number | null = null;
      if (rv !== null) {
        const w = tps.reduce((a, [, v]) => a + v, 0);
        sd = Math.sqrt(tps.reduce((a, [tp, v]) => a + v * (tp - rv) ** 2, 0) / w);
      }
      // The reference VWAP skips zero-volume bars (null); ours keeps the session value. Compare where it answers.
      cmp(rv === null ? null : ov?.vwap, rv);
      cmp(rv === null ? null : ov?.upper, sd === null || rv === null ? null : rv + 2 * sd);
    }, 2); }
  // Rolling VWAP(60) of the typical price — trading-signals VWMA fed the typical price; bands two-pass.
  { const o = new RollingVwap(60, 2); const r = new TS.VWMA(60); const win: Array<[number, number]> = [];
    run('vwapRolling', (c, _i, cmp) => {
      const tp = typicalPrice(c);
      const ov = o.update(c); const rv = r.add({ close: tp, volume: c.volume } as never);
      win.push([tp, c.volume]); if (win.length > 60) win.shift();
      let upper: number | null = null;
      if (rv !== null) {
        const w = win.reduce((a, [, v]) => a + v, 0);
        upper = rv + 2 * Math.sqrt(win.reduce((a, [p, v]) => a + v * (p - rv) ** 2, 0) / w);
      }
      cmp(ov?.vwap, rv); cmp(ov?.upper, upper);
    }, 2); }
  // ADX(14) with +DI/−DI — trading-signals ADX (pdi/mdi × 100).
  { const o = new Adx(14); const r = new TS.ADX(14);
    run('adx', (c, _i, cmp) => {
      const ov = o.update(c.high, c.low, c.close); const rv = r.add(c);
      cmp(ov?.adx, rv); cmp(ov ? ov.plusDi : null, r.pdi === undefined ? null : r.pdi * 100); cmp(ov ? ov.minusDi : null, r.mdi === undefined ? null : r.mdi * 100);
    }, 3); }
  // OBV — technicalindicators OBV.nextValue (first value on the second bar).
  { const o = new Obv(); const r = new TI.OBV({ close: [], volume: [] });
    run('obv', (c, i, cmp) => { const ov = o.update(c.close, c.volume); const rv = r.nextValue({ close: c.close, volume: c.volume } as never); cmp(i === 0 ? null : ov, rv); }); }
  // Donchian(20) — trading-signals DonchianChannels.
  { const o = new Donchian(20); const r = new TS.DonchianChannels(20);
    run('donchian', (c, _i, cmp) => { const ov = o.update(c.high, c.low); const rv = r.add(c); cmp(ov?.upper, rv?.upper); cmp(ov?.lower, rv?.lower); }, 2); }
  // Keltner(EMA 20, ATR 10, ×2) — trading-signals KeltnerChannels.
  { const o = new Keltner(20, 10, 2); const r = new TS.KeltnerChannels({ emaInterval: 20, atrInterval: 10, multiplier: 2 });
    run('keltner', (c, _i, cmp) => { const ov = o.update(c.high, c.low, c.close); const rv = r.add(c); cmp(ov?.upper, rv?.upper); cmp(ov?.middle, rv?.middle); cmp(ov?.lower, rv?.lower); }, 3); }
  // Rolling z-score(20) — trading-signals getZScore over the same window (flat windows have no z-score).
  { const o = new ZScore(20); const win: number[] = [];
    run('zscore', (c, _i, cmp) => {
      win.push(c.close); if (win.length > 20) win.shift();
      let rv: number | null = null;
      if (win.length === 20) { const m = TS.getAverage(win); const sd = TS.getStandardDeviation(win, m); rv = sd > 1e-9 * m ? TS.getZScore(win) : null; }
      const ov = o.update(c.close);
      cmp(rv === null ? null : ov, rv);
    }); }
  // Garman-Klass(20) — the textbook formula over the window (no library implements it).
  { const o = new GarmanKlass(20); const win: Candle[] = [];
    run('garmanKlass', (c, _i, cmp) => {
      win.push(c); if (win.length > 20) win.shift();
      const rv = win.length < 20 ? null : Math.sqrt(win.reduce((a, b) => a + 0.5 * Math.log(b.high / b.low) ** 2 - (2 * Math.log(2) - 1) * Math.log(b.close / b.open) ** 2, 0) / 20);
      cmp(o.update(c.open, c.high, c.low, c.close), rv);
    }); }
  console.log(`${label}: max relative error per series: ${report.join(', ')}`);
}

const btc = loadBtcCandles();
if (!btc) {
  console.log(missing(BTC_FILE));
  test.skip('every indicator matches its reference on the shared BTC month (../shared/data absent)', () => {});
} else {
  test('every indicator matches its reference on the shared BTC month (30,240 real 1m candles)', () => {
    compareAll(btc, 'btcusdt 2023-03');
  });
}

test('every indicator matches its reference on 20,000 generated candles (all synthetic regimes)', () => {
  compareAll(synthCandles(20_000), 'synthetic');
});

test('a flat window has no z-score and zero band width; rolling sums do not drift over a long run', () => {
  const z = new ZScore(5);
  const bb = new Bollinger(5, 2);
  for (let i = 0; i < 10; i++) { z.update(100.1); bb.update(100.1); }
  assert.is(z.value, null);
  assert.is(bb.value!.width, 0);
  assert.is(bb.value!.middle, 100.1);
  // A million alternating big moves, then a quiet window: the variance is still exact.
  const s = new Bollinger(4, 1);
  for (let i = 0; i < 1_000_000; i++) s.update(i % 2 ? 30_000 + (i % 977) : 20_000 - (i % 613));
  for (const x of [25_000.01, 25_000.02, 25_000.01, 25_000.02]) s.update(x);
  const sd = (s.value!.upper - s.value!.lower) / 2;
  assert.ok(Math.abs(sd - 0.005) < 1e-9, `sd ${sd}`);
});

test.run();
