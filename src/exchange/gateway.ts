// The ExchangeGateway interface: everything execution, reconciliation, the feed and data download need.
// Guarantees one venue-neutral contract for the ccxt gateway and the simulated venue; errors are ExchangeErrors.
import type { DerivativesMetrics, FundingSettlement, OpenInterestSample } from '../protocol/index.js';
import type { Balance, Candle, CreateOrdersOptions, ExFill, FundingPayment, ExOrder, ExPosition, LeverageBracket, MarginType, MarketInfo, MarkPrice, OrderOutcome, OrderRequest, PositionMode, Timeframe, UserDataSubscription, UserEvent } from './types.js';

export interface ExchangeGateway {
  readonly name: string;
  loadMarkets(): Promise<MarketInfo[]>;
  fetchBalance(): Promise<Balance[]>;
  fetchPositions(symbols?: string[]): Promise<ExPosition[]>;
  /** Open orders of both books: regular and conditional (stop / take-profit). */
  fetchOpenOrders(symbol?: string): Promise<ExOrder[]>;
  createOrder(req: OrderRequest): Promise<ExOrder>;
  /**
   * Several orders in as few requests as the venue allows (Binance: regular orders in batches of 5 through
   * POST /fapi/v1/batchOrders, each conditional one alone through the algo-order API, which has no batch), one outcome per
   * request in the same order. Never throws for an order's failure: each outcome says what is known of that order.
   */
  createOrders(reqs: OrderRequest[], opts?: CreateOrdersOptions): Promise<OrderOutcome[]>;
  /** Cancels by client id; `conditional` says which book when known (otherwise both are tried). */
  cancelOrder(symbol: string, clientId: string, conditional?: boolean): Promise<ExOrder>;
  /** The order with this client id (regular or conditional), or null if the venue never received it. */
  fetchOrderByClientId(symbol: string, clientId: string): Promise<ExOrder | null>;
  /** Own fills since `since` (UTC ms), oldest first. */
  fetchFills(symbol: string, since: number): Promise<ExFill[]>;
  /** Funding payments since `since` (UTC ms), oldest first (optional: a venue without funding has none). */
  fetchFunding?(symbol: string, since: number): Promise<FundingPayment[]>;
  /** Candles from `since`, oldest first; the last one may still be forming (`closed: false`). */
  fetchOhlcv(symbol: string, tf: Timeframe, since: number, limit: number): Promise<Candle[]>;
  fetchServerTime(): Promise<number>;
  /** 5-minute derivatives statistics from `since` (optional: a venue without them has none); invalid values dropped and counted. */
  fetchDerivativesMetrics?(symbol: string, since: number, limit: number): Promise<{ rows: DerivativesMetrics[]; dropped: number }>;
  /** Open interest now. */
  fetchOpenInterest?(symbol: string): Promise<OpenInterestSample | null>;
  /** Settled funding rates from `since`, oldest first. */
  fetchFundingHistory?(symbol: string, since: number, limit: number): Promise<{ rows: FundingSettlement[]; dropped: number }>;
  fetchMarkPrice(symbol: string): Promise<MarkPrice>;
  setLeverage(symbol: string, leverage: number): Promise<void>;
  /** The account's position mode (optional: an in-process venue is one-way by construction). */
  fetchPositionMode?(): Promise<PositionMode>;
  /** Each symbol's leverage brackets, lowest notional first. */
  fetchLeverageBrackets?(symbols: string[]): Promise<Map<string, LeverageBracket[]>>;
  /** Sets the symbol's margin type; already set is success. */
  setMarginType?(symbol: string, type: MarginType): Promise<void>;
  /** Order, fill and account events as they happen; `status` events say when the stream is down (poll then). */
  subscribeUserData(listener: (e: UserEvent) => void): Promise<UserDataSubscription>;
  close(): Promise<void>;
}
