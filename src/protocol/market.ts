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

export interface MarketPayloads {
  'market.candle': Candle;
  'market.trades': TradesBatch;
  'market.book': BookTop;
  'market.mark': MarkPrice;
  'market.alert': AlertPayload;
}
