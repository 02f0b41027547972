// The derivatives part of a symbol's engine: recent 5-minute metrics rows, the live open interest, forced liquidations
// and settled funding, and the view of them a snapshot carries. Plain data (structured-cloned with the engine).
// Guarantees no look-ahead — nothing stamped after the snapshot's time is used — and null for every value without a
// fresh source (a stale row does not count), never a default.
import type { DerivativesMetrics, DerivativesUpdate, DerivativesView, FundingSettlement, Liquidation, LiquidationsBatch, OpenInterestSample } from '../protocol/index.js';

export interface DerivativesParams {
  maxAgeSec: number;
  oiWindowSec: number;
  oiLargePct: number;
  longShortFull: number;
  liqWindowSec: number;
  liqLargeUsd: number;
  fundingSettledMaxAgeSec: number;
}

type RatioKey = 'longShortRatio' | 'topTraderAccountRatio' | 'topTraderPositionRatio' | 'takerBuySellRatio';

export class DerivativesState {
  /** Metrics rows, oldest first, one per stamp; older than the OI window (plus max age) are dropped. */
  metrics: DerivativesMetrics[] = [];
  /** Live open-interest samples (newest last), a few. */
  oi: OpenInterestSample[] = [];
  /** Forced liquidations within the window of the newest one. */
  liqs: Liquidation[] = [];
  /** Since when liquidations are known (the stream's coverage); null: no source, the view says null. */
  liqSince: number | null = null;
  /** Settled funding, newest last, a few. */
  funding: FundingSettlement[] = [];

  constructor(readonly p: DerivativesParams) {}

  onUpdate(u: DerivativesUpdate): void {
    for (const r of u.metrics) this.addMetrics(r);
    if (u.openInterest && Number.isFinite(u.openInterest.openInterest) && u.openInterest.openInterest > 0) {
      this.oi = insertByTs(this.oi, u.openInterest).slice(-8);
    }
    for (const f of u.funding) if (Number.isFinite(f.rate)) this.funding = insertByTs(this.funding, f).slice(-4);
  }

  onLiquidations(b: LiquidationsBatch): void {
    if (b.coverageFrom !== undefined && (this.liqSince === null || b.coverageFrom < this.liqSince)) this.liqSince = b.coverageFrom;
    if (!b.liquidations.length) return;
    if (this.liqSince === null) this.liqSince = Math.min(...b.liquidations.map((l) => l.ts));
    for (const l of b.liquidations) if (Number.isFinite(l.notional) && l.notional > 0) this.liqs.push(l);
    this.liqs.sort((a, b) => a.ts - b.ts);
    const newest = this.liqs.at(-1)!.ts;
    this.liqs = this.liqs.filter((l) => l.ts > newest - this.p.liqWindowSec * 1000);
  }

  private addMetrics(r: DerivativesMetrics): void {
    const i = this.metrics.findIndex((m) => m.ts === r.ts);
    if (i >= 0) {
      const m = this.metrics[i]!;
      this.metrics[i] = {
        ...m,
        openInterest: r.openInterest ?? m.openInterest, openInterestValue: r.openInterestValue ?? m.openInterestValue,
        topTraderAccountRatio: r.topTraderAccountRatio ?? m.topTraderAccountRatio, topTraderPositionRatio: r.topTraderPositionRatio ?? m.topTraderPositionRatio,
        longShortRatio: r.longShortRatio ?? m.longShortRatio, takerBuySellRatio: r.takerBuySellRatio ?? m.takerBuySellRatio,
      };
    } else this.metrics = insertByTs(this.metrics, { ...r });
    const keepFrom = this.metrics.at(-1)!.ts - (this.p.oiWindowSec + 2 * this.p.maxAgeSec) * 1000;
    if (this.metrics[0]!.ts < keepFrom) this.metrics = this.metrics.filter((m) => m.ts >= keepFrom);
  }

  /** True once any derivatives data has arrived (a view with nothing fresh is then "stale", not "absent"). */
  get seen(): boolean {
    return this.metrics.length > 0 || this.oi.length > 0 || this.funding.length > 0 || this.liqSince !== null;
  }

