// Hand-made snapshots for decision tests: a complete snapshot whose every source votes, and variations of it.
// Guarantees the base snapshot gives voting13 a STRONG_BUY with grade-A entry and all gates passing at 12:00 UTC.
import type { Snapshot } from '../../src/protocol/index.js';

export const BTC = 'BTC/USDT:USDT';
export const ETH = 'ETH/USDT:USDT';

type DeepPartial<T> = { [K in keyof T]?: NonNullable<T[K]> extends object ? DeepPartial<NonNullable<T[K]>> | null : T[K] };

const merge = (a: unknown, b: unknown): unknown => {
  if (b === undefined) return a;
  if (b === null || typeof b !== 'object' || Array.isArray(b) || a === null || typeof a !== 'object') return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
  return out;
};

/** Every voting13 source bullish (hour_seasonality has no table: unavailable; the AI consensus is a minute old); price 30 000, ATR 100. */
export function bullish(ts: number, over: DeepPartial<Snapshot> = {}, symbol = BTC): Snapshot {
  const hour = new Date(ts).getUTCHours();
  const base: Snapshot = {
    symbol, ts, kind: 'full', price: 30_000,
    ind: { emaFast: 29_980, emaSlow: 29_900, rsi: 55, atr: 100, vwapSession: 29_900, vwapSessionUpper: 30_200, vwapSessionLower: 29_600 },
    tf: {
      '5m': { close: 30_000, structure: 'HH_HL', momentum: 'IMPULSE_UP', momentumScore: 0.8, atr: 200, atrRegime: 'normal' },
      '15m': { close: 30_000, structure: 'HH_HL', momentum: 'IMPULSE_UP', momentumScore: 0.7, atr: 300, atrRegime: 'normal' },
      '1h': { close: 30_000, structure: 'HH_HL', momentum: 'FADING', momentumScore: 0.2, atr: 500, atrRegime: 'normal' },
    },
    mtfAlignment: 0.8, session: hour < 8 ? 'asia' : hour < 14 ? 'europe' : 'us', hourUtc: hour,
    regime: { label: 'TRENDING_UP', confidence: 0.9 },
    micro: { cvd: 100, vpin: 0.9, ofi: 0.5, obi: 0.4, whaleBuyNotional: 1_000_000, whaleSellNotional: 0, fairValue: 30_050 },
    flow: { fundingRate: 0.00005, fundingExtreme: false, oiChangePct: 1, crowdBias: 'neutral', trapIndex: 0.1, warnings: [], riskScore: 0.2, sentiment: 1, etfFlowUsd: 250_000_000 },
    ml: { available: true, pUp: 0.8, model: 'test' },
    ai: { madeAt: ts - 60_000, basedOn: ts - 120_000, pUp: 0.8, agreement: 1, generalistPUp: 0.8, swarmPUp: 0.8, agents: 8, of: 8, horizonMin: 30, cycleId: `test:${ts}` },
  };
  return merge(base, over) as Snapshot;
}

/** The mirror image: every source bearish. */
export function bearish(ts: number, over: DeepPartial<Snapshot> = {}, symbol = BTC): Snapshot {
  return bullish(ts, merge({
    ind: { emaFast: 30_020, emaSlow: 30_100, vwapSession: 30_100 },
    tf: {
      '5m': { structure: 'LH_LL', momentum: 'IMPULSE_DOWN' }, '15m': { structure: 'LH_LL', momentum: 'IMPULSE_DOWN' }, '1h': { structure: 'LH_LL' },
    },
    mtfAlignment: -0.8, regime: { label: 'TRENDING_DOWN', confidence: 0.9 },
    micro: { ofi: -0.5, obi: -0.4, whaleBuyNotional: 0, whaleSellNotional: 1_000_000, fairValue: 29_950 },
    flow: { sentiment: -1, etfFlowUsd: -250_000_000 },
    ml: { pUp: 0.2 },
    ai: { pUp: 0.2, generalistPUp: 0.2, swarmPUp: 0.2 },
  }, over) as DeepPartial<Snapshot>, symbol);
}
