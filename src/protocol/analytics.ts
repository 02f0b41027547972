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
  /** Point of control: the price with the most volume over `analytics.volumeProfile.windowMinutes`. */
  poc?: number | null;
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
  /** Open time of the last closed candle of this timeframe, UTC ms. */
  openTime?: number;
  /** ATR over its own average (the basis of atrRegime). */
  atrRatio?: number | null;
  emaFast?: number | null;
  emaSlow?: number | null;
  rsi?: number | null;
  adx?: number | null;
  plusDi?: number | null;
  minusDi?: number | null;
  /** Last confirmed swing high / low. */
  swingHigh?: number | null;
  swingLow?: number | null;
  /** Swing high / low confirmed before the last bar (the level a swing failure sweeps). */
  priorSwingHigh?: number | null;
  priorSwingLow?: number | null;
  /** The last closed bars of this timeframe (up to three), oldest first. */
  bars?: Array<{ openTime: number; open: number; high: number; low: number; close: number }>;
}

/** From market.trades and market.book; a field is null when its source had no data in the window. */
export interface Microstructure {
  /** Volume delta (taker buy − taker sell, base units) over the window. */
  cvd: number | null;
  /** Volume-synchronised probability of informed trading, [0, 1] (bulk volume classification). */
  vpin: number | null;
  /** Trade-flow imbalance (buy − sell) / (buy + sell) over the window, [−1, 1]. */
  ofi: number | null;
  /** Book imbalance (bid qty − ask qty) / (bid qty + ask qty) over the top levels, [−1, 1]. */
  obi: number | null;
  /** Notional (quote) of whale trades over the window. */
  whaleBuyNotional: number | null;
  whaleSellNotional: number | null;
  /** Avellaneda-Stoikov reservation price. */
  fairValue: number | null;
  windowSec?: number;
  /** Trades in the window (0 = no trade data). */
  trades?: number;
  buyVolume?: number | null;
  sellVolume?: number | null;
  whaleTrades?: number | null;
  /** Cont-Kukanov-Stoikov order flow imbalance from top-of-book changes over the window (base units). */
  ofiBook?: number | null;
  mid?: number | null;
  spread?: number | null;
  lastTradeTs?: number | null;
}

export interface Flow {
  /** Latest funding rate per funding interval (market.mark), null without a fresh one. */
  fundingRate: number | null;
  /** |fundingRate| at or above the configured extreme; null without a funding rate. */
  fundingExtreme: boolean | null;
  /** Open-interest change: null until an open-interest source exists. */
  oiChangePct: number | null;
  /** Which side the crowd leans to; null when no crowd input (funding, trade flow, liquidations, sentiment). */
  crowdBias: 'long' | 'short' | 'neutral' | null;
  trapIndex: number | null;
  /** Stable codes, e.g. funding_extreme_longs_pay, vpin_high, volatile_regime, manual_stale:sentiment. */
  warnings: string[];
  /** 0 = calm, 1 = do not trade: weighted mean of the components in `riskComponents`. */
  riskScore: number;
  /** Manual sentiment −2..2 while within its max age. */
  sentiment: number | null;
  /** Manual ETF net flow (USD) while within its max age. */
  etfFlowUsd: number | null;
  /** Crowd score in [−1, 1] (+ = crowd long) behind crowdBias. */
  crowdScore?: number | null;
  /** Each risk component in [0, 1] that had data (volatility, vpin, funding, trap, sentiment, etf, liquidations). */
  riskComponents?: Record<string, number>;
  /** Manual liquidation map near the price, while within its max age. */
  liquidations?: { longNotionalNear: number; shortNotionalNear: number; nearestLong: number | null; nearestShort: number | null } | null;
  /** The exchange's derivatives data (open interest, long/short ratios, taker volume, forced liquidations, settled funding); null without any fresh. */
  derivatives?: DerivativesView | null;
}

/** Derivatives positioning as of the snapshot; each field null when its source has no value within its max age. */
export interface DerivativesView {
  /** Stamp (period end) of the latest 5-minute metrics row used, UTC ms. */
  metricsTs: number | null;
  /** Open interest (base units): the latest live sample, else the latest metrics row. */
  openInterest: number | null;
  /** Open interest in quote (USD) from the latest metrics row. */
  openInterestValue: number | null;
  /** Open-interest change over `oiWindowSec`, percent (from the metrics rows, or a live sample against them). */
  oiChangePct: number | null;
  /** Price change over the same window, percent (from the rows' open-interest value / open interest). */
  oiPriceChangePct: number | null;
  /** All accounts' long/short ratio. */
  longShortRatio: number | null;
  topTraderAccountRatio: number | null;
  topTraderPositionRatio: number | null;
  /** Taker buy / sell volume over the last period, and as an imbalance (r − 1) / (r + 1) in [−1, 1]. */
  takerBuySellRatio: number | null;
  takerImbalance: number | null;
  /** Forced liquidations over `liqWindowSec` (longs liquidated = sell orders). Null when no liquidation stream or history reached analytics. */
  forcedLiquidations: { windowSec: number; longUsd: number; shortUsd: number; count: number } | null;
  /** The latest settled funding rate and its time. */
  fundingSettled: { rate: number; ts: number } | null;
}

export interface RegimeValueLike {
  label: Regime;
  /** [0, 1] */
  confidence: number;
  /** Timeframe the regime is classified on. */
  timeframe?: Timeframe;
  /** When the current label started (close time of the bar that confirmed it), UTC ms. */
  since?: number;
}

export type MlSignal = { available: false; reason: string } | { available: true; pUp: number; model: string };

/** The LLM swarm's latest consensus for a symbol (src/ai), as formed at `madeAt`: never one made after the snapshot. */
export interface AiConsensusView {
  /** Clock time the consensus was formed (its last answer arrived), UTC ms. */
  madeAt: number;
  /** Close time of the snapshot the agents' prompts were built from. */
  basedOn: number;
  /** Seed 000's blend: generalists (accuracy-weighted) × 0.4 + personas (equal weight) × 0.6. */
  pUp: number;
  /** Share of the answers on the majority side (bull p > 0.55, bear p < 0.45). */
  agreement: number;
  generalistPUp: number | null;
  swarmPUp: number | null;
  /** Valid answers used, of the agents asked. */
  agents: number;
  of: number;
  horizonMin: number;
  cycleId: string;
}

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
  regime: RegimeValueLike | null;
  micro: Microstructure | null;
  flow: Flow | null;
  ml: MlSignal;
  /** The swarm's latest consensus made at or before `ts` (absent: the swarm is off or has not answered yet). */
  ai?: AiConsensusView | null;
  /**
   * True on the full snapshot a (re)started analytics worker publishes from stored history as soon as it is
   * warm (its ts may repeat one a previous incarnation already published; consumers must stay idempotent).
   */
  warmup?: boolean;
}

export interface AnalyticsPayloads {
  'analytics.snapshot': Snapshot;
}
