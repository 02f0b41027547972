// A market source the test steers: each minute's candle is flat at the price (and volume) the test last set, and
// `set` makes the running venue follow at once (Venue.reloadMinute). Guarantees prices move only when told to.
import type { MarketSource } from '../../src/exchange/sim/market-source.js';
import type { Venue } from '../../src/exchange/sim/venue.js';

export interface SteeredMarket {
  source: MarketSource;
  /** Sets a symbol's price (and per-minute volume) and applies it to the venue from its next tick. */
  set(symbol: string, price: number, volume?: number): Promise<void>;
  attach(venue: Venue): void;
}

export function steeredMarket(prices: Record<string, number>, volume = 1000): SteeredMarket {
  const px = { ...prices };
  const vol: Record<string, number> = Object.fromEntries(Object.keys(prices).map((s) => [s, volume]));
  let venue: Venue | null = null;
  return {
    source: {
      kind: 'synthetic',
      end: null,
      candle: (symbol, openTime) => {
        const p = px[symbol]!;
        return { symbol, tf: '1m', openTime, open: p, high: p, low: p, close: p, volume: vol[symbol]!, closed: true };
      },
      start: (wallNow) => Math.floor(wallNow / 60_000) * 60_000,
    },
    set: async (symbol, price, volume) => {
      px[symbol] = price;
      if (volume !== undefined) vol[symbol] = volume;
      await venue?.reloadMinute();
    },
    attach: (v) => {
      venue = v;
    },
  };
}
