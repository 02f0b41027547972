// The intra-minute price path of a candle (open → first extreme → second extreme → close) cut into ticks.
// Guarantees: pure; the ticks of a minute visit exactly the candle's high and low and end at its close, so the
// stream's running kline ends equal to the closed candle the REST API serves.
import type { Candle } from '../../protocol/index.js';

/** Path vertices: a rising candle is assumed to dip first, a falling one to spike first (the usual OHLC path). */
export function vertices(c: Candle): [number, number, number, number] {
  return c.close >= c.open ? [c.open, c.low, c.high, c.close] : [c.open, c.high, c.low, c.close];
}

/** The price at fraction f ∈ [0, 1] of the minute. */
export function priceAt(c: Candle, f: number, round: (x: number) => number): number {
  const v = vertices(c);
  const x = Math.min(1, Math.max(0, f)) * 3;
  const i = Math.min(2, Math.floor(x));
  return round(v[i]! + (v[i + 1]! - v[i]!) * (x - i));
}

export interface Tick {
  open: number;
  high: number;
  low: number;
  close: number;
}

/** The move between fractions f0 and f1 of the minute, with the extremes it passes through. */
export function tickBetween(c: Candle, f0: number, f1: number, round: (x: number) => number): Tick {
  const open = priceAt(c, f0, round);
  const close = f1 >= 1 ? c.close : priceAt(c, f1, round);
  let high = Math.max(open, close);
  let low = Math.min(open, close);
  const v = vertices(c);
  for (let i = 1; i <= 2; i++) {
    const at = i / 3;
    if (at > f0 && at < f1) {
      high = Math.max(high, v[i]!);
      low = Math.min(low, v[i]!);
    }
  }
  return { open, high, low, close };
}

/** The running candle after fraction f of the minute (what a kline stream shows while the minute is open). */
export function runningCandle(c: Candle, f: number, round: (x: number) => number): Candle {
  if (f >= 1) return { ...c, closed: true };
  const t = tickBetween(c, 0, f, round);
  const volume = Math.round(c.volume * f * 1000) / 1000;
  return {
    ...c, high: Math.max(t.high, c.open), low: Math.min(t.low, c.open), close: t.close, volume,
    ...(c.takerBuyVolume !== undefined ? { takerBuyVolume: Math.round(c.takerBuyVolume * f * 1000) / 1000 } : {}), closed: false,
  };
}

/** Ticks per simulated minute so that one tick is at least `minWallMs` of wall time at this speed. */
export const stepsPerMinute = (speed: number, minWallMs: number, max: number): number =>
  Math.max(1, Math.min(max, Math.floor(60_000 / (speed * minWallMs))));
