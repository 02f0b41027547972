// The ExchangeGateway interface: everything execution, reconciliation and data download need.
// Guarantees one contract for the ccxt gateway and the simulated venue; errors are ExchangeErrors.
import type { Balance, Candle, ExFill, ExOrder, ExPosition, MarketInfo, OrderRequest, Timeframe } from './types.js';

export interface ExchangeGateway {
  readonly name: string;
  loadMarkets(): Promise<MarketInfo[]>;
  fetchBalance(): Promise<Balance[]>;
  fetchPositions(symbols?: string[]): Promise<ExPosition[]>;
  /** Open orders of both books: regular and conditional (stop / take-profit). */
  fetchOpenOrders(symbol?: string): Promise<ExOrder[]>;
  createOrder(req: OrderRequest): Promise<ExOrder>;
  cancelOrder(symbol: string, clientId: string): Promise<ExOrder>;
  /** The order with this client id (regular or conditional), or null if the venue never received it. */
  fetchOrderByClientId(symbol: string, clientId: string): Promise<ExOrder | null>;
  /** Own fills since `since` (UTC ms), oldest first. */
  fetchFills(symbol: string, since: number): Promise<ExFill[]>;
  fetchOhlcv(symbol: string, tf: Timeframe, since: number, limit: number): Promise<Candle[]>;
  fetchServerTime(): Promise<number>;
  close(): Promise<void>;
}
