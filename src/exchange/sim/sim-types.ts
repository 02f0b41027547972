// Types of the simulated venue's state: orders of both books, positions, fills, funding, and the events it emits.
// Guarantees the whole state is plain JSON-serializable data (the store persists it, the core is rebuilt from it).
import type { ExFill, ExOrderStatus, OrderSide, OrderType } from '../types.js';
import type { SimMarket } from './markets.js';

/** Binance's algo-order (conditional) statuses. */
export type AlgoStatus = 'NEW' | 'TRIGGERED' | 'FINISHED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';

export interface SimOrder {
  /** orderId (regular book) or algoId (algo book); one counter for both. */
  id: number;
  book: 'regular' | 'algo';
  clientId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  status: ExOrderStatus;
  algoStatus: AlgoStatus | null;
  /** '0' for a closePosition conditional until it triggers. */
  qty: string;
  filledQty: string;
  avgPrice: string | null;
  cumQuote: string;
  price: string | null;
  stopPrice: string | null;
  timeInForce: 'GTC' | 'IOC' | 'GTX';
  reduceOnly: boolean;
  closePosition: boolean;
  workingType: 'MARK_PRICE' | 'CONTRACT_PRICE';
  /** Algo book: the market order its trigger placed. */
  actualOrderId: number | null;
  /** Regular book: the algo order that placed it. */
  parentAlgoId: number | null;
  createdAt: number;
  updatedAt: number;
  triggeredAt: number | null;
  reason: string | null;
}

export interface SimPosition {
  side: 'long' | 'short';
  qty: string;
  entryPrice: string;
  updatedAt: number;
}

export interface SimFunding {
  id: number;
  symbol: string;
  /** Positive: received; negative: paid. */
  amount: string;
  rate: number;
  markPrice: number;
  ts: number;
}

export interface SimState {
  seq: number;
  /** Venue time of the last event. */
  ts: number;
  /** Wallet balance: realized PnL, fees and funding applied. */
  balance: string;
  leverage: Record<string, number>;
  positions: Record<string, SimPosition>;
  orders: SimOrder[];
  fills: ExFill[];
  funding: SimFunding[];
  /** Last trade price per symbol. */
  prices: Record<string, number>;
  marks: Record<string, number>;
  premium: Record<string, { sum: number; n: number }>;
  nextFundingTime: number;
  /** Margin type per symbol once set (absent: the account's default, SimOptions.marginType). */
  marginType?: Record<string, 'isolated' | 'cross'>;
}

export interface SimOptions {
  markets: SimMarket[];
  takerFee: number;
  makerFee: number;
  startingBalance: number;
  /** Leverage of a symbol until it is set. */
  leverage: number;
  quote?: string;
  /** 'immediate': a market order fills on placement against the book (loopback venue); 'next_bar': at the next bar's open (backtests). */
  marketFill?: 'immediate' | 'next_bar';
  /** Fraction of a segment's traded volume resting limit orders may take (partial fills); 0 = no limit. */
  participation?: number;
  fundingIntervalMs?: number;
  /** Interest component of the funding rate per interval. */
  interestRate?: number;
  liquidationFeeRate?: number;
  /** Weight of the last price in the mark price per tick (1 = mark equals last). */
  markSmoothing?: number;
  /**
   * Binance refuses a stop or take-profit whose trigger price is already crossed when it arrives (-2021 "Order would
   * immediately trigger."); false accepts it and lets the next tick or bar trigger it (the venue's older behaviour).
   */
  rejectWouldTrigger?: boolean;
  /** The account's position mode: hedge answers dualSidePosition true and refuses one-way orders (-4061). */
  positionMode?: 'one_way' | 'hedge';
  /** The margin type of a symbol until it is set. */
  marginType?: 'isolated' | 'cross';
}

/** A stretch of market movement: a whole bar (backtests) or the move between two ticks (loopback venue). */
export interface Segment {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base volume traded in the segment; bounds partial fills of resting limits. */
  volume?: number;
  kind: 'bar' | 'tick';
}

export type ExecType = 'NEW' | 'TRADE' | 'CANCELED' | 'EXPIRED' | 'REJECTED' | 'CALCULATED';

/** What the venue tells its user-data stream, in order. Orders are snapshots at the time of the event. */
export type VenueEvent =
  | { kind: 'order'; order: SimOrder; fill: ExFill | null; exec: ExecType; ts: number }
  | { kind: 'algo'; order: SimOrder; ts: number }
  | { kind: 'account'; reason: 'ORDER' | 'FUNDING_FEE' | 'LIQUIDATION' | 'ADL' | 'INSURANCE_CLEAR' | 'SETTLEMENT'; symbols: string[]; ts: number };

/** Everything that changed since the last drain: what the store must write before anyone is told. */
export interface ChangeSet {
  orders: SimOrder[];
  fills: ExFill[];
  funding: SimFunding[];
  /** Symbols whose position changed (absent from state.positions = flat). */
  positions: string[];
  events: VenueEvent[];
}
