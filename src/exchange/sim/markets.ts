// The perpetual markets the simulated venue lists, with the venue-only parameters (maintenance margin, book depth).
// Guarantees the loopback venue and the in-process face list the same instruments with the same filters.
import type { LeverageBracket, MarketInfo } from '../types.js';

export interface SimMarket extends MarketInfo {
  /** Maintenance margin rate of the first leverage bracket (fraction of notional). */
  maintMarginRate: number;
  /** Leverage brackets by notional, lowest first (bracket 1's leverage is `maxLeverage`), shaped like Binance's. */
  brackets: LeverageBracket[];
  /** Base quantity resting at each synthetic book level. */
  bookLevelQty: string;
  /** Ticks between the synthetic best bid and best ask. */
  spreadTicks: number;
}

/** Brackets from [maxLeverage, notionalCap, maintMarginRatio] rows (each floor is the previous cap). */
const brackets = (rows: Array<[number, number, number]>): LeverageBracket[] =>
  rows.map(([maxLeverage, notionalCap, maintMarginRatio], i) => ({ bracket: i + 1, maxLeverage, notionalFloor: i ? rows[i - 1]![1] : 0, notionalCap, maintMarginRatio }));

export const SIM_MARKETS: SimMarket[] = [
  {
    symbol: 'BTC/USDT:USDT', id: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.1', qtyStep: '0.001', minQty: '0.001', minNotional: '100', maxLeverage: 125, maintMarginRate: 0.004, bookLevelQty: '2', spreadTicks: 1,
    brackets: brackets([[125, 50_000, 0.004], [100, 600_000, 0.005], [75, 3_000_000, 0.0065], [50, 12_000_000, 0.01], [25, 70_000_000, 0.02], [20, 100_000_000, 0.025], [10, 230_000_000, 0.05], [5, 480_000_000, 0.1], [4, 600_000_000, 0.125], [3, 800_000_000, 0.15], [2, 1_200_000_000, 0.25], [1, 1_800_000_000, 0.5]]),
  },
  {
    symbol: 'ETH/USDT:USDT', id: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', qtyStep: '0.001', minQty: '0.001', minNotional: '20', maxLeverage: 100, maintMarginRate: 0.005, bookLevelQty: '30', spreadTicks: 1,
    brackets: brackets([[100, 50_000, 0.005], [75, 250_000, 0.0065], [50, 1_000_000, 0.01], [25, 10_000_000, 0.02], [10, 50_000_000, 0.05], [5, 100_000_000, 0.1], [4, 150_000_000, 0.125], [3, 300_000_000, 0.15], [2, 500_000_000, 0.25], [1, 800_000_000, 0.5]]),
  },
  {
    symbol: 'SOL/USDT:USDT', id: 'SOLUSDT', base: 'SOL', quote: 'USDT', tickSize: '0.01', qtyStep: '1', minQty: '1', minNotional: '5', maxLeverage: 75, maintMarginRate: 0.01, bookLevelQty: '500', spreadTicks: 1,
    brackets: brackets([[75, 50_000, 0.01], [50, 250_000, 0.02], [25, 1_000_000, 0.025], [10, 5_000_000, 0.05], [5, 20_000_000, 0.1], [4, 25_000_000, 0.125], [3, 50_000_000, 0.15], [2, 100_000_000, 0.25], [1, 200_000_000, 0.5]]),
  },
];

/** The largest position notional a leverage allows: the cap of the last bracket whose maximum is at least that leverage. */
export function maxNotionalAt(b: LeverageBracket[], leverage: number): number {
  const ok = b.filter((x) => x.maxLeverage >= leverage);
  return ok.length ? Math.max(...ok.map((x) => x.notionalCap)) : 0;
}

/** The listed markets for these unified symbols; throws naming any symbol the venue does not list. */
export function simMarketsFor(symbols: string[]): SimMarket[] {
  const missing = symbols.filter((s) => !SIM_MARKETS.some((m) => m.symbol === s));
  if (missing.length) throw new Error(`the simulated venue does not list ${missing.join(', ')} (it lists ${SIM_MARKETS.map((m) => m.symbol).join(', ')})`);
  return SIM_MARKETS.filter((m) => symbols.includes(m.symbol));
}

export const venueIdOf = (symbol: string): string => symbol.replace(/:.*$/, '').replace('/', '');
