// Flow view (seed 003): funding and its extremes, open-interest change, crowd bias (funding, trade flow, the accounts'
// long/short ratio, liquidation maps, sentiment), trap index, warnings and a global risk score in [0, 1] from whatever
// inputs are live (manual ones within their max age). Pure; guarantees a component without data is left out, never
// filled with a made-up value.
import type { DerivativesView, Flow, Microstructure, RegimeValueLike, TimeframeState } from '../protocol/index.js';
import type { DerivativesParams } from './derivatives.js';
import { counts, type ManualMaxAge, type ManualState } from './manual-inputs.js';

export interface FlowParams {
  /** |funding rate| per funding interval at or above which funding is extreme (e.g. 0.0005 = 0.05 %). */
  fundingExtreme: number;
  /** A funding reading older than this no longer counts. */
  fundingMaxAgeSec: number;
  /** |crowd score| at or above which the crowd is biased. */
  crowdThreshold: number;
  /** Liquidation clusters within this fraction of the price are "near". */
  liqNearPct: number;
  /** Near liquidation notional (USD) that raises a warning and saturates its risk component. */
  liqLargeUsd: number;
  /** |ETF net flow| (USD) that counts as large. */
  etfLargeUsd: number;
  vpinHigh: number;
  maxAge: ManualMaxAge;
  riskWeights: { volatility: number; vpin: number; funding: number; trap: number; sentiment: number; etf: number; liquidations: number };
  derivatives: DerivativesParams;
}

export interface FlowInputs {
  ts: number;
  price: number;
  funding: { rate: number; ts: number } | null;
  micro: Microstructure | null;
  regime: RegimeValueLike | null;
  /** The timeframe the risk score reads volatility and momentum from (the regime timeframe, else 1m). */
  tf: TimeframeState | null;
  manual: ManualState;
  /** The exchange's derivatives data as of `ts` (SymbolEngine's DerivativesState.view). */
  derivatives?: DerivativesView | null;
  /** Derivatives data has arrived before (so none fresh now is stale, not absent). */
  derivativesSeen?: boolean;
}

const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);
const clamp01 = (x: number) => clamp(x, 0, 1);

