// Places and cancels orders the safe way: write-ahead row, exchange call, resolve ambiguity by client id.
// Guarantees: no exchange call without a committed row; one intent (client id) never yields two live orders: an
// unclear outcome is looked up by client id, and the same request is sent again only once the venue can no longer
// accept the first (its recvWindow has passed and the client id is still unknown); every open position gets a
// stop-loss and a take-profit on the exchange.
import { floorToStep, roundToStep, str } from '../domain/decimal.js';
import { clientOrderId, type Leg } from '../domain/ids.js';
import { ExchangeError } from '../exchange/errors.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { ExOrder, MarketInfo, OrderRequest } from '../exchange/types.js';
import type { Logger } from '../log/logger.js';
import { planPosition, type Ledger, type PositionRow } from './ledger.js';
import { positionKey, protectionPlan, type ProtectionDefaults } from './policy/protection.js';
import { chaosPoint } from '../ops/chaos-point.js';

export interface SubmitMeta {
  decisionId: string | null;
  positionId: number | null;
  leg: Leg;
  attempt: number;
}

export interface SubmitOptions {
  /**
   * Takes the write of the venue's answer (accepted: the row leaves pending_submit) instead of submit awaiting it, so the
   * caller's next request can go out meanwhile; the caller must await it before its work ends (a failure is its own).
   */
  adoptLater?: (written: Promise<unknown>) => void;
}

export interface SubmitPolicy {
  /** The venue's recvWindow: a request older than this (plus margin) can no longer be accepted. */
  recvWindowMs: number;
  /** Margin for clock offset and network delay on top of recvWindowMs. */
  settleMarginMs: number;
  /** Sends of one request in total (the first included) when each earlier one is proven never placed. */
  maxSends: number;
  /** Failed look-ups tolerated while resolving an ambiguous outcome. */
  maxLookupFailures: number;
  /** Stop and target for a position with none known (execution.protection in config). */
  protection: ProtectionDefaults;
}

const DEFAULT_POLICY: Omit<SubmitPolicy, 'protection'> = { recvWindowMs: 5000, settleMarginMs: 1000, maxSends: 3, maxLookupFailures: 5 };

export class OrderManager {
  private readonly markets = new Map<string, MarketInfo>();
  private readonly policy: SubmitPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly stats = { sends: 0, ambiguous: 0, resolvedFound: 0, resolvedAbsent: 0, resent: 0 };

