// The product's own exchange types: what every gateway returns, whatever the venue.
// Money and quantities are decimal strings; times are UTC ms; symbols are unified (BTC/USDT:USDT).
import type { Candle, MarkPrice, Timeframe } from '../protocol/index.js';
import type { ExchangeError } from './errors.js';

export interface MarketInfo {
  symbol: string;
  /** Venue id, e.g. BTCUSDT. */
  id: string;
  base: string;
  quote: string;
  tickSize: string;
  qtyStep: string;
  minQty: string;
  minNotional: string;
  maxLeverage: number;
}

export interface Balance {
  asset: string;
  /** Wallet balance (realized PnL, fees and funding applied). */
  total: string;
  free: string;
  unrealizedPnl: string;
}

/**
 * A fill or order the exchange made on its own to close a position: a liquidation (`autoclose-…`), one taken over by the
 * insurance fund (status NEW_INSURANCE), an auto-deleveraging (NEW_ADL, `adl_autoclose…`) or a delivery/settlement
 * (`settlement_autoclose-…`). Its fill closes a position with this as the exit reason; it never opens one.
 */
export type ForcedKind = 'liquidation' | 'adl' | 'insurance' | 'settlement';

/** The account's position mode: one-way (one net position per symbol) or hedge (LONG and SHORT legs). */
export type PositionMode = 'one_way' | 'hedge';
export type MarginType = 'isolated' | 'cross';

/** One leverage bracket of a symbol: up to `notionalCap` of position notional, at most `maxLeverage`. */
export interface LeverageBracket {
  bracket: number;
  maxLeverage: number;
  notionalFloor: number;
  notionalCap: number;
  maintMarginRatio: number;
}

export interface ExPosition {
  symbol: string;
  side: 'long' | 'short';
  qty: string;
  entryPrice: string;
  markPrice: string;
  unrealizedPnl: string;
  leverage: number;
  liquidationPrice: string | null;
  updatedAt: number;
}

export type OrderType = 'market' | 'limit' | 'stop_market' | 'take_profit_market';
export type OrderSide = 'buy' | 'sell';
export type ExOrderStatus = 'new' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected' | 'expired';

export interface OrderRequest {
  symbol: string;
  clientId: string;
  side: OrderSide;
  type: OrderType;
  /** Omitted only with closePosition. */
  qty?: string;
  price?: string;
  stopPrice?: string;
  reduceOnly?: boolean;
  closePosition?: boolean;
  timeInForce?: 'GTC' | 'IOC' | 'GTX';
  workingType?: 'MARK_PRICE' | 'CONTRACT_PRICE';
  /**
   * Our wall time by which the exchange must have taken the order (an entry whose stop was just confirmed live): sent
   * with the recvWindow left, so the exchange refuses it if it arrives later (-1021 at the gate, -5028 at the matching
   * engine); never resent by the gateway, and not sent at all once passed. Not stored.
   */
  notAfter?: number;
}

export interface ExOrder {
  symbol: string;
  clientId: string;
  exchangeId: string;
  side: OrderSide;
  type: OrderType;
  status: ExOrderStatus;
  qty: string;
  filledQty: string;
  avgPrice: string | null;
  price: string | null;
  stopPrice: string | null;
  reduceOnly: boolean;
  closePosition: boolean;
  /** True for stop/take-profit orders (Binance's algo-order book). */
  conditional: boolean;
  createdAt: number;
  updatedAt: number;
  /** Set when the exchange placed it to close a position (liquidation, ADL, insurance fund, settlement). */
  forced?: ForcedKind;
}

/**
 * One order's outcome in a createOrders call. `placed`: on the venue. `rejected`: the venue refused this order (not on
 * it). `unknown`: it may or may not be on the venue (a timeout or 5xx of the request that carried it): resolve it by
 * client id before anything else is sent for it. `not_sent`: it never left, or left in a request the venue surely refused
 * before acting (rate limit, clock), or was held back because a protective order sent before it did not succeed.
 */
export type OrderOutcome =
  | { status: 'placed'; order: ExOrder }
  | { status: 'rejected' | 'unknown' | 'not_sent'; error: ExchangeError };

export interface CreateOrdersOptions {
  /**
   * Send the regular orders only once every conditional (stop / take-profit) order of the call is known placed; if any
   * is not, the regular ones come back `not_sent`. Without it every request goes out at once.
   */
  protectiveFirst?: boolean;
}

export interface ExFill {
  symbol: string;
  tradeId: string;
  clientId: string | null;
  exchangeOrderId: string;
  side: OrderSide;
  qty: string;
  price: string;
  fee: string;
  feeAsset: string;
  realizedPnl: string;
  isMaker: boolean;
  ts: number;
  /** Set when the exchange made this fill on its own to close a position (its exit reason). */
  forced?: ForcedKind;
}

/** A funding payment from the exchange's income history. */
export interface FundingPayment {
  symbol: string;
  /** The exchange's transaction id: unique per payment. */
  tranId: string;
  /** Positive: received; negative: paid (quote currency). */
  amount: string;
  asset: string;
  ts: number;
}

/** What the venue's user-data stream says, in the product's terms. */
export type UserEvent =
  | { kind: 'order'; order: ExOrder; fill: ExFill | null; ts: number }
  | { kind: 'account'; reason: string; balances: Balance[]; positions: AccountPosition[]; ts: number }
  /** The stream went down (poll over REST until it is up again) or came back (catch up once). */
  | { kind: 'status'; up: boolean; reason: string };

export interface AccountPosition {
  symbol: string;
  side: 'long' | 'short' | null;
  qty: string;
  entryPrice: string;
  /** BOTH in one-way mode; LONG / SHORT are hedge-mode legs (bosun refuses a hedge-mode account). */
  positionSide?: 'BOTH' | 'LONG' | 'SHORT';
}

export interface UserDataSubscription {
  readonly up: boolean;
  close(): Promise<void>;
}

export type { Candle, MarkPrice, Timeframe };
