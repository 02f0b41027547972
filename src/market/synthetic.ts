// Seeded synthetic market: a random walk whose regime (trending, ranging, volatile) changes by time block.
// Guarantees: each candle is a pure function of (params, symbol, open time, previous close), so a restart
// resumes the exact same market from the last stored candle.
import type { Candle } from '../protocol/index.js';
import { nextFloat, nextGaussian, seedRng } from './rng.js';

export type SynthRegime = 'trend_up' | 'trend_down' | 'range' | 'volatile';

export interface SynthParams {
  seed: number;
  startPrice: number;
  startPrices?: Record<string, number>;
  volatility: number;
  regimeMinutes: number;
  baseVolume: number;
}

const REGIMES: Record<SynthRegime, { drift: number; vol: number }> = {
  trend_up: { drift: 0.3, vol: 1 },
  trend_down: { drift: -0.3, vol: 1.1 },
  range: { drift: 0, vol: 0.6 },
  volatile: { drift: 0, vol: 2.5 },
};
const ORDER: SynthRegime[] = ['trend_up', 'range', 'trend_down', 'volatile', 'range'];

const mix = (a: number, b: number): number => {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
};

export function regimeAt(p: SynthParams, symbol: string, openTime: number): SynthRegime {
  const block = Math.floor(openTime / (p.regimeMinutes * 60_000));
  return ORDER[mix(mix(p.seed, symbolSalt(symbol)), block) % ORDER.length]!;
}

const symbolSalt = (symbol: string): number => [...symbol].reduce((h, c) => mix(h, c.charCodeAt(0)), 17);

/** Where a symbol's market starts: its own start price, else the common one. */
export const startPriceOf = (p: SynthParams, symbol: string): number => p.startPrices?.[symbol] ?? p.startPrice;

/** The closed 1m candle opening at `openTime`, continuing from `prevClose`. */
export function synthCandle(p: SynthParams, symbol: string, openTime: number, prevClose: number): Candle {
  const rng = seedRng(mix(mix(p.seed, symbolSalt(symbol)), Math.floor(openTime / 60_000)));
  const r = REGIMES[regimeAt(p, symbol, openTime)];
  const open = prevClose;
  let price = open;
  let high = open;
  let low = open;
  const steps = 6;
  const sigma = (p.volatility * r.vol) / Math.sqrt(steps);
  for (let i = 0; i < steps; i++) {
    price *= Math.exp(sigma * (nextGaussian(rng) + r.drift / Math.sqrt(steps)));
    if (price > high) high = price;
    if (price < low) low = price;
  }
  // Volume in base units: a cheaper asset trades more of them for the same money; prices keep ~5 significant digits.
  const start = startPriceOf(p, symbol);
  const volume = p.baseVolume * (p.startPrice / start) * r.vol * Math.exp(0.5 * nextGaussian(rng));
  const buyShare = Math.min(0.95, Math.max(0.05, 0.5 + (price - open) / open / (p.volatility * 4) + 0.05 * (nextFloat(rng) - 0.5)));
  const scale = 10 ** Math.max(1, 4 - Math.floor(Math.log10(start)));
  const round = (x: number) => Math.round(x * scale) / scale;
  return {
    symbol, tf: '1m', openTime,
    open: round(open), high: round(high), low: round(low), close: round(price),
    volume: Math.round(volume * 1000) / 1000, takerBuyVolume: Math.round(volume * buyShare * 1000) / 1000, closed: true,
  };
}
