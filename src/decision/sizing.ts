// Position sizing: fixed fractional risk at the stop (seed 003/004) or bounded Kelly (seed 000/001), capped by equity × leverage.
// Guarantees the notional never exceeds equity × maxNotionalPctEquity × leverage and fixed-fractional never risks more than
// equity × risk at the stop, the round trip's fees and slippage included.
export interface SizingInput {
  equity: number;
  riskPerTrade: number;
  entry: number;
  stop: number;
  leverage: number;
  maxNotionalPctEquity: number;
  /** 0.5–1.0 multiplier from signal strength (seed 004); 1 when unused. */
  strengthMult?: number;
  /** The round trip (fees and slippage, both sides) as a fraction of the entry: part of the loss at the stop. */
  costPct?: number;
}

export interface Sizing {
  qty: number;
  notional: number;
  riskAmount: number;
  capped: boolean;
}

export const notionalCap = (equity: number, maxNotionalPctEquity: number, leverage: number): number => equity * maxNotionalPctEquity * leverage;

export function sizePosition(i: SizingInput): Sizing {
  const distance = Math.abs(i.entry - i.stop);
  if (!(distance > 0) || !(i.entry > 0) || !(i.equity > 0)) return { qty: 0, notional: 0, riskAmount: 0, capped: false };
  const riskAmount = i.equity * i.riskPerTrade;
  let notional = (riskAmount / (distance / i.entry + (i.costPct ?? 0))) * (i.strengthMult ?? 1);
  const cap = notionalCap(i.equity, i.maxNotionalPctEquity, i.leverage);
  const capped = notional > cap;
  if (capped) notional = cap;
  return { qty: notional / i.entry, notional, riskAmount, capped };
}

/** Seed 004: 0.5× at strength 0 up to 1.0× at strength 1. */
export const strengthMultiplier = (strength: number): number => 0.5 + 0.5 * Math.min(1, Math.max(0, strength));

/** Kelly fraction f = (b·p − q) / b with b the reward/risk ratio, p the win probability, q = 1 − p (seed 000). */
export const kellyFraction = (b: number, p: number): number => (b * p - (1 - p)) / b;

/** Win probability shrunk toward a prior: (wins + p0·n0) / (trades + n0). */
export const shrunkWinRate = (wins: number, trades: number, p0: number, n0: number): number =>
  trades + n0 > 0 ? (wins + p0 * n0) / (trades + n0) : p0;

export interface KellyInput {
  equity: number;
  entry: number;
  /** Reward / risk of the trade (take-profit distance / stop distance). */
  b: number;
  p: number;
  min: number;
  max: number;
  leverage: number;
  maxNotionalPctEquity: number;
}

/** Notional = equity × f, f bounded to [min, max]; null when the edge is not positive (f ≤ 0: do not bet). */
export function sizeKelly(i: KellyInput): (Sizing & { f: number; fRaw: number }) | null {
  const fRaw = kellyFraction(i.b, i.p);
  if (!(fRaw > 0) || !(i.entry > 0) || !(i.equity > 0)) return null;
  const fx = Math.min(i.max, Math.max(i.min, fRaw));
  let notional = i.equity * fx;
  const cap = notionalCap(i.equity, i.maxNotionalPctEquity, i.leverage);
  const capped = notional > cap;
  if (capped) notional = cap;
  return { qty: notional / i.entry, notional, riskAmount: 0, capped, f: fx, fRaw };
}
