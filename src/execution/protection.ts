// Carries out the protection and management plans (policy/protection.ts, policy/exit.ts) for one open position on the
// exchange each loop: stop-loss and take-profit legs present, the stop moved by the stop rules, the position closed at
// market past its max holding time or when price fell through its trail.
// Guarantees: a stop is moved by placing the new one first and cancelling the old one only after (never a moment
// without a stop); the stops stay until the position is flat; one working market exit per position at a time.
import { str } from '../domain/decimal.js';
import { isOpen } from '../domain/order-status.js';
import { clientOrderId, type Leg } from '../domain/ids.js';
import { isReduceOnlyRejected } from '../exchange/binance/classify.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { Logger } from '../log/logger.js';
import { planPosition, type Ledger, type PositionRow } from './ledger.js';
import type { OrderManager } from './order-manager.js';
import { managePlan, marketClose } from './policy/exit.js';
import { positionKey, type PlannedOrder } from './policy/protection.js';
import type { ProtectionConfig } from './policy/stops.js';

export interface ManageResult {
  /** A market exit (max hold, trail crossed, flatten) is working for the position. */
  exiting: boolean;
  /** What was done this loop, for logs and alerts: placed:sl, moved:trailing, exit:time, … */
  actions: string[];
}

/** The key a position's orders are named by (policy/protection.ts positionKey, for a positions row). */
export const decisionKey = (p: PositionRow): string => positionKey({ decisionId: p.decision_id, symbol: p.symbol, id: p.id, openedAt: p.opened_at });

export class Protector {
  constructor(
    private readonly gw: ExchangeGateway, private readonly ledger: Ledger, private readonly orders: OrderManager,
    private readonly log: Logger, private readonly cfg: ProtectionConfig,
  ) {}

  async manage(p: PositionRow, mark: number | undefined, atr: number | null, now: number): Promise<ManageResult> {
    const actions: string[] = [];
    if ((await this.ledger.openExits(p.id)).length) return { exiting: true, actions };
    let open = await this.gw.fetchOpenOrders(p.symbol);
    const { placed } = await this.orders.ensureProtection(p, open);
    for (const leg of placed) actions.push(`placed:${leg}`);
    // A stop placed for a position that had one before: it was cancelled or lost behind our back.
    if (placed.includes('sl') && (await this.ledger.legCount(p.id, 'sl')) > 1) actions.push('replaced:sl');
    if (placed.length) {
      open = await this.gw.fetchOpenOrders(p.symbol);
      p = (await this.ledger.openPosition(p.symbol)) ?? p;
    }
    const plan = managePlan({
      position: planPosition(p), initialStop: p.initial_stop ?? p.stop_loss, peak: p.peak_price === null ? null : Number(p.peak_price), mark, atr,
      held: await this.ledger.held(open), targetsFilled: (await this.ledger.filledTargets(p.id)).size, now, cfg: this.cfg,
      entryWorking: p.decision_id !== null && (await this.ledger.legOrders(p.decision_id, 'entry')).some((r) => isOpen(r.status)),
    });
    if (plan.peak !== null && (p.peak_price === null || plan.peak !== Number(p.peak_price))) await this.ledger.setPeak(p.id, str(plan.peak), p.stop_loss);
    if (plan.kind === 'exit') {
      // Refused as reduce-only with nothing to reduce: the exchange closed it first (its stop or target fired); that fill
      // is on its way and closes the position here, so the loop treats it as exiting, without an alert of ours.
      actions.push(`${(await this.exitAtMarket(p, plan.leg)) ? 'exit' : 'exit_raced'}:${plan.rule}`);
      return { exiting: true, actions };
    }
    if (plan.kind === 'move') {
      await this.moveStop(p, plan.order, plan.cancel);
      actions.push(`moved:${plan.rule}`);
    } else for (const id of plan.cancel) await this.orders.cancelConfirmed(p.symbol, id, true);
    return { exiting: false, actions };
  }

  /** New stop first, then the old ones cancelled. */
  async moveStop(p: PositionRow, order: PlannedOrder, cancel: string[]): Promise<void> {
    const key = decisionKey(p);
    const attempt = await this.orders.nextAttempt(key, 'sl');
    const req = { ...order.req, clientId: clientOrderId(key, 'sl', attempt) };
    await this.orders.submit(req, { decisionId: p.decision_id, positionId: p.id, leg: 'sl', attempt });
    await this.ledger.setProtection(p.id, str(this.orders.normalize(req).stopPrice!), null);
    for (const id of cancel) {
      const c = await this.orders.cancelConfirmed(p.symbol, id, true);
      this.log.info({ symbol: p.symbol, to: req.stopPrice, old: id, oldCancelled: c?.status ?? 'unknown' }, 'stop-loss moved');
    }
  }

  /**
   * One reduce-only market close for the position's quantity; the stops stay until it is flat. False when the exchange
   * refused it with nothing left to reduce (-2022: it closed the position first); any other failure throws.
   */
  async exitAtMarket(p: PositionRow, leg: Leg): Promise<boolean> {
    const key = decisionKey(p);
    const attempt = await this.orders.nextAttempt(key, leg);
    const o = marketClose({ symbol: p.symbol, side: p.side, qty: str(p.qty) }, leg);
    try {
      await this.orders.submit({ ...o.req, clientId: clientOrderId(key, leg, attempt) }, { decisionId: p.decision_id, positionId: p.id, leg, attempt });
    } catch (err) {
      if (!isReduceOnlyRejected(err)) throw err;
      this.log.warn({ symbol: p.symbol, positionId: p.id, leg }, 'exit at market refused as reduce-only: the exchange closed the position first');
      return false;
    }
    this.log.warn({ symbol: p.symbol, qty: p.qty, leg }, 'position closed at market');
    return true;
  }
}