  /** The view at time `ts`: only what is stamped at or before it and younger than its max age; null if nothing is. */
  view(ts: number): DerivativesView | null {
    const p = this.p;
    const maxAge = p.maxAgeSec * 1000;
    const fresh = (t: number) => t <= ts && ts - t <= maxAge;
    let last: DerivativesMetrics | null = null;
    for (let i = this.metrics.length - 1; i >= 0; i--) {
      const m = this.metrics[i]!;
      if (m.ts <= ts) {
        last = fresh(m.ts) ? m : null;
        break;
      }
    }
    const latestWith = (k: RatioKey): number | null => {
      for (let i = this.metrics.length - 1; i >= 0; i--) {
        const m = this.metrics[i]!;
        if (m.ts > ts) continue;
        if (!fresh(m.ts)) return null;
        if (m[k] !== null) return m[k];
      }
      return null;
    };
    let oiRow: DerivativesMetrics | null = null;
    for (let i = this.metrics.length - 1; i >= 0; i--) {
      const m = this.metrics[i]!;
      if (m.ts > ts) continue;
      if (fresh(m.ts) && m.openInterest !== null) oiRow = m;
      break;
    }
    const sample = [...this.oi].reverse().find((o) => fresh(o.ts)) ?? null;
    const useSample = sample !== null && (oiRow === null || sample.ts > oiRow.ts);
    const oiNow = useSample ? sample!.openInterest : oiRow?.openInterest ?? null;
    const oiAt = useSample ? sample!.ts : oiRow?.ts ?? null;
    // The base: the latest row at or before (now − window), itself no older than the window plus the max age.
    let oiChangePct: number | null = null;
    let oiPriceChangePct: number | null = null;
    if (oiNow !== null && oiAt !== null) {
      const target = oiAt - p.oiWindowSec * 1000;
      let base: DerivativesMetrics | null = null;
      for (let i = this.metrics.length - 1; i >= 0; i--) {
        const m = this.metrics[i]!;
        if (m.ts <= target) {
          if (m.openInterest !== null && target - m.ts <= maxAge) base = m;
          break;
        }
      }
      if (base) {
        oiChangePct = (oiNow / base.openInterest! - 1) * 100;
        if (oiRow && oiRow.openInterestValue !== null && base.openInterestValue !== null && oiRow.ts - base.ts >= p.oiWindowSec * 1000 - maxAge) {
          oiPriceChangePct = (oiRow.openInterestValue / oiRow.openInterest! / (base.openInterestValue / base.openInterest!) - 1) * 100;
        }
      }
    }
    const taker = latestWith('takerBuySellRatio');
    let forced: DerivativesView['forcedLiquidations'] = null;
    if (this.liqSince !== null && this.liqSince <= ts) {
      let longUsd = 0;
      let shortUsd = 0;
      let count = 0;
      for (const l of this.liqs) {
        if (l.ts > ts || l.ts <= ts - p.liqWindowSec * 1000) continue;
        if (l.side === 'sell') longUsd += l.notional;
        else shortUsd += l.notional;
        count++;
      }
      forced = { windowSec: p.liqWindowSec, longUsd, shortUsd, count };
    }
    const settled = [...this.funding].reverse().find((f) => f.ts <= ts);
    const fundingSettled = settled && ts - settled.ts <= p.fundingSettledMaxAgeSec * 1000 ? { rate: settled.rate, ts: settled.ts } : null;
    const v: DerivativesView = {
      metricsTs: last?.ts ?? null,
      openInterest: oiNow,
      openInterestValue: oiRow?.openInterestValue ?? null,
      oiChangePct, oiPriceChangePct,
      longShortRatio: latestWith('longShortRatio'),
      topTraderAccountRatio: latestWith('topTraderAccountRatio'),
      topTraderPositionRatio: latestWith('topTraderPositionRatio'),
      takerBuySellRatio: taker,
      takerImbalance: taker === null ? null : (taker - 1) / (taker + 1),
      forcedLiquidations: forced,
      fundingSettled,
    };
    const any = v.openInterest !== null || v.longShortRatio !== null || v.topTraderAccountRatio !== null || v.topTraderPositionRatio !== null
      || v.takerBuySellRatio !== null || v.forcedLiquidations !== null || v.fundingSettled !== null;
    return any ? v : null;
  }
}

function insertByTs<T extends { ts: number }>(list: T[], x: T): T[] {
  const out = list.filter((y) => y.ts !== x.ts);
  let i = out.length;
  while (i > 0 && out[i - 1]!.ts > x.ts) i--;
  out.splice(i, 0, x);
  return out;
}
