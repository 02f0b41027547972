// The named signals recorded with every full snapshot (one `signals` row): each source the decision engine
// may vote on, null when it had no data. Pure; guarantees the column order matches SIGNAL_COLUMNS.
import type { Snapshot } from '../protocol/index.js';

export const SIGNAL_COLUMNS = [
  'price', 'regime', 'regime_confidence', 'mtf_alignment', 'momentum_1h', 'structure_4h', 'rsi', 'macd_hist', 'adx', 'bb_width',
  'zscore', 'vwap_dev', 'gk_vol', 'cvd', 'vpin', 'ofi', 'obi', 'whale_flow', 'as_fair_value_dev', 'funding_rate', 'crowd_score',
  'trap_index', 'sentiment', 'etf_flow_usd', 'risk_score', 'ml_p_up', 'hour_utc', 'session',
  'open_interest', 'oi_change_pct', 'long_short_ratio', 'top_trader_position_ratio', 'taker_buy_sell_ratio', 'liq_long_usd', 'liq_short_usd',
] as const;

const num = (v: number | null | undefined): number | null => (v === undefined || v === null || !Number.isFinite(v) ? null : v);

export function signalsOf(s: Snapshot): Record<(typeof SIGNAL_COLUMNS)[number], number | string | null> {
  const m = s.micro;
  const f = s.flow;
  const d = f?.derivatives ?? null;
  return {
    price: s.price,
    regime: s.regime?.label ?? null,
    regime_confidence: num(s.regime?.confidence),
    mtf_alignment: num(s.mtfAlignment),
    momentum_1h: num(s.tf['1h']?.momentumScore),
    structure_4h: s.tf['4h']?.structure ?? null,
    rsi: num(s.ind.rsi),
    macd_hist: num(s.ind.macdHist),
    adx: num(s.ind.adx),
    bb_width: num(s.ind.bbWidth),
    zscore: num(s.ind.zscore),
    vwap_dev: s.ind.vwapSession ? (s.price - s.ind.vwapSession) / s.ind.vwapSession : null,
    gk_vol: num(s.ind.gkVol),
    cvd: num(m?.cvd),
    vpin: num(m?.vpin),
    ofi: num(m?.ofi),
    obi: num(m?.obi),
    whale_flow: m && m.whaleBuyNotional !== null && m.whaleSellNotional !== null ? m.whaleBuyNotional - m.whaleSellNotional : null,
    as_fair_value_dev: m?.fairValue != null ? (m.fairValue - s.price) / s.price : null,
    funding_rate: num(f?.fundingRate),
    crowd_score: num(f?.crowdScore),
    trap_index: num(f?.trapIndex),
    sentiment: num(f?.sentiment),
    etf_flow_usd: num(f?.etfFlowUsd),
    risk_score: num(f?.riskScore),
    ml_p_up: s.ml.available ? s.ml.pUp : null,
    hour_utc: s.hourUtc,
    session: s.session,
    open_interest: num(d?.openInterest),
    oi_change_pct: num(d?.oiChangePct),
    long_short_ratio: num(d?.longShortRatio),
    top_trader_position_ratio: num(d?.topTraderPositionRatio),
    taker_buy_sell_ratio: num(d?.takerBuySellRatio),
    liq_long_usd: num(d?.forcedLiquidations?.longUsd),
    liq_short_usd: num(d?.forcedLiquidations?.shortUsd),
  };
}