export function computeFlow(x: FlowInputs, p: FlowParams): Flow | null {
  const warnings: string[] = [];
  const d = x.derivatives ?? null;
  const dp = p.derivatives;
  // The live (mark stream) rate while fresh, else the last settled one (history, backtests) within its own max age.
  const live = x.funding && x.ts - x.funding.ts <= p.fundingMaxAgeSec * 1000 ? x.funding.rate : null;
  const funding = live ?? d?.fundingSettled?.rate ?? null;
  if (x.derivativesSeen && d === null) warnings.push('derivatives_stale');
  const m = x.manual;
  const sentiment = counts(m.sentiment, x.ts, p.maxAge.sentimentSec) ? m.sentiment!.data.score : null;
  const etf = counts(m.etfFlow, x.ts, p.maxAge.etfFlowSec) ? m.etfFlow!.data.totalNetFlowUsd : null;
  const liqMap = counts(m.liquidations, x.ts, p.maxAge.liquidationsSec) ? m.liquidations!.data : null;
  if (m.sentiment && sentiment === null) warnings.push('manual_stale:sentiment');
  if (m.etfFlow && etf === null) warnings.push('manual_stale:etf_flow');
  if (m.liquidations && liqMap === null) warnings.push('manual_stale:liquidations');

  // Liquidation clusters near the price: long liquidations (longs' stops) and short ones, with the nearest.
  let liq: Flow['liquidations'] = null;
  if (liqMap) {
    let longNear = 0, shortNear = 0;
    let nearestLong: number | null = null, nearestShort: number | null = null;
    for (const c of liqMap.clusters) {
      const near = Math.abs(c.price - x.price) / x.price <= p.liqNearPct;
      if (c.side === 'long') {
        if (near) longNear += c.notionalUsd;
        if (c.price <= x.price && (nearestLong === null || c.price > nearestLong)) nearestLong = c.price;
      } else {
        if (near) shortNear += c.notionalUsd;
        if (c.price >= x.price && (nearestShort === null || c.price < nearestShort)) nearestShort = c.price;
      }
    }
    liq = { longNotionalNear: longNear, shortNotionalNear: shortNear, nearestLong, nearestShort };
    if (longNear + shortNear >= p.liqLargeUsd) warnings.push('liquidation_cluster_near');
  }

  // Crowd score in [−1, 1] (+ = crowd long): mean of the components that have data.
  const parts: number[] = [];
  if (funding !== null) parts.push(clamp(funding / p.fundingExtreme, -1, 1));
  if (x.micro?.ofi != null) parts.push(x.micro.ofi);
  if (liq && liq.longNotionalNear + liq.shortNotionalNear > 0) parts.push((liq.longNotionalNear - liq.shortNotionalNear) / (liq.longNotionalNear + liq.shortNotionalNear));
  if (sentiment !== null) parts.push(sentiment / 2);
  // All accounts' long/short ratio: 1 is balanced, longShortFull (or its inverse) a fully one-sided crowd.
  if (d?.longShortRatio != null) parts.push(clamp(Math.log(d.longShortRatio) / Math.log(dp.longShortFull), -1, 1));
  const crowdScore = parts.length ? parts.reduce((a, b) => a + b, 0) / parts.length : null;
  const crowdBias = crowdScore === null ? null : crowdScore >= p.crowdThreshold ? 'long' : crowdScore <= -p.crowdThreshold ? 'short' : 'neutral';

  // Trap index: crowding × (half, plus half of how hard price already moves against the crowd).
  // Rising open interest adds fuel (new positions behind the crowd), falling takes it away: × 0.5 … 1.5.
  const mom = x.tf?.momentumScore ?? 0;
  const oiFuel = d?.oiChangePct == null ? 1 : 1 + 0.5 * clamp(d.oiChangePct / dp.oiLargePct, -1, 1);
  const trapIndex = crowdScore === null ? null : clamp01(Math.abs(crowdScore) * (0.5 + 0.5 * Math.max(0, -Math.sign(crowdScore) * mom)) * oiFuel);
  if (trapIndex !== null && trapIndex >= 0.5) warnings.push(crowdScore! > 0 ? 'crowd_long_trap' : 'crowd_short_trap');

  const fundingExtreme = funding === null ? null : Math.abs(funding) >= p.fundingExtreme;
  if (fundingExtreme) warnings.push(funding! > 0 ? 'funding_extreme_longs_pay' : 'funding_extreme_shorts_pay');
  const vpin = x.micro?.vpin ?? null;
  if (vpin !== null && vpin >= p.vpinHigh) warnings.push('vpin_high');
  if (x.regime?.label === 'VOLATILE') warnings.push('volatile_regime');
  if (etf !== null && Math.abs(etf) >= p.etfLargeUsd) warnings.push(etf < 0 ? 'etf_outflow_large' : 'etf_inflow_large');
  if (sentiment !== null && Math.abs(sentiment) >= 2) warnings.push('sentiment_extreme');
  if (d?.oiChangePct != null && Math.abs(d.oiChangePct) >= dp.oiLargePct) warnings.push(d.oiChangePct > 0 ? 'oi_surge' : 'oi_flush');
  const forced = d?.forcedLiquidations ?? null;
  if (forced && forced.longUsd >= dp.liqLargeUsd) warnings.push('liquidations_longs_large');
  if (forced && forced.shortUsd >= dp.liqLargeUsd) warnings.push('liquidations_shorts_large');

  // Risk components in [0, 1]; the score is their weighted mean over those with data.
  const ratio = x.tf?.atrRatio ?? null;
  if (ratio === null || ratio === undefined) return null;
  const w = p.riskWeights;
  const comps: Record<string, number> = {};
  comps.volatility = Math.max(clamp01((ratio - 0.8) / 1.2), x.regime?.label === 'VOLATILE' ? 0.75 : 0);
  if (vpin !== null) comps.vpin = clamp01((vpin - 0.3) / 0.5);
  if (funding !== null) comps.funding = clamp01(Math.abs(funding) / p.fundingExtreme);
  if (trapIndex !== null) comps.trap = trapIndex;
  if (sentiment !== null) comps.sentiment = Math.abs(sentiment) / 2;
  if (etf !== null) comps.etf = clamp01(Math.max(0, -etf) / p.etfLargeUsd);
  if (liq) comps.liquidations = clamp01((liq.longNotionalNear + liq.shortNotionalNear) / p.liqLargeUsd);
  if (forced) comps.liquidations = Math.max(comps.liquidations ?? 0, clamp01((forced.longUsd + forced.shortUsd) / dp.liqLargeUsd));
  let num = 0, den = 0;
  for (const [k, v] of Object.entries(comps)) {
    const wk = w[k as keyof typeof w];
    num += wk * v;
    den += wk;
  }
  return {
    fundingRate: funding,
    fundingExtreme,
    oiChangePct: d?.oiChangePct ?? null,
    crowdBias,
    crowdScore,
    trapIndex,
    warnings,
    riskScore: den > 0 ? clamp01(num / den) : 0,
    riskComponents: comps,
    sentiment,
    etfFlowUsd: etf,
    liquidations: liq,
    derivatives: d,
  };
}
