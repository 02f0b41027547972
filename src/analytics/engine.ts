// The analytics engine for one symbol: 1m indicators, higher timeframes aggregated from 1m candles, regime,
// microstructure, flow and manual inputs → Snapshot. Deterministic and IO-free; plain data only, so its
// state can be built in a pool thread and moved (see state.ts). Guarantees O(1) work per candle, trade and
// book update, and null for anything not yet warm or without data.
import { TIMEFRAME_MS } from '../domain/timeframes.js';
import { CandleAggregator } from '../market/aggregate.js';
import type { BookTop, Candle, DerivativesUpdate, LiquidationsBatch, MarkPrice, MlSignal, Snapshot, TimeframeState, Timeframe, Trade } from '../protocol/index.js';
import { DerivativesState } from './derivatives.js';
import { computeFlow, type FlowParams } from './flow.js';
import { AdjEma } from './indicators/adj-ema.js';
import { IndicatorSet, type IndicatorParams } from './indicator-set.js';
import { emptyManual, type ManualState } from './manual-inputs.js';
import { MicroEngine, type MicroParams } from './micro/micro.js';
import { RegimeClassifier, type RegimeParams } from './regime.js';
import { hourUtc, sessionAt } from './session.js';
import { TimeframeEngine, type TimeframeParams } from './timeframe.js';
import { VolumeProfile, type VolumeProfileParams } from './volume-profile.js';

export const HIGHER: Exclude<Timeframe, '1m'>[] = ['5m', '15m', '1h', '4h'];
export const ALL_TF: Timeframe[] = ['1m', ...HIGHER];

export interface EngineParams {
  indicators: IndicatorParams;
  timeframe: TimeframeParams;
  alignmentWeights: Record<Timeframe, number>;
  volumeProfile: VolumeProfileParams;
  regime: RegimeParams & { timeframe: Timeframe };
  micro: Omit<MicroParams, 'vpin'> & { vpin: Omit<MicroParams['vpin'], 'bucketVolume'>; vpinBucketMinutes: number };
  flow: FlowParams;
}

const structureSign = (s: TimeframeState['structure']) => (s === 'HH_HL' ? 1 : s === 'LH_LL' ? -1 : 0);

export class SymbolEngine {
  readonly ind: IndicatorSet;
  readonly agg: CandleAggregator;
  readonly tfs: Record<Timeframe, TimeframeEngine>;
  readonly regime: RegimeClassifier;
  readonly micro: MicroEngine;
  /** Average 1m volume (one day span): sets the VPIN bucket size. */
  readonly volume1m: AdjEma;
  funding: { rate: number; ts: number } | null = null;
  /** Open interest, long/short ratios, taker volume, forced liquidations, settled funding. */
  readonly derivs: DerivativesState;
  /** Volume at price (point of control). */
  readonly vp: VolumeProfile;
  manual: ManualState = emptyManual();
  last: Candle | null = null;
  lastOpenTime = -1;
  seen = 0;
  /** Bars of the regime timeframe already classified. */
  regimeBars = 0;

  constructor(readonly symbol: string, readonly p: EngineParams) {
    this.ind = new IndicatorSet(p.indicators);
    this.agg = new CandleAggregator(HIGHER);
    this.tfs = Object.fromEntries(ALL_TF.map((tf) => [tf, new TimeframeEngine(tf, p.timeframe)])) as Record<Timeframe, TimeframeEngine>;
    this.regime = new RegimeClassifier(p.regime);
    this.micro = new MicroEngine({ ...p.micro, vpin: { ...p.micro.vpin, bucketVolume: null } });
    this.volume1m = new AdjEma(1440, 60);
    this.derivs = new DerivativesState(p.flow.derivatives);
    this.vp = new VolumeProfile(p.volumeProfile);
  }

  /** The 1m core the decision engine needs (EMAs, RSI, ATR) is warm. */
  get warm(): boolean {
    const i = this.ind;
    return i.emaSlow.value !== null && i.emaFast.value !== null && i.rsi.value !== null && i.atr.value !== null;
  }

