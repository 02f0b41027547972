// Works one intent's entry on the exchange each loop: reads its attempts back, asks entryStep what to do, does it.
// Guarantees: every attempt is a new client id written ahead; a replacement is placed only after the exchange
// confirmed the cancel of the previous one (never two live entry orders); what filled is never entered again.
import { dec, str } from '../domain/decimal.js';
import { clientOrderId } from '../domain/ids.js';
import { isOpen } from '../domain/order-status.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { ExOrder } from '../exchange/types.js';
import type { Logger } from '../log/logger.js';
import type { Intent } from '../protocol/index.js';
import { entryStep, type EntryConfig, type EntryStep, type LiveEntry } from './policy/entry.js';
import type { Ledger, OrderRow } from './ledger.js';
import type { OrderManager } from './order-manager.js';

export type EntryResult = { state: 'working' | 'done'; step: EntryStep; filled: string };

export class EntryWorker {
  constructor(
    private readonly gw: ExchangeGateway, private readonly ledger: Ledger, private readonly orders: OrderManager, private readonly log: Logger,
    private readonly cfg: EntryConfig, private readonly maxSlippage: number, private readonly settleMs: number,
  ) {}

  /** The exchange's view of an attempt that may still be live (the row is updated through the status table). */
  private async refresh(row: OrderRow, now: number): Promise<ExOrder | null> {
    const ex = await this.gw.fetchOrderByClientId(row.symbol, row.client_id);
    if (ex) {
      await this.ledger.applyOrderUpdate(ex);
      return ex;
    }
    // Written but not on the exchange: never placed once the venue can no longer accept it.
    if (row.status === 'pending_submit' && Date.now() - row.created_at > this.settleMs && now - row.created_at > this.settleMs) {
      await this.ledger.markNeverPlaced(row.client_id, 'entry attempt not on the exchange');
    }
    return null;
  }

  async work(intent: Intent, mark: number | undefined, now: number): Promise<EntryResult> {
    const rows = await this.ledger.legOrders(intent.decisionId, 'entry');
    let filled = dec(0);
    let live: { row: OrderRow; ex: ExOrder | null } | null = null;
    for (const row of rows) {
      let rowFilled = dec(row.filled_qty);
      if (isOpen(row.status)) {
        const ex = await this.refresh(row, now);
        if (ex) rowFilled = dec(ex.filledQty).gt(rowFilled) ? dec(ex.filledQty) : rowFilled;
        const still = ex ? ex.status === 'new' || ex.status === 'partially_filled' : row.status === 'pending_submit' || (await this.ledger.order(row.client_id))?.status === 'pending_submit';
        if (still) live = { row, ex };
      }
      filled = filled.add(rowFilled);
    }
    const liveEntry: LiveEntry | null = live
      ? { clientId: live.row.client_id, type: live.row.type === 'market' ? 'market' : 'limit', price: live.row.price === null ? null : str(live.row.price), placedAt: live.row.created_at }
      : null;
    const market = this.orders.market(intent.symbol);
    // From the ledger only (fills and the position move in one transaction): a fill the stream has not delivered yet
    // must not read as "position gone".
    const dbFilled = rows.reduce((a, r) => a.add(r.filled_qty), dec(0));
    const positionGone = dbFilled.gt(0) && !(await this.ledger.openPosition(intent.symbol));
    const step = entryStep({ intent, filled: str(filled), live: liveEntry, attempts: rows.length, positionGone, mark, now, market, maxSlippage: this.maxSlippage, cfg: this.cfg });
    const side = intent.side === 'long' ? 'buy' : 'sell';
    const meta = (attempt: number) => ({ decisionId: intent.decisionId, positionId: null, leg: 'entry' as const, attempt });
    // A pending_submit attempt (unknown outcome) is never cancelled nor replaced: only waited out.
    const unresolved = live !== null && live.ex === null;
    const cancelLive = async (): Promise<boolean> => {
      if (!live) return true;
      if (unresolved) return false;
      const c = await this.orders.cancelConfirmed(intent.symbol, live.row.client_id, false);
      if (c) filled = filled.add(dec(c.filledQty).sub(live.ex!.filledQty));
      return c !== null && (c.status === 'cancelled' || c.status === 'expired') && dec(c.filledQty).eq(live.ex!.filledQty);
    };
    switch (step.kind) {
      case 'wait':
        return { state: 'working', step, filled: str(filled) };
      case 'done':
        return { state: 'done', step, filled: str(filled) };
      case 'cancel': {
        const ok = await cancelLive();
        return { state: ok ? 'done' : 'working', step, filled: str(filled) };
      }
      case 'place':
      case 'replace':
      case 'market': {
        if (!(await cancelLive())) return { state: 'working', step, filled: str(filled) };
        const req =
          step.kind === 'market'
            ? { symbol: intent.symbol, clientId: clientOrderId(intent.decisionId, 'entry', step.attempt), side, type: 'market', qty: step.qty } as const
            : { symbol: intent.symbol, clientId: clientOrderId(intent.decisionId, 'entry', step.attempt), side, type: 'limit', qty: step.qty, price: step.price, timeInForce: 'GTC' } as const;
        this.log.info({ symbol: intent.symbol, decisionId: intent.decisionId, step: step.kind, attempt: step.attempt, qty: step.qty, price: req.type === 'limit' ? req.price : 'market', mark }, 'entry order');
        await this.orders.submit(req, meta(step.attempt));
        return { state: 'working', step, filled: str(filled) };
      }
    }
  }

  /** Cancels entry orders of ours left working with nobody managing them (an intent from before a restart). */
  async cancelStray(symbol: string): Promise<number> {
    let n = 0;
    for (const row of await this.ledger.openOrders(symbol)) {
      if (row.leg !== 'entry' || row.status === 'pending_submit') continue;
      const c = await this.orders.cancelConfirmed(symbol, row.client_id, false);
      if (c) n++;
    }
    return n;
  }
}
