// Timeframe lengths and bucketing of UTC millisecond times into candle open times.
// Guarantees bucket boundaries align to the Unix epoch (as exchanges do for ≤ 1d candles).
import type { Timeframe } from '../protocol/index.js';

export const TIMEFRAME_MS: Record<Timeframe, number> = {
  '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '4h': 14_400_000,
};

export const TIMEFRAMES = Object.keys(TIMEFRAME_MS) as Timeframe[];

export const bucketStart = (ts: number, tf: Timeframe): number => ts - (((ts % TIMEFRAME_MS[tf]) + TIMEFRAME_MS[tf]) % TIMEFRAME_MS[tf]);
