// Reconciliation's market exit for a position whose stop (or target) level the mark has already passed while no stop
// was on the exchange. Guarantees: the exit is a reduce-only market order through the write-ahead OrderManager with a
// deterministic client id of the crossed leg (its fill reads stop_loss / take_profit); its fills reach the ledger once.
import { dec, str } from '../domain/decimal.js';
import { clientOrderId, syntheticId } from '../domain/ids.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { Ledger, PositionRow } from './ledger.js';
import type { OrderManager } from './order-manager.js';

export interface Crossed {
  leg: 'sl' | 'tp';
  level: string;
  mark: string;
}

/** The level (stop first) the exchange's mark price is already beyond, or null. */
export async function crossedLevel(gw: ExchangeGateway, p: PositionRow): Promise<Crossed | null> {
  if (p.stop_loss === null && p.take_profit === null) return null;
  const mark = dec((await gw.fetchMarkPrice(p.symbol)).markPrice);
  const long = p.side === 'long';
  if (p.stop_loss !== null && (long ? mark.lte(p.stop_loss) : mark.gte(p.stop_loss))) return { leg: 'sl', level: str(p.stop_loss), mark: str(mark) };
  if (p.take_profit !== null && (long ? mark.gte(p.take_profit) : mark.lte(p.take_profit))) return { leg: 'tp', level: str(p.take_profit), mark: str(mark) };
  return null;
}

/** Closes the position at market as the crossed leg; returns the trade ids of the fills applied. */
export async function exitNow(gw: ExchangeGateway, ledger: Ledger, orders: OrderManager, p: PositionRow, leg: 'sl' | 'tp', now: number): Promise<string[]> {
  const decision = p.decision_id ?? syntheticId('pos', p.symbol, p.id, p.opened_at);
  const attempt = await orders.nextAttempt(decision, leg);
  const clientId = clientOrderId(decision, leg, attempt);
  await orders.submit(
    { symbol: p.symbol, clientId, side: p.side === 'long' ? 'sell' : 'buy', type: 'market', qty: str(p.qty), reduceOnly: true },
    { decisionId: p.decision_id, positionId: p.id, leg, attempt },
  );
  const applied: string[] = [];
  for (const f of await gw.fetchFills(p.symbol, now - 60_000)) {
    if (f.clientId !== clientId) continue;
    if ((await ledger.recordFill(f)).kind !== 'duplicate') applied.push(f.tradeId);
  }
  return applied;
}
