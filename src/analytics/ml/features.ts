// The feature catalog a model can ask for by name (ONNX metadata `bosun.features`, comma-separated): each a
// pure function of one snapshot, scaled to O(1). Guarantees no look-ahead (a snapshot only holds closed
// data) and that a feature without data is reported missing, never replaced by a default.
import type { Snapshot, Timeframe } from '../../protocol/index.js';

type F = (s: Snapshot) => number | null | undefined;

const div = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a == null || b == null || b === 0 ? null : a / b;
const structureSign = (tf: Timeframe): F => (s) => {
  const st = s.tf[tf]?.structure;
  return st === undefined ? null : st === 'HH_HL' ? 1 : st === 'LH_LL' ? -1 : 0;
};
const mom = (tf: Timeframe): F => (s) => s.tf[tf]?.momentumScore;
const regimeIs = (label: string): F => (s) => (s.regime ? (s.regime.label === label ? 1 : 0) : null);

export const FEATURES: Record<string, F> = {
  rsi: (s) => div(s.ind.rsi, 100),
  ema_spread_atr: (s) => (s.ind.emaFast == null || s.ind.emaSlow == null ? null : div(s.ind.emaFast - s.ind.emaSlow, s.ind.atr)),
  macd_hist_atr: (s) => div(s.ind.macdHist, s.ind.atr),
  bb_width: (s) => s.ind.bbWidth,
  bb_pos: (s) => (s.ind.bbMiddle == null || s.ind.bbUpper == null ? null : div(s.price - s.ind.bbMiddle, s.ind.bbUpper - s.ind.bbMiddle)),
  zscore: (s) => s.ind.zscore,
  adx: (s) => div(s.ind.adx, 100),
  di_diff: (s) => (s.ind.plusDi == null || s.ind.minusDi == null ? null : (s.ind.plusDi - s.ind.minusDi) / 100),
  atr_pct: (s) => div(s.ind.atr, s.price),
  gk_vol: (s) => s.ind.gkVol,
  vwap_dev_atr: (s) => (s.ind.vwapSession == null ? null : div(s.price - s.ind.vwapSession, s.ind.atr)),
  mtf_alignment: (s) => s.mtfAlignment,
  mom_1m: mom('1m'), mom_5m: mom('5m'), mom_15m: mom('15m'), mom_1h: mom('1h'), mom_4h: mom('4h'),
  struct_15m: structureSign('15m'), struct_1h: structureSign('1h'), struct_4h: structureSign('4h'),
  atr_ratio_1h: (s) => s.tf['1h']?.atrRatio,
  regime_up: regimeIs('TRENDING_UP'), regime_down: regimeIs('TRENDING_DOWN'), regime_volatile: regimeIs('VOLATILE'),
  hour_sin: (s) => Math.sin((2 * Math.PI * s.hourUtc) / 24),
  hour_cos: (s) => Math.cos((2 * Math.PI * s.hourUtc) / 24),
  vpin: (s) => s.micro?.vpin,
  ofi: (s) => s.micro?.ofi,
  obi: (s) => s.micro?.obi,
  funding: (s) => s.flow?.fundingRate,
  risk_score: (s) => s.flow?.riskScore,
};

export const unknownFeatures = (names: string[]): string[] => names.filter((n) => !(n in FEATURES));

/** The feature vector in the model's order, or the name of the first feature without data. */
export function featureVector(s: Snapshot, names: string[]): { values: number[] } | { missing: string } {
  const values: number[] = [];
  for (const n of names) {
    const v = FEATURES[n]?.(s);
    if (v === null || v === undefined || !Number.isFinite(v)) return { missing: n };
    values.push(v);
  }
  return { values };
}
