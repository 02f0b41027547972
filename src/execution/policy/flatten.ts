// The flatten plan as a pure function: for each symbol, the entry orders to cancel and the reduce-only market close of
// what the exchange holds. Used by the operator's flatten, the kill switch and risk halts, live and in backtests.
// Guarantees: pure; stops and targets are never in the cancel list (they stay until the symbol is flat); a symbol that
// already has a reduce-only market close working gets no second one.
import { dec } from '../../domain/decimal.js';
import type { Side } from '../../protocol/index.js';
import { marketClose } from './exit.js';
import type { PlannedOrder } from './protection.js';

export interface FlattenOpenOrder {
  clientId: string;
  type: string;
  reduceOnly: boolean;
  closePosition: boolean;
  conditional: boolean;
}

export interface FlattenSymbolPlan {
  symbol: string;
  /** Entry orders (not reduce-only, not conditional) to cancel. */
  cancel: string[];
  /** The close to place, or null (flat, or a close is already working). */
  close: PlannedOrder | null;
  alreadyClosing: boolean;
}

export function flattenPlan(symbol: string, position: { side: Side; qty: string } | null, open: FlattenOpenOrder[]): FlattenSymbolPlan {
  const cancel = open.filter((o) => !o.reduceOnly && !o.closePosition && !o.conditional).map((o) => o.clientId);
  if (!position || !dec(position.qty).gt(0)) return { symbol, cancel, close: null, alreadyClosing: false };
  const alreadyClosing = open.some((o) => o.reduceOnly && !o.conditional && o.type === 'market');
  return { symbol, cancel, close: alreadyClosing ? null : marketClose({ symbol, side: position.side, qty: position.qty }, 'flatten'), alreadyClosing };
}
