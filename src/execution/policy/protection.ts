// The protection plan as pure functions: which stop-loss and take-profit legs a position needs on the exchange, given
// what the exchange holds, and the key its orders are named by. Used by the live effects and the backtest alike.
// Guarantees: the stop closes the whole position (closePosition) and is planned whenever no stop covers it; target legs
// are reduce-only for their share of the position, the last one closes the rest; a filled leg is never planned again;
// defaults for a position with no levels come from config (execution.protection), never from code.
import { dec, floorToStep, roundToStep, str } from '../../domain/decimal.js';
import { syntheticId, type Leg } from '../../domain/ids.js';
import type { MarketInfo, OrderRequest } from '../../exchange/types.js';
import type { Side } from '../../protocol/index.js';

/** A take-profit leg: trigger price and the share of the position it closes. */
export interface TargetLevel {
  price: string;
  fraction: number;
}

export const TARGET_LEGS: readonly Leg[] = ['tp', 'tp2', 'tp3'];
export const isTargetLeg = (leg: Leg | null | undefined): boolean => leg === 'tp' || leg === 'tp2' || leg === 'tp3';

/** What the plans need to know of a position (live: a positions row; backtest: the in-memory one). */
export interface PlanPosition {
  id: number;
  symbol: string;
  side: Side;
  /** Open quantity now. */
  qty: string;
  /** Largest quantity the position has had (target legs are shares of it). */
  maxQty: string;
  entryPrice: string;
  stopLoss: string | null;
  takeProfits: TargetLevel[];
  decisionId: string | null;
  openedAt: number;
}

/** A conditional order the exchange holds for the symbol; `leg` when it is one of ours (null: foreign or unknown). */
export interface HeldOrder {
  clientId: string;
  type: string;
  side: 'buy' | 'sell';
  qty: string;
  closePosition: boolean;
  reduceOnly: boolean;
  conditional: boolean;
  stopPrice: string | null;
  leg: Leg | null;
}

/** An order to place: the carrier names it `clientOrderId(key, leg, nextAttempt)` and submits it. */
export interface PlannedOrder {
  leg: Leg;
  req: Omit<OrderRequest, 'clientId'>;
}

export interface ProtectionDefaults {
  defaultStopPct: number;
  defaultTakeProfitPct: number;
}

/**
 * `str(roundToStep(price, tick))`, remembered: a position's levels are the same strings every loop tick (pure, so a
 * cached answer is the computed one; the cache is dropped whole when it grows past a few thousand entries).
 */
const onTickCache = new Map<string, string>();
function onTick(price: string, tick: string): string {
  const k = `${tick}|${price}`;
  let v = onTickCache.get(k);
  if (v === undefined) {
    if (onTickCache.size >= 4096) onTickCache.clear();
    v = str(roundToStep(price, tick));
    onTickCache.set(k, v);
  }
  return v;
}

/** The key every order of a position is named by: its decision, or (no decision: imported) the position itself. */
export const positionKey = (p: { decisionId: string | null; symbol: string; id: number; openedAt: number }): string =>
  p.decisionId ?? syntheticId('pos', p.symbol, p.id, p.openedAt);

export const exitSide = (side: Side): 'buy' | 'sell' => (side === 'long' ? 'sell' : 'buy');

/** The stop-loss that closes the whole position of `side` at `stopPrice` (closePosition, triggered by the mark). */
export const closingStop = (symbol: string, side: Side, stopPrice: string): PlannedOrder => ({
  leg: 'sl', req: { symbol, side: exitSide(side), type: 'stop_market', stopPrice, closePosition: true, workingType: 'MARK_PRICE' },
});

/**
 * The stop placed before an entry order (protection before exposure): the intent's stop, on the tick, closing whatever
 * the entry fills. Named like the position's own stop (key: the decision), so the position finds it covering.
 */
export const entryStop = (i: { symbol: string; side: Side; stopLoss: string }, m: Pick<MarketInfo, 'tickSize'>): PlannedOrder =>
  closingStop(i.symbol, i.side, str(roundToStep(i.stopLoss, m.tickSize)));

/** The stop-loss level: the position's own, else defaultStopPct from its entry. */
export function stopLevel(p: Pick<PlanPosition, 'side' | 'entryPrice' | 'stopLoss'>, d: ProtectionDefaults): string {
  if (p.stopLoss !== null) return p.stopLoss;
  return str(dec(p.entryPrice).mul(1 + (p.side === 'long' ? -1 : 1) * d.defaultStopPct));
}

