// Engine parameters from the analytics config section (one place maps config names to engine names).
// Guarantees the live actor, tests, benches and backtests build identical engines from the same config.
import type { AnalyticsConfig } from '../config/sections/analytics.js';
import type { EngineParams } from './engine.js';

export function engineParams(a: AnalyticsConfig): EngineParams {
  const t = a.timeframes;
  return {
    indicators: { emaFast: a.emaFast, emaSlow: a.emaSlow, rsiPeriod: a.rsiPeriod, atrPeriod: a.atrPeriod, ...a.indicators },
    timeframe: {
      emaFast: a.emaFast, emaSlow: a.emaSlow, rsiPeriod: a.rsiPeriod, atrPeriod: a.atrPeriod, adxPeriod: a.indicators.adxPeriod,
      swingBars: t.swingBars,
      momentum: { lookback: t.momentumLookback, impulse: t.impulse, fadeRatio: t.fadeRatio },
      atrRegimePeriod: t.atrRegimePeriod, atrRegimeMinBars: t.atrRegimeMinBars, atrLowRatio: t.atrLowRatio, atrHighRatio: t.atrHighRatio,
    },
    alignmentWeights: t.alignmentWeights,
    volumeProfile: a.volumeProfile,
    regime: a.regime,
    micro: {
      windowSec: a.micro.windowSec, whaleNotional: a.micro.whaleNotionalUsd, bookLevels: a.micro.bookLevels,
      asGamma: a.micro.asGamma, asHorizonSec: a.micro.asHorizonSec, vpinBucketMinutes: a.micro.vpinBucketMinutes,
      vpin: { buckets: a.micro.vpinBuckets, barMs: a.micro.vpinBarMs, sigmaBars: a.micro.vpinSigmaBars },
    },
    flow: {
      ...a.flow,
      maxAge: { sentimentSec: a.manual.maxAgeSec.sentiment, etfFlowSec: a.manual.maxAgeSec.etfFlow, liquidationsSec: a.manual.maxAgeSec.liquidations },
      derivatives: a.derivatives,
    },
  };
}