  constructor(
    private readonly gw: ExchangeGateway, private readonly ledger: Ledger, private readonly log: Logger,
    policy: Partial<SubmitPolicy> & Pick<SubmitPolicy, 'protection'>, sleep?: (ms: number) => Promise<void>,
  ) {
    this.policy = { ...DEFAULT_POLICY, ...policy };
    this.sleep = sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

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

  /**
   * Write-ahead submit. Returns the exchange's view of the order; throws definitive failures (rejected, or proven
   * never placed) and `ambiguous` when the outcome could not be learnt (the row stays pending_submit for
   * reconciliation, and no other order may be sent for this intent until it is resolved).
   */
  async submit(raw: OrderRequest, meta: SubmitMeta, opts: SubmitOptions = {}): Promise<ExOrder> {
    const req = this.normalize(raw);
    // One round trip: the row is written unless this client id has one already (then that row tells what to do).
    const existing = await this.ledger.insertPendingIfNew(req, meta);
    if (existing && existing.status !== 'pending_submit') {
      // This intent was sent and settled before (e.g. a retry after a crash): never send it a second time.
      const ex = await this.gw.fetchOrderByClientId(req.symbol, req.clientId);
      if (ex) return ex;
      throw new ExchangeError(`order ${req.clientId} was already submitted (${existing.status}); not sending it again`, 'definitive');
    }
    if (existing) {
      // Written by an earlier run that may have sent it: learn its fate before anything else.
      const r = await this.resolve(req, Date.now());
      if (r === 'unknown') throw new ExchangeError(`order ${req.clientId} from an earlier run could not be resolved`, 'ambiguous');
      if (r !== 'absent') return this.adopt(r);
    }
    chaosPoint('order.written');
    for (let send = 1; ; send++) {
      const sentAt = Date.now();
      this.stats.sends++;
      try {
        const ex = await this.gw.createOrder(req).finally(() => chaosPoint('order.answered'));
        if (!opts.adoptLater) return await this.adopt(ex);
        opts.adoptLater(this.adopt(ex));
        return ex;
      } catch (err) {
        if (err instanceof ExchangeError && err.kind === 'definitive') {
          await this.ledger.markRejected(req.clientId, err.message);
          throw err;
        }
        if (err instanceof ExchangeError && err.kind === 'retryable') {
          // The venue refused it before acting (rate limit, clock, connection refused) and retries are spent.
          await this.ledger.markNeverPlaced(req.clientId, `refused by the exchange: ${err.message}`);
          throw err;
        }
        this.stats.ambiguous++;
        this.log.warn({ clientId: req.clientId, err: (err as Error).message }, 'order outcome unknown; resolving by client id');
        const r = await this.resolve(req, sentAt);
        if (r === 'unknown') throw err;
        if (r !== 'absent') return this.adopt(r);
        if (send >= this.policy.maxSends) {
          await this.ledger.markNeverPlaced(req.clientId, `not on the exchange after ${send} sends: ${(err as Error).message}`);
          throw new ExchangeError(`order ${req.clientId} was never placed: ${(err as Error).message}`, 'definitive', undefined, undefined, { cause: err });
        }
        this.stats.resent++;
        this.log.warn({ clientId: req.clientId, send }, 'order proven never placed; sending it again with the same client id');
      }
    }
  }

  private async adopt(o: ExOrder): Promise<ExOrder> {
    await this.ledger.applyOrderUpdate(o);
    return o;
  }

  /**
   * The order with this client id, 'absent' once the venue can no longer accept a request sent at `sentAt`
   * (recvWindow passed and still unknown), or 'unknown' when look-ups keep failing.
   */
  async resolve(req: OrderRequest, sentAt: number): Promise<ExOrder | 'absent' | 'unknown'> {
    const deadline = sentAt + this.policy.recvWindowMs + this.policy.settleMarginMs;
    let failures = 0;
    for (;;) {
      let found: ExOrder | null;
      try {
        found = await this.gw.fetchOrderByClientId(req.symbol, req.clientId);
      } catch (err) {
        if (++failures > this.policy.maxLookupFailures) return 'unknown';
        this.log.warn({ clientId: req.clientId, err: (err as Error).message }, 'look-up by client id failed; retrying');
        await this.sleep(Math.min(5000, 200 * 2 ** failures));
        continue;
      }
      if (found) {
        this.stats.resolvedFound++;
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.stats.resolvedAbsent++;
        return 'absent';
      }
      await this.sleep(Math.min(left, 500));
    }
  }

  /** Attempt number for the next order of `leg` on this decision: one more than the rows already written. */
  async nextAttempt(decisionId: string, leg: Leg): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      if (!(await this.ledger.order(clientOrderId(decisionId, leg, attempt)))) return attempt;
    }
  }

  /**
   * Places what the protection plan (policy/protection.ts) finds missing for this position: the stop first, then each
   * take-profit leg; levels filled in from the defaults are kept with the position.
   */
  async ensureProtection(p: PositionRow, openOrders?: ExOrder[]): Promise<{ placed: Leg[] }> {
    const open = openOrders ?? (await this.gw.fetchOpenOrders(p.symbol));
    const plan = protectionPlan(planPosition(p), await this.ledger.held(open), await this.ledger.filledTargets(p.id), this.market(p.symbol), this.policy.protection);
    if (p.stop_loss === null || (p.take_profit === null && p.take_profits === null)) await this.ledger.setLevels(p.id, plan.stopLoss, plan.takeProfits);
    const key = positionKey({ decisionId: p.decision_id, symbol: p.symbol, id: p.id, openedAt: p.opened_at });
    const placed: Leg[] = [];
    for (const o of plan.place) {
      const attempt = await this.nextAttempt(key, o.leg);
      await this.submit({ ...o.req, clientId: clientOrderId(key, o.leg, attempt) }, { decisionId: p.decision_id, positionId: p.id, leg: o.leg, attempt });
      placed.push(o.leg);
    }
    return { placed };
  }

  /**
   * Cancels one order and learns its final state, every step through the status table: pending_cancel first, then
   * the venue's answer (cancelled, or filled when the fill won the race); a refused cancel returns the order to its
   * live status (new / partially_filled). Returns the exchange's view, or null when it could not be learnt.
   */
  async cancelConfirmed(symbol: string, clientId: string, conditional: boolean): Promise<ExOrder | null> {
    await this.ledger.applyEvent(clientId, 'cancel_requested');
    try {
      return await this.adopt(await this.gw.cancelOrder(symbol, clientId, conditional));
    } catch (err) {
      this.log.warn({ clientId, err: (err as Error).message }, 'cancel failed; reading the order back');
      let ex: ExOrder | null = null;
      try {
        ex = await this.gw.fetchOrderByClientId(symbol, clientId);
      } catch {
        ex = null;
      }
      if (ex) return this.adopt(ex);
      await this.ledger.applyEvent(clientId, 'cancel_failed', `cancel failed: ${(err as Error).message}`);
      return null;
    }
  }

  /** Cancels protective orders left on the exchange once a symbol has no position (OCO by hand). */
  async cancelLeftovers(symbol: string, openOrders?: ExOrder[]): Promise<number> {
    let n = 0;
    for (const o of openOrders ?? (await this.gw.fetchOpenOrders(symbol))) {
      if (!o.reduceOnly && !o.closePosition) continue;
      try {
        const c = await this.gw.cancelOrder(symbol, o.clientId, o.conditional);
        await this.ledger.applyOrderUpdate(c);
        n++;
      } catch (err) {
        this.log.warn({ clientId: o.clientId, err: (err as Error).message }, 'cancel of a leftover protective order failed');
      }
    }
    return n;
  }
}
