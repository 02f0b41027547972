// The perpetual markets the simulated venue lists, with the venue-only parameters (maintenance margin, book depth).
// Guarantees the loopback venue and the in-process face list the same instruments with the same filters.
import type { MarketInfo } from '../types.js';

export interface SimMarket extends MarketInfo {
  /** Maintenance margin rate of the first leverage bracket (fraction of notional). */
  maintMarginRate: number;
  /** Base quantity resting at each synthetic book level. */
  bookLevelQty: string;
  /** Ticks between the synthetic best bid and best ask. */
  spreadTicks: number;
}

export const SIM_MARKETS: SimMarket[] = [
  { symbol: 'BTC/USDT:USDT', id: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.1', qtyStep: '0.001', minQty: '0.001', minNotional: '100', maxLeverage: 125, maintMarginRate: 0.004, bookLevelQty: '2', spreadTicks: 1 },
  { symbol: 'ETH/USDT:USDT', id: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', qtyStep: '0.001', minQty: '0.001', minNotional: '20', maxLeverage: 100, maintMarginRate: 0.005, bookLevelQty: '30', spreadTicks: 1 },
  { symbol: 'SOL/USDT:USDT', id: 'SOLUSDT', base: 'SOL', quote: 'USDT', tickSize: '0.01', qtyStep: '1', minQty: '1', minNotional: '5', maxLeverage: 75, maintMarginRate: 0.01, bookLevelQty: '500', spreadTicks: 1 },
];

/** The listed markets for these unified symbols; throws naming any symbol the venue does not list. */
export function simMarketsFor(symbols: string[]): SimMarket[] {
  const missing = symbols.filter((s) => !SIM_MARKETS.some((m) => m.symbol === s));
  if (missing.length) throw new Error(`the simulated venue does not list ${missing.join(', ')} (it lists ${SIM_MARKETS.map((m) => m.symbol).join(', ')})`);
  return SIM_MARKETS.filter((m) => symbols.includes(m.symbol));
}

export const venueIdOf = (symbol: string): string => symbol.replace(/:.*$/, '').replace('/', '');
