// Flatten (operator or kill switch): cancel entries, close what the exchange holds at market (reduce-only),
// then cancel the protective orders of every symbol that is flat. Uses OrderManager (write-ahead rows, client ids).
// Guarantees a position keeps its stop-loss until its close has filled, and a repeated flatten never doubles a close.
import { dec } from '../domain/decimal.js';
import { clientOrderId, syntheticId } from '../domain/ids.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { Ledger } from './ledger.js';
import type { OrderManager } from './order-manager.js';

export interface FlattenSubmitted {
  cancelledEntries: number;
  closing: Array<{ symbol: string; side: 'buy' | 'sell'; qty: string; clientId: string }>;
  /** Symbols that already had a close order working (a repeated flatten). */
  alreadyClosing: string[];
  errors: string[];
}

/** Step 1 (run in the execution worker's serial queue): cancel entries and submit reduce-only market closes. */
export async function submitFlatten(gw: ExchangeGateway, ledger: Ledger, orders: OrderManager, symbols: string[]): Promise<FlattenSubmitted> {
  const out: FlattenSubmitted = { cancelledEntries: 0, closing: [], alreadyClosing: [], errors: [] };
  for (const symbol of symbols) {
    const open = await gw.fetchOpenOrders(symbol);
    for (const o of open.filter((x) => !x.reduceOnly && !x.closePosition)) {
      try {
        await ledger.applyOrderUpdate(await gw.cancelOrder(symbol, o.clientId));
        out.cancelledEntries++;
      } catch (err) {
        out.errors.push(`${symbol}: cancel ${o.clientId}: ${(err as Error).message}`);
      }
    }
    const pos = (await gw.fetchPositions([symbol])).find((p) => p.symbol === symbol && dec(p.qty).gt(0));
    if (!pos) continue;
    if (open.some((o) => o.reduceOnly && !o.conditional && o.type === 'market')) {
      out.alreadyClosing.push(symbol);
      continue;
    }
    const row = await ledger.openPosition(symbol);
    const decision = row ? (row.decision_id ?? syntheticId('pos', row.symbol, row.id, row.opened_at)) : syntheticId('flatten', symbol, pos.entryPrice, pos.qty);
    const attempt = await orders.nextAttempt(decision, 'flatten');
    const side = pos.side === 'long' ? 'sell' : 'buy';
    const clientId = clientOrderId(decision, 'flatten', attempt);
    try {
      await orders.submit({ symbol, clientId, side, type: 'market', qty: pos.qty, reduceOnly: true }, { decisionId: row?.decision_id ?? null, positionId: row?.id ?? null, leg: 'flatten', attempt });
      out.closing.push({ symbol, side, qty: pos.qty, clientId });
    } catch (err) {
      out.errors.push(`${symbol}: close: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Step 3 (serial queue again): cancel stops and targets left on symbols the exchange shows flat. */
export async function cancelProtectionWhereFlat(gw: ExchangeGateway, orders: OrderManager, symbols: string[]): Promise<{ cancelledProtective: number; stillOpen: string[] }> {
  let cancelledProtective = 0;
  const stillOpen: string[] = [];
  const positions = await gw.fetchPositions(symbols);
  for (const symbol of symbols) {
    if (positions.some((p) => p.symbol === symbol && dec(p.qty).gt(0))) stillOpen.push(symbol);
    else cancelledProtective += await orders.cancelLeftovers(symbol);
  }
  return { cancelledProtective, stillOpen };
}
