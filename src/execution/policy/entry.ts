// The entry policy as a pure function: limit inside the intent's zone, bounded chase, market fallback, expiry.
// Guarantees: at most one live entry order (a new one only once nothing is live), never more than the intent's quantity
// in total, never past the chase bounds, a market order only when the intent allows it and slippage is within limits;
// no entry order goes out, nor stays working, unless a stop that closes the whole position works on the exchange.
import { D, dec, floorToStep, str, type Dec } from '../../domain/decimal.js';
import type { OrderRequest } from '../../exchange/types.js';
import type { Intent } from '../../protocol/index.js';

export interface EntryConfig {
  chaseAfterMs: number;
  maxReplacements: number;
  maxChasePct: number;
  marketFallback: boolean;
  /** An entry order must be taken by the exchange within this long (wall ms) of its stop being confirmed live (live only). */
  sendWithinMs?: number;
}

export interface LiveEntry {
  clientId: string;
  type: 'limit' | 'market';
  price: string | null;
  placedAt: number;
}

export interface EntryView {
  intent: Intent;
  /** Base quantity filled over every attempt of this intent (the position is what filled). */
  filled: string;
  /** The entry order that may still be working, or null when every attempt is settled. */
  live: LiveEntry | null;
  /** Entry orders written for this intent so far (the next one gets this attempt number). */
  attempts: number;
  /** Something filled and the position it opened is already closed (its stop or target hit): the entry is over. */
  positionGone?: boolean;
  mark: number | undefined;
  now: number;
  market: { tickSize: string; qtyStep: string; minQty: string; minNotional: string };
  /** risk.maxSlippage: the tighter of it and the intent's bounds a market fallback. */
  maxSlippage: number;
  cfg: EntryConfig;
}

export type EntryStep =
  | { kind: 'wait'; why: string }
  | { kind: 'place'; price: string; qty: string; attempt: number }
  /** Cancel the live order, and only once the cancel is confirmed, place the new limit. */
  | { kind: 'replace'; price: string; qty: string; attempt: number }
  /** Cancel the live order if any (confirmed), then take the rest at market. */
  | { kind: 'market'; qty: string; attempt: number }
  /** Cancel the live order; the entry is over (what filled is the position). */
  | { kind: 'cancel'; why: string }
  | { kind: 'done'; why: string };

/**
 * The limit price for the current mark: one tick inside it (joins the bid / offer: a maker order that rests until the
 * price comes to it), clamped into the zone and within maxChasePct of the reference; null: do not bid (beyond the stop).
 */
export function limitPrice(v: Pick<EntryView, 'intent' | 'mark' | 'market' | 'cfg'>): Dec | null {
  const { intent: i, mark } = v;
  if (mark === undefined) return null;
  const ref = dec(i.entry.reference);
  const tick = dec(v.market.tickSize);
  if (i.side === 'long') {
    if (dec(mark).lte(i.stopLoss)) return null;
    const cap = D.min(dec(i.entry.high), ref.mul(1 + v.cfg.maxChasePct));
    const px = D.max(D.min(dec(mark).sub(tick), cap), dec(i.entry.low));
    return px.div(tick).floor().mul(tick);
  }
  if (dec(mark).gte(i.stopLoss)) return null;
  const floor = D.max(dec(i.entry.low), ref.mul(1 - v.cfg.maxChasePct));
  const px = D.min(D.max(dec(mark).add(tick), floor), dec(i.entry.high));
  return px.div(tick).ceil().mul(tick);
}

/** Adverse slippage of a market order at `mark` against the intent's reference (negative: better than reference). */
export function slippage(i: Intent, mark: number): number {
  const ref = Number(i.entry.reference);
  return i.side === 'long' ? (mark - ref) / ref : (ref - mark) / ref;
}

