// Message payloads of the execution family: orders, fills and positions as execution sees them. Types only.
// Money fields are decimal strings exactly as stored in MariaDB.
import type { AlertPayload } from './common.js';
import type { Side } from './decision.js';

export interface PositionView {
  symbol: string;
  positionId: number | null;
  side: Side | null;
  qty: string;
  entryPrice: string | null;
  stopLoss: string | null;
  takeProfit: string | null;
  unrealizedPnl: string;
}

export interface OrderUpdate {
  clientId: string;
  decisionId: string | null;
  symbol: string;
  leg: string;
  status: string;
  filledQty: string;
  avgPrice: string | null;
}

export interface PositionEvent {
  positionId: number;
  symbol: string;
  side: Side;
  qty: string;
  entryPrice: string;
  exitPrice?: string;
  realizedPnl?: string;
  fees?: string;
  reason?: string;
  decisionId?: string | null;
  /** Time of the fill that produced the event (UTC ms, exchange clock). */
  ts?: number;
}

/**
 * An intent's entry is over: refused at once by the account's checks, or worked and ended (filled, expired, given up,
 * cancelled). `expiresAt` is the intent's own, naming which intent it was; `filled` says whether it opened a position.
 */
export interface EntryEnded {
  symbol: string;
  decisionId: string;
  expiresAt: number;
  filled: boolean;
}

export interface ExecutionPayloads {
  'execution.position': PositionView;
  'execution.order_updated': OrderUpdate;
  'execution.position_opened': PositionEvent;
  'execution.position_closed': PositionEvent;
  'execution.alert': AlertPayload;
  'execution.entry_ended': EntryEnded;
}
