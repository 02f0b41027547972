// Pure position and margin arithmetic of a one-way cross-margin futures account (exact decimals).
// Guarantees: a fill moves a position exactly as Binance's one-way mode does (average entry, partial close, flip).
import { D, dec, str, type Dec } from '../../domain/decimal.js';
import type { SimPosition } from './sim-types.js';

export interface FillEffect {
  position: SimPosition | null;
  realized: Dec;
}

/** The position after a fill of `qty` at `px` on `side`, and the PnL it realizes. */
export function applyToPosition(pos: SimPosition | undefined, side: 'buy' | 'sell', qty: Dec, px: Dec, ts: number): FillEffect {
  const dir = side === 'buy' ? 'long' : 'short';
  if (!pos) return { position: { side: dir, qty: str(qty), entryPrice: str(px), updatedAt: ts }, realized: new D(0) };
  if (pos.side === dir) {
    const newQty = dec(pos.qty).add(qty);
    const entry = dec(pos.entryPrice).mul(pos.qty).add(px.mul(qty)).div(newQty);
    return { position: { side: dir, qty: str(newQty), entryPrice: str(entry.toDecimalPlaces(12)), updatedAt: ts }, realized: new D(0) };
  }
  const closeQty = D.min(qty, pos.qty);
  const diff = px.sub(pos.entryPrice).mul(closeQty);
  const realized = pos.side === 'long' ? diff : diff.neg();
  const left = dec(pos.qty).sub(closeQty);
  const flip = qty.sub(closeQty);
  if (left.gt(0)) return { position: { ...pos, qty: str(left), updatedAt: ts }, realized };
  if (flip.gt(0)) return { position: { side: dir, qty: str(flip), entryPrice: str(px), updatedAt: ts }, realized };
  return { position: null, realized };
}

export const signOf = (p: SimPosition): 1 | -1 => (p.side === 'long' ? 1 : -1);

export function unrealized(p: SimPosition, mark: number | Dec): Dec {
  return dec(mark).sub(p.entryPrice).mul(p.qty).mul(signOf(p));
}

/**
 * Cross-margin liquidation price of one position: where equity (wallet plus everything else's margin slack plus
 * this position's PnL) equals its maintenance margin. Null when the wallet covers any price down to zero.
 */
export function liquidationPrice(p: SimPosition, walletElsewhere: Dec, maintMarginRate: number): Dec | null {
  const s = signOf(p);
  const q = dec(p.qty);
  const lp = q.mul(p.entryPrice).mul(s).sub(walletElsewhere).div(q.mul(s - maintMarginRate));
  return lp.gt(0) ? lp : null;
}

/** Funding a position pays (negative) or receives (positive) at a funding time. */
export const fundingPayment = (p: SimPosition, mark: number, rate: number): Dec => dec(p.qty).mul(mark).mul(rate).mul(-signOf(p));
