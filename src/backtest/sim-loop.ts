// The execution loop's tick for backtests: carries out the same policy (src/execution/policy/: entryStep,
// protectionPlan, managePlan, flattenPlan) as the worker's effects, on the venue core in memory.
// Guarantees the same order flow as src/execution/entry.ts, protection.ts and flatten.ts: the entry's stop before any
// entry order (guardEntry), one live entry order at a time (cancel before replace), protection legs as planned, a new stop placed before the old one is cancelled, market exits
// for max hold and a crossed trail; deterministic (attempt counters, no wall time).
import { dec, str, type Dec } from '../domain/decimal.js';
import { clientOrderId, type Leg } from '../domain/ids.js';
import type { SimOrder, SimVenue } from '../exchange/sim/core.js';
import type { MarketInfo, OrderRequest } from '../exchange/types.js';
import { ExchangeError } from '../exchange/errors.js';
import { entryOrder, entryStep, guardEntry, POST_ONLY_REJECTED, type EntryConfig, type EntryStopState } from '../execution/policy/entry.js';
import { managePlan, marketClose } from '../execution/policy/exit.js';
import { flattenPlan } from '../execution/policy/flatten.js';
import { entryStop, positionKey, protectionPlan, type HeldOrder, type PlannedOrder, type PlanPosition, type TargetLevel } from '../execution/policy/protection.js';
import type { ProtectionConfig } from '../execution/policy/stops.js';
import type { Intent, Side } from '../protocol/index.js';

const OPEN = new Set(['new', 'partially_filled']);

export interface SimLoopPosition {
  id: number;
  symbol: string;
  side: Side;
  qty: Dec;
  maxQty: Dec;
  entryPrice: Dec;
  stopLoss: string | null;
  /** The stop the position opened with (1R for breakeven). */
  initialStop: string | null;
  takeProfits: TargetLevel[];
  /** Target legs that have filled. */
  filledLegs: Set<Leg>;
  peak: number | null;
  decisionId: string | null;
  openedAt: number;
}

export interface SimLoopHost {
  venue: SimVenue;
  now: () => number;
  market(symbol: string): MarketInfo;
  place(req: OrderRequest, meta: { decisionId: string | null; leg: Leg }): void;
  /** Our leg of an order by client id (null: not ours). */
  legOf(clientId: string): Leg | null;
  entry: EntryConfig;
  protection: ProtectionConfig;
  maxSlippage: number;
  atr(symbol: string): number | null;
  /** The mark execution heard last (market.mark), as the worker's effects read it. */
  mark(symbol: string): number | undefined;
  hasPosition(symbol: string): boolean;
}

/** `str` of a position's decimals, remembered per (immutable) value: they change only with fills, the loop reads them every tick. */
const strings = new WeakMap<Dec, string>();
const strOf = (d: Dec): string => {
  let s = strings.get(d);
  if (s === undefined) strings.set(d, (s = str(d)));
  return s;
};

export const planOf = (p: SimLoopPosition): PlanPosition => ({
  id: p.id, symbol: p.symbol, side: p.side, qty: strOf(p.qty), maxQty: strOf(p.maxQty), entryPrice: strOf(p.entryPrice),
  stopLoss: p.stopLoss, takeProfits: p.takeProfits, decisionId: p.decisionId, openedAt: p.openedAt,
});

export class SimLoop {
  private readonly attempts = new Map<string, number>();
  /** Entry client ids per decision, by attempt. */
  private readonly entries = new Map<string, string[]>();

  constructor(private readonly h: SimLoopHost) {}

  nextAttempt(decision: string, leg: Leg): number {
    const k = `${decision}|${leg}`;
    const n = this.attempts.get(k) ?? 0;
    this.attempts.set(k, n + 1);
    return n;
  }

  /** Places a planned order under the position's key and the leg's next attempt. */
  private placePlanned(p: Pick<SimLoopPosition, 'decisionId'> & { key: string }, o: PlannedOrder): void {
    this.h.place({ ...o.req, clientId: clientOrderId(p.key, o.leg, this.nextAttempt(p.key, o.leg)) }, { decisionId: p.decisionId, leg: o.leg });
  }

  private held(symbol: string): HeldOrder[] {
    return this.h.venue.openOrders(symbol).filter((o) => o.book === 'algo').map((o) => ({
      clientId: o.clientId, type: o.type, side: o.side, qty: o.qty, closePosition: o.closePosition, reduceOnly: o.reduceOnly, conditional: true,
      stopPrice: o.stopPrice, leg: this.h.legOf(o.clientId),
    }));
  }