export function entryStep(v: EntryView): EntryStep {
  const { intent: i, live, now, cfg } = v;
  const remaining = floorToStep(dec(i.qty).sub(v.filled), v.market.qtyStep);
  const ref = v.mark ?? Number(i.entry.reference);
  const tooSmall = remaining.lt(v.market.minQty) || remaining.mul(ref).lt(v.market.minNotional);
  if (now >= i.expiresAt) return live ? { kind: 'cancel', why: 'expired' } : { kind: 'done', why: 'expired' };
  if (v.positionGone && dec(v.filled).gt(0)) return live ? { kind: 'cancel', why: 'position closed' } : { kind: 'done', why: 'position closed' };
  if (tooSmall) return live ? { kind: 'cancel', why: 'filled' } : { kind: 'done', why: dec(v.filled).gt(0) ? 'filled' : 'nothing left to enter' };
  const qty = str(remaining);
  const replacementsLeft = v.attempts === 0 || v.attempts - 1 < cfg.maxReplacements;
  const target = limitPrice(v);
  const marketOk =
    cfg.marketFallback && i.allowMarket && v.mark !== undefined && target !== null &&
    slippage(i, v.mark) <= Math.min(i.maxSlippage, v.maxSlippage);
  if (live) {
    if (live.type === 'market') return { kind: 'wait', why: 'market order working' };
    if (now - live.placedAt < cfg.chaseAfterMs) return { kind: 'wait', why: 'resting' };
    if (target === null) return { kind: 'wait', why: 'price outside the entry bounds' };
    const livePx = dec(live.price ?? 0);
    const tick = dec(v.market.tickSize);
    // A better limit exists (the price moved away, the bound allows following it) …
    const moved = i.side === 'long' ? target.gt(livePx) : target.lt(livePx);
    if (moved && v.attempts - 1 < cfg.maxReplacements) return { kind: 'replace', price: str(target), qty, attempt: v.attempts };
    // … or none does (replacements spent, or the chase bound reached) while the market is away from the order.
    const stuck = v.mark !== undefined && (i.side === 'long' ? dec(v.mark).gt(livePx.add(tick)) : dec(v.mark).lt(livePx.sub(tick)));
    if (stuck && marketOk) return { kind: 'market', qty, attempt: v.attempts };
    return { kind: 'wait', why: moved || stuck ? 'chase exhausted; resting until expiry' : 'price has not moved away' };
  }
  if (target === null) return { kind: 'wait', why: 'price outside the entry bounds' };
  if (replacementsLeft) return { kind: 'place', price: str(target), qty, attempt: v.attempts };
  if (marketOk) return { kind: 'market', qty, attempt: v.attempts };
  return { kind: 'wait', why: 'chase exhausted and market not allowed' };
}

/** Binance's answer to a post-only (GTX) limit that would have taken liquidity on arrival: nothing was placed. */
export const POST_ONLY_REJECTED = -5022;

/**
 * The order an entry step sends: a market order, or a post-only limit (GTX). Post-only, because the entry's stop is
 * already on the exchange: a limit that rests fills only when the price comes to it, before the price can reach the stop
 * beyond it, so the stop covers the fill; a limit that would take on arrival (the market moved past it, perhaps past the
 * stop, which then triggered while flat) is refused by the exchange instead of filling bare. Maker fees, too.
 */
export function entryOrder(intent: Intent, step: Extract<EntryStep, { kind: 'place' | 'replace' | 'market' }>, clientId: string): OrderRequest {
  const side = intent.side === 'long' ? 'buy' : 'sell';
  return step.kind === 'market'
    ? { symbol: intent.symbol, clientId, side, type: 'market', qty: step.qty }
    : { symbol: intent.symbol, clientId, side, type: 'limit', qty: step.qty, price: step.price, timeInForce: 'GTX' };
}

/** The entry's own stop (placed before it, see entryStop): accepted and working, sent with its outcome unknown, or none. */
export type EntryStopState = 'live' | 'unknown' | 'none';

export type EntryGuard = 'proceed' | 'place_stop' | 'wait' | 'cancel_entry';

/**
 * Protection before exposure, around an entry step: an order goes out only once the entry's stop works (`place_stop`
 * first; `wait` while its outcome is unknown); a working entry order whose stop is gone (triggered while flat, cancelled)
 * is cancelled. Cancels and the end of an entry proceed: the stop stays until the symbol is known flat.
 */
export function guardEntry(step: EntryStep, stop: EntryStopState, liveEntry: boolean): EntryGuard {
  const sends = step.kind === 'place' || step.kind === 'replace' || step.kind === 'market';
  if (sends) return stop === 'live' ? 'proceed' : stop === 'unknown' ? 'wait' : 'place_stop';
  if (step.kind === 'wait' && liveEntry && stop === 'none') return 'cancel_entry';
  return 'proceed';
}
