// The OHLCV shape indicators read (a Candle satisfies it), and the true range of a bar.
// Guarantees the true range of the first bar (no previous close) is its high − low.
export interface Bar {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export const trueRange = (high: number, low: number, prevClose: number | null): number =>
  prevClose === null ? high - low : Math.max(high - low, Math.abs(high - prevClose), Math.abs(low - prevClose));

/** (high + low + close) / 3 */
export const typicalPrice = (b: Bar): number => (b.high + b.low + b.close) / 3;
