// Message payloads of the market family (published by market-feed). Types only.
// Prices and volumes are float64 here (analytics input); money in orders and fills is decimal strings.
import type { AlertPayload } from './common.js';

export type Timeframe = '1m' | '5m' | '15m' | '1h' | '4h';

export interface Candle {
  symbol: string;
  tf: Timeframe;
  /** Open time, UTC ms; the candle covers [openTime, openTime + tf). */
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base-asset volume. */
  volume: number;
  /** Taker-buy base volume when the source provides it. */
  takerBuyVolume?: number;
  /** False for an in-progress update; analytics and decisions act only on closed candles. */
  closed: boolean;
}

export interface Trade {
  id: string;
  ts: number;
  price: number;
  qty: number;
  /** Aggressor side. */
  side: 'buy' | 'sell';
}

export interface TradesBatch {
  symbol: string;
  trades: Trade[];
}

export interface BookTop {
  symbol: string;
  ts: number;
  /** [price, qty] levels, best first. */
  bids: Array<[number, number]>;
  asks: Array<[number, number]>;
}

export interface MarkPrice {
  symbol: string;
  ts: number;
  markPrice: number;
  indexPrice?: number;
  fundingRate?: number;
  nextFundingTime?: number;
}

/**
 * One 5-minute row of Binance's derivatives statistics (the `metrics` archive, `/futures/data/*`), stamped with the end
 * of its period (`create_time`): visible from `ts` on, never before. A field is null when its source had no value.
 */
export interface DerivativesMetrics {
  symbol: string;
  ts: number;
  /** Open interest, base units (sum_open_interest) and quote (sum_open_interest_value). */
  openInterest: number | null;
  openInterestValue: number | null;
  /** Top traders' long/short ratio by accounts (count_toptrader_long_short_ratio) and by positions (sum_toptrader_long_short_ratio). */
  topTraderAccountRatio: number | null;
  topTraderPositionRatio: number | null;
  /** All accounts' long/short ratio (count_long_short_ratio). */
  longShortRatio: number | null;
  /** Taker buy volume / taker sell volume over the period (sum_taker_long_short_vol_ratio). */
  takerBuySellRatio: number | null;
}

/** Open interest now (GET /fapi/v1/openInterest), base units. */
export interface OpenInterestSample {
  symbol: string;
  ts: number;
  openInterest: number;
}

/** A settled funding rate (funding history / the fundingRate archive), at its funding time. */
export interface FundingSettlement {
  symbol: string;
  ts: number;
  rate: number;
  intervalHours: number | null;
  markPrice: number | null;
}

/** A forced liquidation (`<symbol>@forceOrder`). `side` is the liquidation order's: sell = a long was liquidated. */
export interface Liquidation {
  symbol: string;
  ts: number;
  side: 'buy' | 'sell';
  price: number;
  avgPrice: number;
  qty: number;
  /** avgPrice × qty (quote). */
  notional: number;
}

/** Derivatives data as it arrives (polled or from history), oldest first; every list may be empty. */
export interface DerivativesUpdate {
  symbol: string;
  metrics: DerivativesMetrics[];
  openInterest: OpenInterestSample | null;
  funding: FundingSettlement[];
}

export interface LiquidationsBatch {
  symbol: string;
  liquidations: Liquidation[];
  /** The source has seen every liquidation since this time (sent when the stream connects): no event = none happened. */
  coverageFrom?: number;
}

export interface MarketPayloads {
  'market.candle': Candle;
  'market.derivatives': DerivativesUpdate;
  'market.liquidations': LiquidationsBatch;
  'market.trades': TradesBatch;
  'market.book': BookTop;
  'market.mark': MarkPrice;
  'market.alert': AlertPayload;
}
