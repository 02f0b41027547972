// Message payloads of the analytics family: the snapshot the decision engine votes on. Types only.
// A value that cannot be computed yet (warm-up, missing input) is null, never a made-up number.
import type { Timeframe } from './market.js';

export type Regime = 'TRENDING_UP' | 'TRENDING_DOWN' | 'RANGING' | 'VOLATILE';
export type Structure = 'HH_HL' | 'LH_LL' | 'HH_LL' | 'LH_HL' | 'UNKNOWN';
export type Momentum = 'IMPULSE_UP' | 'IMPULSE_DOWN' | 'FADING' | 'CHOPPY';
export type Session = 'asia' | 'europe' | 'us';

/** 1m indicator values. The named keys are the contract between analytics and decision. */
export interface Indicators {
  emaFast: number | null;
  emaSlow: number | null;
  rsi: number | null;
  atr: number | null;
  sma?: number | null;
  bbUpper?: number | null;
  bbMiddle?: number | null;
  bbLower?: number | null;
  /** (upper − lower) / middle. */
  bbWidth?: number | null;
  macd?: number | null;
  macdSignal?: number | null;
  macdHist?: number | null;
  vwapSession?: number | null;
  vwapSessionUpper?: number | null;
  vwapSessionLower?: number | null;
  vwapRolling?: number | null;
  adx?: number | null;
  plusDi?: number | null;
  minusDi?: number | null;
  obv?: number | null;
  donchianHigh?: number | null;
  donchianLow?: number | null;
  keltnerUpper?: number | null;
  keltnerMiddle?: number | null;
  keltnerLower?: number | null;
  /** Rolling z-score of the close. */
  zscore?: number | null;
  /** Garman-Klass volatility (per bar). */
  gkVol?: number | null;
  /** Further indicators by name, added by analytics. */
  [name: string]: number | null | undefined;
}

export interface TimeframeState {
  close: number;
  structure: Structure;
  momentum: Momentum;
  momentumScore: number;
  atr: number | null;
  atrRegime: 'low' | 'normal' | 'high' | null;
}

export interface Microstructure {
  cvd: number;
  vpin: number | null;
  ofi: number | null;
  obi: number | null;
  whaleBuyNotional: number;
  whaleSellNotional: number;
  fairValue: number | null;
}

export interface Flow {
  fundingRate: number | null;
  fundingExtreme: boolean;
  oiChangePct: number | null;
  crowdBias: 'long' | 'short' | 'neutral';
  trapIndex: number | null;
  warnings: string[];
  /** 0 = calm, 1 = do not trade. */
  riskScore: number;
  sentiment: number | null;
  etfFlowUsd: number | null;
}

export type MlSignal = { available: false; reason: string } | { available: true; pUp: number; model: string };

export interface Snapshot {
  symbol: string;
  /** Close time of the candle the snapshot was computed on, UTC ms. */
  ts: number;
  /** `fast` on every closed 1m candle; `full` every configured period (persisted with flows and signals). */
  kind: 'fast' | 'full';
  price: number;
  ind: Indicators;
  tf: Partial<Record<Timeframe, TimeframeState>>;
  mtfAlignment: number | null;
  session: Session;
  hourUtc: number;
  regime: { label: Regime; confidence: number } | null;
  micro: Microstructure | null;
  flow: Flow | null;
  ml: MlSignal;
}

export interface AnalyticsPayloads {
  'analytics.snapshot': Snapshot;
}
