// Position sizing by fixed fractional risk with a stop distance, capped by equity × leverage.
// Guarantees the returned quantity never risks more than equity × riskPerTrade at the stop.
export interface SizingInput {
  equity: number;
  riskPerTrade: number;
  entry: number;
  stop: number;
  leverage: number;
  maxNotionalPctEquity: number;
  /** 0.5–1.0 multiplier from signal strength (seed 004); 1 when unused. */
  strengthMult?: number;
}

export interface Sizing {
  qty: number;
  notional: number;
  riskAmount: number;
  capped: boolean;
}

export function sizePosition(i: SizingInput): Sizing {
  const distance = Math.abs(i.entry - i.stop);
  if (!(distance > 0) || !(i.entry > 0) || !(i.equity > 0)) return { qty: 0, notional: 0, riskAmount: 0, capped: false };
  const riskAmount = i.equity * i.riskPerTrade;
  let notional = (riskAmount / (distance / i.entry)) * (i.strengthMult ?? 1);
  const cap = i.equity * i.maxNotionalPctEquity * i.leverage;
  const capped = notional > cap;
  if (capped) notional = cap;
  return { qty: notional / i.entry, notional, riskAmount, capped };
}
