// The signal registry: every signal a preset may name, by name; the config schema lists the same names.
// Guarantees (at compile time) that each configured signal has exactly one implementation.
import type { SignalName, SignalParams } from '../../config/sections/decision.js';
import type { Snapshot } from '../../protocol/index.js';
import { aiConsensus } from './ai.js';
import { fvg, sfp } from './candles.js';
import { derivatives, asFairValue, cvd, etfFlow, fundingRate, obi, ofiContrarian, sentiment, vpin, whaleFlow } from './flow.js';
import { hourSeasonality, ml, momentum, mtfAlignment, regime, structure } from './context.js';
import { atrMomentum, bbSqueeze, breakoutRetest, emaCross, emaPinch, rsiMr, volumeProfile, vwap, vwapBandsMr, vwapPullback } from './technical.js';
import type { SignalRegistry, SignalResult } from './types.js';

export const SIGNALS: SignalRegistry = {
  whale_flow: whaleFlow, vpin, ml, mtf_alignment: mtfAlignment, regime, ofi_contrarian: ofiContrarian, vwap,
  funding_rate: fundingRate, etf_flow: etfFlow, as_fair_value: asFairValue, hour_seasonality: hourSeasonality, sentiment,
  rsi_mr: rsiMr, atr_momentum: atrMomentum, ema_pinch: emaPinch, bb_squeeze: bbSqueeze, vwap_pullback: vwapPullback,
  vwap_bands_mr: vwapBandsMr, breakout_retest: breakoutRetest, volume_profile: volumeProfile, sfp, fvg, cvd, obi,
  structure, momentum, derivatives, ema_cross: emaCross, ai_consensus: aiConsensus,
};

export function runSignal(name: SignalName, s: Snapshot, prev: Snapshot | null, params: SignalParams): SignalResult {
  const fn = SIGNALS[name] as (s: Snapshot, prev: Snapshot | null, p: unknown) => SignalResult;
  return fn(s, prev, params[name]);
}