/** The target legs: the position's own, else one leg at defaultTakeProfitPct from its entry for all of it. */
export function targetLevels(p: Pick<PlanPosition, 'side' | 'entryPrice' | 'takeProfits'>, d: ProtectionDefaults): TargetLevel[] {
  if (p.takeProfits.length) return p.takeProfits.slice(0, TARGET_LEGS.length);
  return [{ price: str(dec(p.entryPrice).mul(1 + (p.side === 'long' ? 1 : -1) * d.defaultTakeProfitPct)), fraction: 1 }];
}

/** Stops on the exchange that cover the whole position, tightest first. */
export function coveringStops<T extends HeldOrder>(p: Pick<PlanPosition, 'side' | 'qty'>, held: T[]): T[] {
  const side = exitSide(p.side);
  return held
    .filter((o) => o.conditional && o.type === 'stop_market' && o.side === side && o.stopPrice !== null && (o.closePosition || dec(o.qty).gte(p.qty)))
    .sort((a, b) => (p.side === 'long' ? Number(b.stopPrice) - Number(a.stopPrice) : Number(a.stopPrice) - Number(b.stopPrice)));
}

/**
 * Quantity of each target leg for a position of `maxQty`: leg i gets floor(maxQty × fraction) on the lot step; the last
 * leg closes whatever is left (closePosition). A share below the market's minimum is folded into the last leg.
 */
export function legQuantities(levels: TargetLevel[], maxQty: string, m: Pick<MarketInfo, 'qtyStep' | 'minQty'>): Array<string | 'rest'> {
  return levels.map((l, i) => {
    if (i === levels.length - 1) return 'rest';
    const q = floorToStep(dec(maxQty).mul(l.fraction), m.qtyStep);
    return q.gte(m.minQty) && q.gt(0) ? str(q) : '0';
  });
}

export interface ProtectionPlan {
  place: PlannedOrder[];
  /** The levels the position is protected at (defaults filled in), to keep with the position. */
  stopLoss: string;
  takeProfits: TargetLevel[];
}

/**
 * What is missing on the exchange for this position: the stop (none covers it) and each target leg that is neither
 * held nor filled. A foreign take-profit counts as the single target of a one-leg position.
 */
export function protectionPlan(p: PlanPosition, held: HeldOrder[], filledLegs: ReadonlySet<Leg>, m: MarketInfo, d: ProtectionDefaults): ProtectionPlan {
  const side = exitSide(p.side);
  const stopLoss = onTick(stopLevel(p, d), m.tickSize);
  const levels = targetLevels(p, d).map((l) => ({ ...l, price: onTick(l.price, m.tickSize) }));
  const place: PlannedOrder[] = [];
  if (!coveringStops(p, held).length) place.push(closingStop(p.symbol, p.side, stopLoss));
  const targets = held.filter((o) => o.conditional && o.type === 'take_profit_market' && o.side === side);
  const qtys = legQuantities(levels, p.maxQty, m);
  levels.forEach((l, i) => {
    const leg = TARGET_LEGS[i]!;
    const q = qtys[i]!;
    if (filledLegs.has(leg) || q === '0') return;
    const last = q === 'rest';
    const present = targets.some((o) => o.leg === leg || (o.leg === null && (levels.length === 1 || (last && o.closePosition))));
    if (present) return;
    // A leg for more than is left would close the rest: the last leg (closePosition) does that.
    if (!last && dec(q).gte(p.qty)) return;
    place.push({
      leg,
      req: last
        ? { symbol: p.symbol, side, type: 'take_profit_market', stopPrice: l.price, closePosition: true, workingType: 'MARK_PRICE' }
        : { symbol: p.symbol, side, type: 'take_profit_market', stopPrice: l.price, qty: q, reduceOnly: true, workingType: 'MARK_PRICE' },
    });
  });
  return { place, stopLoss, takeProfits: levels };
}

/**
 * A new stop replacing `old` at `stop`: Binance holds one closePosition stop per side, so the replacement alternates —
 * a reduce-only stop for the position's quantity replaces a closePosition one and vice versa (placed before the old
 * one is cancelled: never a moment without a stop).
 */
export function stopReplacement(p: Pick<PlanPosition, 'symbol' | 'side' | 'qty'>, old: Pick<HeldOrder, 'closePosition'>, stop: string): PlannedOrder {
  const base = { symbol: p.symbol, side: exitSide(p.side), type: 'stop_market', stopPrice: stop, workingType: 'MARK_PRICE' } as const;
  return { leg: 'sl', req: old.closePosition ? { ...base, qty: str(p.qty), reduceOnly: true } : { ...base, closePosition: true } };
}
