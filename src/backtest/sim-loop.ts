// The execution loop's tick for backtests: the same entry policy (entryStep) and stop rules (stopMove) as the worker,
// acting on the venue core in memory. Guarantees the same order flow as src/execution/entry.ts and protection.ts: one
// live entry order at a time (cancel before replace), a new stop placed before the old one is cancelled, market exits
// for max hold and a crossed trail; deterministic (attempt counters, no wall time).
import { dec, str, type Dec } from '../domain/decimal.js';
import { clientOrderId, type Leg } from '../domain/ids.js';
import type { SimOrder, SimVenue } from '../exchange/sim/core.js';
import type { MarketInfo, OrderRequest } from '../exchange/types.js';
import { entryStep, type EntryConfig } from '../execution/entry-plan.js';
import { nextPeak, stopMove, type ProtectionConfig } from '../execution/stop-rules.js';
import type { Intent, Side } from '../protocol/index.js';

const OPEN = new Set(['new', 'partially_filled']);

export interface SimLoopPosition {
  id: number;
  symbol: string;
  side: Side;
  qty: Dec;
  entryPrice: Dec;
  stopLoss: string | null;
  peak: number | null;
  decisionId: string | null;
  openedAt: number;
}

export interface SimLoopHost {
  venue: SimVenue;
  now: () => number;
  market(symbol: string): MarketInfo;
  place(req: OrderRequest, meta: { decisionId: string | null; leg: Leg }): void;
  entry: EntryConfig;
  protection: ProtectionConfig;
  maxSlippage: number;
  atr(symbol: string): number | null;
  hasPosition(symbol: string): boolean;
}

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
      mark: venue.price(intent.symbol), now, market: this.h.market(intent.symbol),
      live: live ? { clientId: live.clientId, type: live.type === 'market' ? 'market' : 'limit', price: live.price, placedAt: live.createdAt } : null,
      maxSlippage: this.h.maxSlippage, cfg: this.h.entry,
    });
    if (step.kind === 'wait') return 'working';
    if (step.kind === 'done') return 'done';
    if (live) venue.cancelOrder(intent.symbol, { clientId: live.clientId }, 'regular', now);
    if (step.kind === 'cancel') return 'done';
    const clientId = clientOrderId(intent.decisionId, 'entry', step.attempt);
    ids.push(clientId);
    const side = intent.side === 'long' ? 'buy' : 'sell';
    this.h.place(
      step.kind === 'market'
        ? { symbol: intent.symbol, clientId, side, type: 'market', qty: step.qty }
        : { symbol: intent.symbol, clientId, side, type: 'limit', qty: step.qty, price: step.price, timeInForce: 'GTC' },
      { decisionId: intent.decisionId, leg: 'entry' },
    );
    return 'working';
  }

  /** Cancels entry orders left working when no entry is being worked. */
  cancelStray(symbol: string): void {
    for (const o of this.h.venue.openOrders(symbol, 'regular')) if (!o.reduceOnly) this.h.venue.cancelOrder(symbol, { clientId: o.clientId }, 'regular', this.h.now());
  }

  /** Stop rules and max hold for one position (protection itself is placed by the caller first); true: exiting. */
  manage(p: SimLoopPosition): boolean {
    const { venue } = this.h;
    const now = this.h.now();
    const decision = p.decisionId ?? `pos-${p.id}`;
    const exitSide = p.side === 'long' ? 'sell' : 'buy';
    const open = venue.openOrders(p.symbol);
    if (open.some((o) => o.book === 'regular' && o.type === 'market' && o.reduceOnly)) return true;
    if (this.h.protection.maxHoldMs > 0 && now - p.openedAt >= this.h.protection.maxHoldMs) return this.exit(p, decision, 'time');
    const mark = venue.price(p.symbol);
    if (mark === undefined) return false;
    p.peak = nextPeak(p.side, p.peak, mark);
    const stops = open
      .filter((o) => o.book === 'algo' && o.type === 'stop_market' && o.side === exitSide && o.stopPrice !== null && (o.closePosition || dec(o.qty).gte(p.qty)))
      .sort((a, b) => (p.side === 'long' ? Number(b.stopPrice) - Number(a.stopPrice) : Number(a.stopPrice) - Number(b.stopPrice)));
    const cur = stops[0];
    if (!cur) return false;
    const move = stopMove({ side: p.side, entry: str(p.entryPrice), initialStop: p.stopLoss, currentStop: cur.stopPrice!, peak: p.peak, mark, atr: this.h.atr(p.symbol), cfg: this.h.protection });
    if (move?.kind === 'exit') return this.exit(p, decision, 'trail');
    if (move?.kind === 'move') {
      const attempt = this.nextAttempt(decision, 'sl');
      const base = { symbol: p.symbol, clientId: clientOrderId(decision, 'sl', attempt), side: exitSide, type: 'stop_market', stopPrice: str(move.stop), workingType: 'MARK_PRICE' } as const;
      this.h.place(cur.closePosition ? { ...base, qty: str(p.qty), reduceOnly: true } : { ...base, closePosition: true }, { decisionId: p.decisionId, leg: 'sl' });
      venue.cancelOrder(p.symbol, { clientId: cur.clientId }, 'algo', now);
    }
    return false;
  }

  private exit(p: SimLoopPosition, decision: string, leg: Leg): true {
    const attempt = this.nextAttempt(decision, leg);
    this.h.place({ symbol: p.symbol, clientId: clientOrderId(decision, leg, attempt), side: p.side === 'long' ? 'sell' : 'buy', type: 'market', qty: str(p.qty), reduceOnly: true }, { decisionId: p.decisionId, leg });
    return true;
  }
}
