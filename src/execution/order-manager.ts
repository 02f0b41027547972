// Places and cancels orders the safe way: write-ahead row, exchange call, resolve ambiguity by client id.
// Guarantees: no exchange call without a committed row; an unclear outcome is looked up, never blindly retried;
// every open position gets a stop-loss and a take-profit on the exchange.
import { dec, floorToStep, roundToStep, str } from '../domain/decimal.js';
import { clientOrderId, syntheticId, type Leg } from '../domain/ids.js';
import { ExchangeError } from '../exchange/errors.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { ExOrder, MarketInfo, OrderRequest } from '../exchange/types.js';
import type { Logger } from '../log/logger.js';
import type { Ledger, PositionRow } from './ledger.js';

export interface SubmitMeta {
  decisionId: string | null;
  positionId: number | null;
  leg: Leg;
  attempt: number;
}

export class OrderManager {
  private readonly markets = new Map<string, MarketInfo>();

  constructor(private readonly gw: ExchangeGateway, private readonly ledger: Ledger, private readonly log: Logger) {}

  async loadMarkets(): Promise<void> {
    for (const m of await this.gw.loadMarkets()) this.markets.set(m.symbol, m);
  }

  market(symbol: string): MarketInfo {
    const m = this.markets.get(symbol);
    if (!m) throw new ExchangeError(`market ${symbol} is not listed on ${this.gw.name}`, 'definitive');
    return m;
  }

  /** Rounds to the market's steps: quantity down (never more than intended), prices to the nearest tick. */
  normalize(req: OrderRequest): OrderRequest {
    const m = this.market(req.symbol);
    return {
      ...req,
      ...(req.qty !== undefined ? { qty: str(floorToStep(req.qty, m.qtyStep)) } : {}),
      ...(req.price !== undefined ? { price: str(roundToStep(req.price, m.tickSize)) } : {}),
      ...(req.stopPrice !== undefined ? { stopPrice: str(roundToStep(req.stopPrice, m.tickSize)) } : {}),
    };
  }

  /** Write-ahead submit. Returns the exchange's view of the order; throws only definitive failures. */
  async submit(raw: OrderRequest, meta: SubmitMeta): Promise<ExOrder> {
    const req = this.normalize(raw);
    await this.ledger.insertPending(req, meta);
    try {
      const o = await this.gw.createOrder(req);
      await this.ledger.applyOrderUpdate(o);
      return o;
    } catch (err) {
      if (err instanceof ExchangeError && err.kind === 'definitive') {
        await this.ledger.markRejected(req.clientId, err.message);
        throw err;
      }
      // Ambiguous: did the exchange take it? Ask by client id before anything else.
      const found = await this.gw.fetchOrderByClientId(req.symbol, req.clientId).catch(() => undefined);
      if (found) {
        await this.ledger.applyOrderUpdate(found);
        return found;
      }
      if (found === null) await this.ledger.markNeverPlaced(req.clientId, `not on the exchange after: ${(err as Error).message}`);
      throw err;
    }
  }

  /** Attempt number for the next order of `leg` on this decision: one more than the rows already written. */
  async nextAttempt(decisionId: string, leg: Leg): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      if (!(await this.ledger.order(clientOrderId(decisionId, leg, attempt)))) return attempt;
    }
  }

  /** Places whichever of stop-loss and take-profit the exchange does not hold for this position. */
  async ensureProtection(p: PositionRow, defaultStopPct = 0.02, defaultTpPct = 0.04): Promise<{ placed: Leg[] }> {
    const open = await this.gw.fetchOpenOrders(p.symbol);
    const exitSide = p.side === 'long' ? 'sell' : 'buy';
    const hasStop = open.some((o) => o.conditional && o.type === 'stop_market' && o.side === exitSide);
    const hasTp = open.some((o) => o.conditional && o.type === 'take_profit_market' && o.side === exitSide);
    const decision = p.decision_id ?? syntheticId('pos', p.symbol, p.id, p.opened_at);
    const entry = dec(p.entry_price);
    const sign = p.side === 'long' ? -1 : 1;
    const placed: Leg[] = [];
    if (!hasStop) {
      const stop = p.stop_loss ?? str(entry.mul(1 + sign * defaultStopPct));
      const attempt = await this.nextAttempt(decision, 'sl');
      await this.submit(
        { symbol: p.symbol, clientId: clientOrderId(decision, 'sl', attempt), side: exitSide, type: 'stop_market', stopPrice: stop, closePosition: true, workingType: 'MARK_PRICE' },
        { decisionId: p.decision_id, positionId: p.id, leg: 'sl', attempt },
      );
      if (p.stop_loss === null) await this.ledger.setProtection(p.id, str(roundToStep(stop, this.market(p.symbol).tickSize)), null);
      placed.push('sl');
    }
    if (!hasTp) {
      const tp = p.take_profit ?? str(entry.mul(1 - sign * defaultTpPct));
      const attempt = await this.nextAttempt(decision, 'tp');
      await this.submit(
        { symbol: p.symbol, clientId: clientOrderId(decision, 'tp', attempt), side: exitSide, type: 'take_profit_market', stopPrice: tp, closePosition: true, workingType: 'MARK_PRICE' },
        { decisionId: p.decision_id, positionId: p.id, leg: 'tp', attempt },
      );
      if (p.take_profit === null) await this.ledger.setProtection(p.id, null, str(roundToStep(tp, this.market(p.symbol).tickSize)));
      placed.push('tp');
    }
    return { placed };
  }

  /** Cancels protective orders left on the exchange once a symbol has no position (OCO by hand). */
  async cancelLeftovers(symbol: string): Promise<number> {
    let n = 0;
    for (const o of await this.gw.fetchOpenOrders(symbol)) {
      if (!o.reduceOnly && !o.closePosition) continue;
      try {
        const c = await this.gw.cancelOrder(symbol, o.clientId);
        await this.ledger.applyOrderUpdate(c);
        n++;
      } catch (err) {
        this.log.warn({ clientId: o.clientId, err: (err as Error).message }, 'cancel of a leftover protective order failed');
      }
    }
    return n;
  }
}
