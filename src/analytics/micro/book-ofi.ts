// Order flow imbalance from top-of-book updates (Cont, Kukanov, Stoikov 2014): per update
// e = 1{Pb ≥ Pb'}·qb − 1{Pb ≤ Pb'}·qb' − 1{Pa ≤ Pa'}·qa + 1{Pa ≥ Pa'}·qa' (primes: previous top).
// Guarantees the first book only sets the reference (no flow) and O(1) per update.
export interface Top {
  bid: number;
  bidQty: number;
  ask: number;
  askQty: number;
}

export function ofiEvent(prev: Top, cur: Top): number {
  let e = 0;
  if (cur.bid >= prev.bid) e += cur.bidQty;
  if (cur.bid <= prev.bid) e -= prev.bidQty;
  if (cur.ask <= prev.ask) e -= cur.askQty;
  if (cur.ask >= prev.ask) e += prev.askQty;
  return e;
}
