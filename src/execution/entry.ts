// Works one intent's entry on the exchange each loop: reads its attempts back, asks entryStep what to do, does it.
// Guarantees: every attempt is a new client id written ahead; a replacement is placed only after the exchange
// confirmed the cancel of the previous one (never two live entry orders); what filled is never entered again; no entry
// order is sent before the exchange accepted the entry's stop (closePosition), and none stays working without it.
import { D, dec, str } from '../domain/decimal.js';
import { clientOrderId } from '../domain/ids.js';
import { isOpen } from '../domain/order-status.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { ExOrder } from '../exchange/types.js';
import type { Logger } from '../log/logger.js';
import type { Intent } from '../protocol/index.js';
import { ExchangeError } from '../exchange/errors.js';
import { LATE_CODES } from '../exchange/binance/classify.js';
import { entryOrder, entryStep, guardEntry, POST_ONLY_REJECTED, type EntryConfig, type EntryStep, type EntryStopState, type LiveEntry } from './policy/entry.js';
import { entryStop } from './policy/protection.js';
import type { Ledger, OrderRow } from './ledger.js';
import type { OrderManager } from './order-manager.js';

/** execution.entry.sendWithinMs when a config predates it. */
const DEFAULT_SEND_WITHIN_MS = 1000;

export type EntryResult = { state: 'working' | 'done'; step: EntryStep; filled: string };

/** The entry's stop from its rows: one accepted and working is live; one sent or being cancelled is not known yet. */
export function stopState(rows: OrderRow[]): EntryStopState {
  if (rows.some((r) => r.status === 'new' || r.status === 'partially_filled')) return 'live';
  if (rows.some((r) => r.status === 'pending_submit' || r.status === 'pending_cancel')) return 'unknown';
  return 'none';
}

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
    const [rows, stops] = await Promise.all([this.ledger.legOrders(intent.decisionId, 'entry'), this.ledger.legOrders(intent.decisionId, 'sl')]);
    let filled = dec(0);
    let live: { row: OrderRow; ex: ExOrder | null } | null = null;
    for (const row of rows) {
      // The exchange's word on what executed counts as soon as it is known: its fills may not be recorded yet.
      let rowFilled = D.max(dec(row.filled_qty), dec(row.executed_qty));
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
    let stopRows = stops;
    if ((step.kind === 'place' || step.kind === 'replace' || step.kind === 'market') && stopState(stops) === 'live') {
      // The stop was accepted in an earlier turn and may have triggered while flat since (its event late or lost, the
      // user stream down): read from the exchange before another entry order goes out.
      for (const r of stops) if (r.status === 'new' || r.status === 'partially_filled') await this.refresh(r, now);
      stopRows = await this.ledger.legOrders(intent.decisionId, 'sl');
    }
    const guard = guardEntry(step, stopState(stopRows), live !== null);
    if (guard === 'wait') return { state: 'working', step: { kind: 'wait', why: "the entry's stop is not known on the exchange yet" }, filled: str(filled) };
    if (guard === 'cancel_entry') {
      this.log.warn({ symbol: intent.symbol, decisionId: intent.decisionId }, 'entry order working without its stop: cancelled');
      const ok = await cancelLive();
      return { state: ok ? 'done' : 'working', step: { kind: 'cancel', why: 'no stop covers the entry' }, filled: str(filled) };
    }
    // The stop's accepted answer is written while the entry goes out (its own row is written ahead, as always).
    let stopWritten: Promise<unknown> = Promise.resolve();
    try {
      if (guard === 'place_stop') {
        const o = entryStop(intent, market);
        try {
          const ex = await this.orders.submit(
            { ...o.req, clientId: clientOrderId(intent.decisionId, 'sl', stopRows.length) }, { decisionId: intent.decisionId, positionId: null, leg: 'sl', attempt: stopRows.length },
            { adoptLater: (w) => (stopWritten = w) },
          );
          if (ex.status !== 'new') return { state: 'working', step: { kind: 'wait', why: `the entry's stop is ${ex.status}` }, filled: str(filled) };
        } catch (err) {
          if (!(err instanceof ExchangeError) || err.kind !== 'definitive') throw err;
          // The venue will not hold this stop (it would trigger at once, or another closing stop holds the side): no entry.
          this.log.warn({ symbol: intent.symbol, decisionId: intent.decisionId, err: err.message }, "the entry's stop was refused: no entry");
          if (live) await cancelLive();
          return { state: live ? 'working' : 'done', step: { kind: 'done', why: `stop refused: ${err.message}` }, filled: str(filled) };
        }
      }
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
          // The stop was confirmed live just now (placed, or read from the exchange): the entry must be taken by the
          // exchange within sendWithinMs of that, or not at all (one held up in flight could meet a stop gone meanwhile).
          const req = { ...entryOrder(intent, step, clientOrderId(intent.decisionId, 'entry', step.attempt)), notAfter: Date.now() + (this.cfg.sendWithinMs ?? DEFAULT_SEND_WITHIN_MS) };
          this.log.info({ symbol: intent.symbol, decisionId: intent.decisionId, step: step.kind, attempt: step.attempt, qty: step.qty, price: req.type === 'limit' ? req.price : 'market', mark }, 'entry order');
          try {
            await this.orders.submit(req, meta(step.attempt));
          } catch (err) {
            if (err instanceof ExchangeError && err.code !== undefined && LATE_CODES.includes(err.code)) {
              // Not placed (the row says never placed): the stop is read again before the next attempt.
              this.log.warn({ symbol: intent.symbol, decisionId: intent.decisionId, err: err.message }, 'entry order not taken within sendWithinMs of its stop check: not placed');
              return { state: 'working', step: { kind: 'wait', why: 'entry not taken in time; stop re-checked first' }, filled: str(filled) };
            }
            if (!(err instanceof ExchangeError) || err.code !== POST_ONLY_REJECTED) throw err;
            // The price moved through the limit before it arrived: nothing was placed (the row says rejected); re-priced next tick.
            return { state: 'working', step: { kind: 'wait', why: 'post-only limit would have taken; re-pricing' }, filled: str(filled) };
          }
          return { state: 'working', step, filled: str(filled) };
        }
      }
    } finally {
      await stopWritten;
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
