// Carries out the flatten plan (policy/flatten.ts) for the operator, the kill switch and risk halts: cancel entries, close
// what the exchange holds at market (reduce-only),
// then cancel the protective orders of every symbol that is flat. Uses OrderManager (write-ahead rows, client ids).
// Guarantees a position keeps its stop-loss until its close has filled, and a repeated flatten never doubles a close.
import { dec } from '../domain/decimal.js';
import { clientOrderId, syntheticId } from '../domain/ids.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { Ledger } from './ledger.js';
import { flattenPlan } from './policy/flatten.js';
import { positionKey } from './policy/protection.js';
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
    const pos = (await gw.fetchPositions([symbol])).find((p) => p.symbol === symbol && dec(p.qty).gt(0)) ?? null;
    const plan = flattenPlan(symbol, pos, open);
    for (const clientId of plan.cancel) {
      try {
        await ledger.applyOrderUpdate(await gw.cancelOrder(symbol, clientId));
        out.cancelledEntries++;
      } catch (err) {
        out.errors.push(`${symbol}: cancel ${clientId}: ${(err as Error).message}`);
      }
    }
    if (plan.alreadyClosing) out.alreadyClosing.push(symbol);
    if (!plan.close || !pos) continue;
    const row = await ledger.openPosition(symbol);
    const key = row ? positionKey({ decisionId: row.decision_id, symbol, id: row.id, openedAt: row.opened_at }) : syntheticId('flatten', symbol, pos.entryPrice, pos.qty);
    const attempt = await orders.nextAttempt(key, 'flatten');
    const clientId = clientOrderId(key, 'flatten', attempt);
    const req = { ...plan.close.req, clientId };
    try {
      await orders.submit(req, { decisionId: row?.decision_id ?? null, positionId: row?.id ?? null, leg: 'flatten', attempt });
      out.closing.push({ symbol, side: req.side, qty: pos.qty, clientId });
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