  /** Works the entry one step; 'done' once it is filled, expired or given up. */
  workEntry(intent: Intent): 'working' | 'done' {
    const { venue } = this.h;
    const now = this.h.now();
    const ids = this.entries.get(intent.decisionId) ?? [];
    this.entries.set(intent.decisionId, ids);
    let filled = dec(0);
    let live: SimOrder | null = null;
    for (const id of ids) {
      const o = venue.findOrder(intent.symbol, 'regular', { clientId: id });
      if (!o) continue;
      filled = filled.add(o.filledQty);
      if (OPEN.has(o.status)) live = o;
    }
    const step = entryStep({
      intent, filled: str(filled), attempts: ids.length, positionGone: filled.gt(0) && !this.h.hasPosition(intent.symbol),
      mark: this.h.mark(intent.symbol), now, market: this.h.market(intent.symbol),
      live: live ? { clientId: live.clientId, type: live.type === 'market' ? 'market' : 'limit', price: live.price, placedAt: live.createdAt } : null,
      maxSlippage: this.h.maxSlippage, cfg: this.h.entry,
    });
    const guard = guardEntry(step, this.stopState(intent.symbol, intent.decisionId), live !== null);
    if (guard === 'wait') return 'working';
    if (guard === 'cancel_entry') {
      venue.cancelOrder(intent.symbol, { clientId: live!.clientId }, 'regular', now);
      return 'done';
    }
    if (guard === 'place_stop') {
      try {
        this.placePlanned({ decisionId: intent.decisionId, key: intent.decisionId }, entryStop(intent, this.h.market(intent.symbol)));
      } catch (err) {
        if (!(err instanceof ExchangeError) || err.kind !== 'definitive') throw err;
        if (live) venue.cancelOrder(intent.symbol, { clientId: live.clientId }, 'regular', now);
        return live ? 'working' : 'done';
      }
    }
    if (step.kind === 'wait') return 'working';
    if (step.kind === 'done') return 'done';
    if (live) venue.cancelOrder(intent.symbol, { clientId: live.clientId }, 'regular', now);
    if (step.kind === 'cancel') return 'done';
    const clientId = clientOrderId(intent.decisionId, 'entry', step.attempt);
    ids.push(clientId);
    try {
      this.h.place(entryOrder(intent, step, clientId), { decisionId: intent.decisionId, leg: 'entry' });
    } catch (err) {
      // A post-only limit the price already went through (ticks matching): nothing placed, re-priced next bar.
      if (!(err instanceof ExchangeError) || err.code !== POST_ONLY_REJECTED) throw err;
    }
    return 'working';
  }

  /** An entry order of this decision still working on the venue. */
  entryWorking(symbol: string, decisionId: string | null): boolean {
    if (!decisionId) return false;
    return (this.entries.get(decisionId) ?? []).some((id) => {
      const o = this.h.venue.findOrder(symbol, 'regular', { clientId: id });
      return !!o && OPEN.has(o.status);
    });
  }

  /** The entry's stop (every 'sl' order named by the decision): working on the venue, or none (the core answers at once). */
  private stopState(symbol: string, decisionId: string): EntryStopState {
    const n = this.attempts.get(`${decisionId}|sl`) ?? 0;
    for (let a = 0; a < n; a++) {
      const o = this.h.venue.findOrder(symbol, 'algo', { clientId: clientOrderId(decisionId, 'sl', a) });
      if (o && OPEN.has(o.status)) return 'live';
    }
    return 'none';
  }

  /** Cancels entry orders left working when no entry is being worked; how many. */
  cancelStray(symbol: string): number {
    let n = 0;
    for (const o of this.h.venue.openOrders(symbol, 'regular')) {
      if (o.reduceOnly) continue;
      this.h.venue.cancelOrder(symbol, { clientId: o.clientId }, 'regular', this.h.now());
      n++;
    }
    return n;
  }

  /** Whatever the protection plan finds missing (as OrderManager.ensureProtection); keeps defaulted levels. */
  protect(p: SimLoopPosition): void {
    const plan = protectionPlan(planOf(p), this.held(p.symbol), p.filledLegs, this.h.market(p.symbol), this.h.protection);
    if (p.stopLoss === null) p.stopLoss = plan.stopLoss;
    if (!p.takeProfits.length) p.takeProfits = plan.takeProfits;
    const key = positionKey(p);
    for (const o of plan.place) this.placePlanned({ decisionId: p.decisionId, key }, o);
  }

  /** Stop rules and max hold for one position (as Protector.manage after protection); true: exiting. */
  manage(p: SimLoopPosition): boolean {
    const { venue } = this.h;
    const now = this.h.now();
    const key = positionKey(p);
    const open = venue.openOrders(p.symbol);
    if (open.some((o) => o.book === 'regular' && o.type === 'market' && o.reduceOnly)) return true;
    const plan = managePlan({
      position: planOf(p), initialStop: p.initialStop ?? p.stopLoss, peak: p.peak, mark: this.h.mark(p.symbol), atr: this.h.atr(p.symbol),
      held: this.held(p.symbol), targetsFilled: p.filledLegs.size, now, cfg: this.h.protection,
      entryWorking: this.entryWorking(p.symbol, p.decisionId),
    });
    p.peak = plan.peak;
    if (plan.kind === 'exit') {
      this.placePlanned({ decisionId: p.decisionId, key }, marketClose({ symbol: p.symbol, side: p.side, qty: str(p.qty) }, plan.leg));
      return true;
    }
    if (plan.kind === 'move') {
      // The position keeps the stop it opened with (the trade record's stopLoss); the venue holds the moved one.
      this.placePlanned({ decisionId: p.decisionId, key }, plan.order);
    }
    for (const id of plan.cancel) venue.cancelOrder(p.symbol, { clientId: id }, 'algo', now);
    return false;
  }

  /** The flatten plan for one symbol: entries cancelled, the position closed at market (its stops stay). */
  flatten(symbol: string, p: SimLoopPosition | null): void {
    const open = this.h.venue.openOrders(symbol).map((o) => ({ clientId: o.clientId, type: o.type, reduceOnly: o.reduceOnly, closePosition: o.closePosition, conditional: o.book === 'algo' }));
    const plan = flattenPlan(symbol, p ? { side: p.side, qty: str(p.qty) } : null, open);
    for (const id of plan.cancel) this.h.venue.cancelOrder(symbol, { clientId: id }, 'regular', this.h.now());
    if (plan.close && p) this.placePlanned({ decisionId: p.decisionId, key: positionKey(p) }, plan.close);
  }
}
