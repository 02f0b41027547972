// Where the simulated venue's derivatives data comes from: generated from the market it plays (seeded, see
// market/derivatives-synth.ts), replayed from a database's derivatives tables, or none. Guarantees: a source only
// answers with data stamped at or before the time asked (the venue's now), and gives the same answer for the same
// market on every run and after a restart.
import type { Pool } from 'mariadb';
import type { Candle, DerivativesMetrics, FundingSettlement, Liquidation, OpenInterestSample } from '../../protocol/index.js';
import { PERIOD_MS, SYNTH_LOOKBACK_MIN, closedBy, periodStamps, synthFundingAt, synthLiquidations, synthMetricsAt, type DerivSynthParams } from '../../market/derivatives-synth.js';
import { fundingBetween, liquidationsBetween, metricsBetween } from '../../store/repos/derivatives.js';

const MINUTE = 60_000;

export interface VenueDerivatives {
  readonly kind: 'synthetic' | 'replay' | 'none';
  /** Rows stamped on the `periodMs` grid in [from, to]. */
  metrics(symbol: string, from: number, to: number, periodMs: number): Promise<DerivativesMetrics[]>;
  /** Open interest as of `t`. */
  openInterest(symbol: string, t: number): Promise<OpenInterestSample | null>;
  /** Settlements in [from, to]. */
  funding(symbol: string, from: number, to: number): Promise<FundingSettlement[]>;
  /** Forced liquidations during the 1m candle `c` (`before`: the candles before it, oldest first). */
  liquidations(symbol: string, c: Candle, before: Candle[]): Liquidation[];
  /**
   * The funding rate in force at `t` (what the mark stream shows and a settlement at `t` charges), from the candles
   * closed by then (oldest first, the last day at least); null: the venue's own premium formula.
   */
  fundingRateAt(symbol: string, t: number, candles: Candle[]): number | null;
}

export const noDerivatives: VenueDerivatives = {
  kind: 'none',
  metrics: async () => [],
  openInterest: async () => null,
  funding: async () => [],
  liquidations: () => [],
  fundingRateAt: () => null,
};

/** Closed 1m candles with open time in [from, to), oldest first (the venue's stored market). */
export type CandleLoader = (symbol: string, from: number, to: number) => Promise<Candle[]>;

export function syntheticDerivatives(p: DerivSynthParams, load: CandleLoader): VenueDerivatives {
  const window = (symbol: string, from: number, to: number) => load(symbol, from - (SYNTH_LOOKBACK_MIN + 481) * MINUTE, to);
  return {
    kind: 'synthetic',
    async metrics(symbol, from, to, periodMs) {
      const stamps = periodStamps(from, to, periodMs);
      if (!stamps.length) return [];
      const candles = await window(symbol, stamps[0]!, stamps.at(-1)!);
      return stamps.map((t) => synthMetricsAt(p, symbol, candles, t, periodMs)).filter((m): m is DerivativesMetrics => m !== null);
    },
    async openInterest(symbol, t) {
      const candles = await window(symbol, t, t);
      const m = synthMetricsAt(p, symbol, candles, t);
      return m?.openInterest != null && closedBy(candles, t) > 0 ? { symbol, ts: t, openInterest: m.openInterest } : null;
    },
    async funding(symbol, from, to) {
      const stamps = periodStamps(from, to, p.fundingIntervalMs);
      if (!stamps.length) return [];
      const candles = await window(symbol, stamps[0]!, stamps.at(-1)!);
      return stamps.map((t) => synthFundingAt(p, symbol, candles, t)).filter((f): f is FundingSettlement => f !== null);
    },
    liquidations: (symbol, c, before) => synthLiquidations(p, symbol, c, before),
    fundingRateAt: (symbol, t, candles) => synthFundingAt(p, symbol, candles, t)?.rate ?? null,
  };
}

/** A database's derivatives tables, read once (a replay is a bounded history). */
export async function replayDerivatives(pool: Pool, symbols: string[]): Promise<VenueDerivatives> {
  const metrics = new Map<string, DerivativesMetrics[]>();
  const funding = new Map<string, FundingSettlement[]>();
  const liqs = new Map<string, Map<number, Liquidation[]>>();
  for (const s of symbols) {
    metrics.set(s, await metricsBetween(pool, s, 0, Number.MAX_SAFE_INTEGER));
    funding.set(s, await fundingBetween(pool, s, 0, Number.MAX_SAFE_INTEGER));
    const byMinute = new Map<number, Liquidation[]>();
    for (const l of await liquidationsBetween(pool, s, 0, Number.MAX_SAFE_INTEGER)) {
      const m = Math.floor(l.ts / MINUTE) * MINUTE;
      byMinute.set(m, [...(byMinute.get(m) ?? []), l]);
    }
    liqs.set(s, byMinute);
  }
  return {
    kind: 'replay',
    async metrics(symbol, from, to, periodMs) {
      // Longer periods: the 5-minute rows at their stamps (taker volume of the last 5 minutes only).
      return (metrics.get(symbol) ?? []).filter((m) => m.ts >= from && m.ts <= to && m.ts % periodMs === 0);
    },
    async openInterest(symbol, t) {
      const rows = (metrics.get(symbol) ?? []).filter((m) => m.ts <= t && m.openInterest !== null && t - m.ts <= 2 * PERIOD_MS);
      const last = rows.at(-1);
      return last ? { symbol, ts: t, openInterest: last.openInterest! } : null;
    },
    async funding(symbol, from, to) {
      return (funding.get(symbol) ?? []).filter((f) => f.ts >= from && f.ts <= to);
    },
    liquidations: (symbol, c) => liqs.get(symbol)?.get(c.openTime) ?? [],
    // The last settlement at or before t (a settlement at t charges its own stored rate).
    fundingRateAt: (symbol, t) => {
      const rows = funding.get(symbol) ?? [];
      let lo = 0;
      let hi = rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (rows[mid]!.ts <= t) lo = mid + 1;
        else hi = mid;
      }
      return lo > 0 ? rows[lo - 1]!.rate : null;
    },
  };
}