  /**
   * Feeds one closed 1m candle; anything else (open candles, higher timeframes from the feed, candles at or
   * before the last one seen) is ignored, so replays and feed-side aggregates never double count.
   */
  update(c: Candle): boolean {
    if (!c.closed || c.tf !== '1m' || c.symbol !== this.symbol || c.openTime <= this.lastOpenTime) return false;
    this.lastOpenTime = c.openTime;
    this.last = c;
    this.seen++;
    this.ind.update(c, c.openTime);
    this.vp.onCandle(c.openTime, c.low, c.high, c.volume);
    this.tfs['1m'].update(c);
    for (const h of this.agg.push(c)) this.tfs[h.tf].update(h);
    const v = this.volume1m.update(c.volume);
    if (v !== null && v > 0) this.micro.vpin.bucketVolume = v * this.p.micro.vpinBucketMinutes;
    this.updateRegime();
    return true;
  }

  /** Re-evaluated only when the regime timeframe closes a bar. */
  private updateRegime(): void {
    const e = this.tfs[this.p.regime.timeframe];
    if (e.bars === this.regimeBars) return;
    this.regimeBars = e.bars;
    const a = e.adx.value;
    const v = e.atrRatio;
    const s = e.emaSpread;
    if (a?.adx == null || v === null || s === null || !e.last) return;
    this.regime.update({ adx: a.adx, plusDi: a.plusDi, minusDi: a.minusDi, volRatio: v, spread: s }, e.last.openTime + TIMEFRAME_MS[e.tf]);
  }

  onTrades(trades: Trade[]): void {
    for (const t of trades) {
      this.micro.onTrade(t);
      if (t.ts >= this.lastOpenTime + 60_000) this.vp.onTrade(t.ts, t.price, t.qty);
    }
  }

  onBook(b: BookTop): void {
    this.micro.onBook(b);
  }

  onMark(m: MarkPrice): void {
    if (m.fundingRate !== undefined && Number.isFinite(m.fundingRate) && (!this.funding || m.ts >= this.funding.ts)) this.funding = { rate: m.fundingRate, ts: m.ts };
  }

  onDerivatives(u: DerivativesUpdate): void {
    this.derivs.onUpdate(u);
  }

  onLiquidations(b: LiquidationsBatch): void {
    this.derivs.onLiquidations(b);
  }

  setManual(m: ManualState): void {
    this.manual = m;
  }

  /** Sentiment is market-wide; ETF flows count for their asset (BTC/USDT:USDT ← BTC); a map for this symbol. */
  private manualFor(): ManualState {
    const base = this.symbol.split('/')[0];
    const { sentiment, etfFlow, liquidations } = this.manual;
    return {
      sentiment,
      etfFlow: etfFlow && etfFlow.data.asset === base ? etfFlow : null,
      liquidations: liquidations && (!liquidations.data.symbol || liquidations.data.symbol === this.symbol) ? liquidations : null,
    };
  }

  /** The snapshot at the close of the last candle (the engine must be warm). */
  snapshot(kind: Snapshot['kind'], ml: MlSignal): Snapshot {
    const c = this.last!;
    const ts = c.openTime + 60_000;
    const tf: Snapshot['tf'] = {};
    let num = 0;
    let den = 0;
    for (const name of ALL_TF) {
      const st = this.tfs[name].state();
      if (!st) continue;
      tf[name] = st;
      const w = this.p.alignmentWeights[name];
      num += w * (0.5 * structureSign(st.structure) + 0.5 * st.momentumScore);
      den += w;
    }
    const r = this.regime.value;
    const regime = r ? { ...r, timeframe: this.p.regime.timeframe, since: this.regime.since } : null;
    const micro = this.micro.snapshot(ts);
    const flow = computeFlow({
      ts, price: c.close, funding: this.funding, micro, regime,
      tf: tf[this.p.regime.timeframe] ?? tf['1m'] ?? null, manual: this.manualFor(),
      derivatives: this.derivs.view(ts), derivativesSeen: this.derivs.seen,
    }, this.p.flow);
    return {
      symbol: this.symbol, ts, kind, price: c.close,
      ind: { ...this.ind.values(), poc: this.vp.poc },
      tf,
      mtfAlignment: den > 0 ? num / den : null,
      session: sessionAt(ts), hourUtc: hourUtc(ts),
      regime, micro, flow, ml,
    };
  }
}
