// The full indicator set on one candle series, updated once per closed candle (O(1) each).
// Guarantees every value is null until its indicator is warm; keys are the `Indicators` contract.
import type { Indicators } from '../protocol/index.js';
import { Adx } from './indicators/adx.js';
import { Atr } from './indicators/atr.js';
import type { Bar } from './indicators/bar.js';
import { Bollinger } from './indicators/bollinger.js';
import { Donchian } from './indicators/donchian.js';
import { Ema } from './indicators/ema.js';
import { GarmanKlass } from './indicators/garman-klass.js';
import { Keltner } from './indicators/keltner.js';
import { Macd } from './indicators/macd.js';
import { Obv } from './indicators/obv.js';
import { Rsi } from './indicators/rsi.js';
import { Sma } from './indicators/sma.js';
import { RollingVwap, SessionVwap } from './indicators/vwap.js';
import { ZScore } from './indicators/zscore.js';

export interface IndicatorParams {
  emaFast: number;
  emaSlow: number;
  rsiPeriod: number;
  atrPeriod: number;
  smaPeriod: number;
  bbPeriod: number;
  bbMult: number;
  macdFast: number;
  macdSlow: number;
  macdSignal: number;
  /** Bars in the rolling VWAP. */
  vwapPeriod: number;
  /** Band width of both VWAPs in volume-weighted standard deviations. */
  vwapMult: number;
  adxPeriod: number;
  donchianPeriod: number;
  keltnerEmaPeriod: number;
  keltnerAtrPeriod: number;
  keltnerMult: number;
  zscorePeriod: number;
  gkPeriod: number;
}

const DAY = 86_400_000;

export class IndicatorSet {
  readonly emaFast: Ema;
  readonly emaSlow: Ema;
  readonly rsi: Rsi;
  readonly atr: Atr;
  readonly sma: Sma;
  readonly bb: Bollinger;
  readonly macd: Macd;
  readonly vwapSession: SessionVwap;
  readonly vwapRolling: RollingVwap;
  readonly adx: Adx;
  readonly obv = new Obv();
  readonly donchian: Donchian;
  readonly keltner: Keltner;
  readonly zscore: ZScore;
  readonly gk: GarmanKlass;

  constructor(p: IndicatorParams) {
    this.emaFast = new Ema(p.emaFast);
    this.emaSlow = new Ema(p.emaSlow);
    this.rsi = new Rsi(p.rsiPeriod);
    this.atr = new Atr(p.atrPeriod);
    this.sma = new Sma(p.smaPeriod);
    this.bb = new Bollinger(p.bbPeriod, p.bbMult);
    this.macd = new Macd(p.macdFast, p.macdSlow, p.macdSignal);
    this.vwapSession = new SessionVwap(p.vwapMult);
    this.vwapRolling = new RollingVwap(p.vwapPeriod, p.vwapMult);
    this.adx = new Adx(p.adxPeriod);
    this.donchian = new Donchian(p.donchianPeriod);
    this.keltner = new Keltner(p.keltnerEmaPeriod, p.keltnerAtrPeriod, p.keltnerMult);
    this.zscore = new ZScore(p.zscorePeriod);
    this.gk = new GarmanKlass(p.gkPeriod);
  }

  /** Feeds one closed bar opening at `openTime` (UTC ms; the session VWAP anchors on its UTC day). */
  update(b: Bar, openTime: number): void {
    const { open, high, low, close, volume } = b;
    this.emaFast.update(close);
    this.emaSlow.update(close);
    this.rsi.update(close);
    this.atr.update(high, low, close);
    this.sma.update(close);
    this.bb.update(close);
    this.macd.update(close);
    this.vwapSession.update(b, openTime - (((openTime % DAY) + DAY) % DAY));
    this.vwapRolling.update(b);
    this.adx.update(high, low, close);
    this.obv.update(close, volume);
    this.donchian.update(high, low);
    this.keltner.update(high, low, close);
    this.zscore.update(close);
    this.gk.update(open, high, low, close);
  }

  values(): Indicators {
    const bb = this.bb.value;
    const m = this.macd.value;
    const vs = this.vwapSession.value;
    const vr = this.vwapRolling.value;
    const adx = this.adx.value;
    const dc = this.donchian.value;
    const kc = this.keltner.value;
    return {
      emaFast: this.emaFast.value,
      emaSlow: this.emaSlow.value,
      rsi: this.rsi.value,
      atr: this.atr.value,
      sma: this.sma.value,
      bbUpper: bb?.upper ?? null,
      bbMiddle: bb?.middle ?? null,
      bbLower: bb?.lower ?? null,
      bbWidth: bb?.width ?? null,
      macd: m?.macd ?? null,
      macdSignal: m?.signal ?? null,
      macdHist: m?.hist ?? null,
      vwapSession: vs?.vwap ?? null,
      vwapSessionUpper: vs?.upper ?? null,
      vwapSessionLower: vs?.lower ?? null,
      vwapRolling: vr?.vwap ?? null,
      vwapRollingUpper: vr?.upper ?? null,
      vwapRollingLower: vr?.lower ?? null,
      adx: adx?.adx ?? null,
      plusDi: adx?.plusDi ?? null,
      minusDi: adx?.minusDi ?? null,
      obv: this.obv.value,
      donchianHigh: dc?.upper ?? null,
      donchianLow: dc?.lower ?? null,
      keltnerUpper: kc?.upper ?? null,
      keltnerMiddle: kc?.middle ?? null,
      keltnerLower: kc?.lower ?? null,
      zscore: this.zscore.value,
      gkVol: this.gk.value,
    };
  }
}
