// Derivatives history for backtests: read from the database (what `bosun data import|download` and the live feed
// stored) and published on the backtest's bus as the market feed would have — each row once its stamp, plus the feed's
// polling lag, has passed. Guarantees no look-ahead: at a bar closing at t only rows stamped ≤ t − lag are out (a
// 5-minute row stamped create_time T is visible from T + lag on, as the live feed polls it), liquidations (streamed) from
// their time on; the same history gives the same messages in the same order.
import { createHash } from 'node:crypto';
import type { Pool } from 'mariadb';
import type { Bus } from '../bus/bus.js';
import type { DerivativesMetrics, FundingSettlement, Liquidation } from '../protocol/index.js';
import { fundingBetween, liquidationsBetween, metricsBetween } from '../store/repos/derivatives.js';

export interface DerivativesHistory {
  symbol: string;
  metrics: DerivativesMetrics[];
  funding: FundingSettlement[];
  liquidations: Liquidation[];
  /** sha256 over every row (part of the backtest's data identity). */
  sha256: string;
}

const HOUR = 3_600_000;

/** The stored derivatives data of [from − lookback, to), or null when there is none. */
export async function derivativesFromDb(pool: Pool, symbol: string, from: number, to: number, lookbackMs: number): Promise<DerivativesHistory | null> {
  const start = from - lookbackMs;
  const [metrics, funding, liquidations] = await Promise.all([
    metricsBetween(pool, symbol, start, to),
    // The settlement in force at the start is the last one before it (funding intervals are up to 8 hours).
    fundingBetween(pool, symbol, start - 9 * HOUR, to),
    liquidationsBetween(pool, symbol, start, to),
  ]);
  if (!metrics.length && !funding.length && !liquidations.length) return null;
  const h = createHash('sha256');
  for (const m of metrics) h.update(`m,${m.ts},${m.openInterest},${m.openInterestValue},${m.topTraderAccountRatio},${m.topTraderPositionRatio},${m.longShortRatio},${m.takerBuySellRatio}\n`);
  for (const f of funding) h.update(`f,${f.ts},${f.rate}\n`);
  for (const l of liquidations) h.update(`l,${l.ts},${l.side},${l.price},${l.qty}\n`);
  return { symbol, metrics, funding, liquidations, sha256: h.digest('hex') };
}

/** Publishes the history on a bus as time passes (call `publishDue(t)` at each bar close, before the bar's candle). */
export class DerivativesFeed {
  private m = 0;
  private f = 0;
  private l = 0;
  private covered = false;

  /** `lagMs`: how long after its stamp the live feed has a polled row (market.derivatives.lagSec). */
  constructor(private readonly h: DerivativesHistory, private readonly lagMs = 0) {}

  /** The history has funding: the backtest's mark then carries no made-up rate (the settled ones stand in). */
  get hasFunding(): boolean {
    return this.h.funding.length > 0;
  }

  publishDue(bus: Pick<Bus, 'publish'>, t: number): void {
    const { h } = this;
    const metrics: DerivativesMetrics[] = [];
    while (this.m < h.metrics.length && h.metrics[this.m]!.ts + this.lagMs <= t) metrics.push(h.metrics[this.m++]!);
    const funding: FundingSettlement[] = [];
    while (this.f < h.funding.length && h.funding[this.f]!.ts + this.lagMs <= t) funding.push(h.funding[this.f++]!);
    if (metrics.length || funding.length) bus.publish('market.derivatives', { symbol: h.symbol, metrics, openInterest: null, funding }, { tsEvent: t });
    const liqs: Liquidation[] = [];
    while (this.l < h.liquidations.length && h.liquidations[this.l]!.ts <= t) liqs.push(h.liquidations[this.l++]!);
    if (liqs.length || (!this.covered && h.liquidations.length)) {
      // Stored liquidations are the stream's record: from the first one on, a window without any is a real zero.
      bus.publish('market.liquidations', { symbol: h.symbol, liquidations: liqs, ...(this.covered ? {} : { coverageFrom: h.liquidations[0]!.ts }) }, { tsEvent: t });
      this.covered = true;
    }
  }
}
