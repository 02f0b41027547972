// Schema of the analytics section: indicator periods, timeframe state, regime, microstructure, flow,
// manual inputs, the ML model and the worker pool. Guarantees every period is a positive integer and
// every threshold is in range before the analytics actor reads it.
import { z } from 'zod';

const int = (min: number) => z.number().int().min(min);
const pos = z.number().positive();
const fraction = z.number().min(0).max(1);
const tfEnum = z.enum(['1m', '5m', '15m', '1h', '4h']);

export const analyticsSchema = z.strictObject({
  emaFast: int(2),
  emaSlow: int(3),
  rsiPeriod: int(2),
  atrPeriod: int(2),
  /** 1m candles read from MariaDB at start to warm the engine up (also the history the synthetic feed creates). */
  warmupCandles: z.number().int().min(10).max(100_000),
  /** A full snapshot (persisted, voted on) every this many clock-seconds; fast updates on every candle. */
  fullSnapshotSec: z.number().int().min(60).max(86_400),
  /** A candle received more than this many clock-seconds after its close (backfill) updates the engine but
   *  yields no snapshot; null: every candle yields one. */
  catchUpSec: z.number().int().min(1).nullable(),
  indicators: z.strictObject({
    smaPeriod: int(1),
    bbPeriod: int(2),
    bbMult: pos,
    macdFast: int(1),
    macdSlow: int(2),
    macdSignal: int(1),
    /** Bars in the rolling VWAP (the session VWAP anchors on the UTC day). */
    vwapPeriod: int(1),
    /** VWAP bands in volume-weighted standard deviations. */
    vwapMult: pos,
    adxPeriod: int(2),
    donchianPeriod: int(1),
    keltnerEmaPeriod: int(1),
    keltnerAtrPeriod: int(1),
    keltnerMult: pos,
    zscorePeriod: int(2),
    gkPeriod: int(1),
  }),
  timeframes: z.strictObject({
    /** Bars each side of a swing high/low. */
    swingBars: int(1),
    momentumLookback: int(1),
    /** |momentum score| of an impulse, and the fraction of its peak below which it is fading. */
    impulse: fraction,
    fadeRatio: fraction,
    /** ATR regime: ATR over its EMA of this many bars, once that has this many values. */
    atrRegimePeriod: int(2),
    atrRegimeMinBars: int(1),
    atrLowRatio: pos,
    atrHighRatio: pos,
    /** Weight of each timeframe in the MTF alignment. */
    alignmentWeights: z.strictObject({ '1m': fraction, '5m': fraction, '15m': fraction, '1h': fraction, '4h': fraction }),
  }),
  /** Volume at price over the last windowMinutes (trades where there were any, else 1m candles), in bins of binPct: the POC. */
  volumeProfile: z.strictObject({ windowMinutes: int(1), binPct: z.number().positive().max(0.1) }),
  regime: z.strictObject({
    timeframe: tfEnum,
    adxEnter: pos,
    adxExit: pos,
    volEnter: pos,
    volExit: pos,
    /** |EMA fast − EMA slow| in ATRs a trend needs. */
    minSpread: z.number().min(0),
    /** Bars a new label must persist before it replaces the current one. */
    confirmBars: int(1),
  }),
  micro: z.strictObject({
    windowSec: int(10),
    /** Trades at or above this notional (quote currency) are whale trades (seed 001: $500K). */
    whaleNotionalUsd: pos,
    bookLevels: int(1),
    /** VPIN: bucket size = this many minutes of average 1m volume; buckets averaged; bar length; σ window. */
    vpinBucketMinutes: pos,
    vpinBuckets: int(1),
    vpinBarMs: int(100),
    vpinSigmaBars: int(2),
    /** Avellaneda-Stoikov risk aversion γ and horizon. */
    asGamma: pos,
    asHorizonSec: pos,
  }),
  flow: z.strictObject({
    /** |funding rate| per interval that is extreme (0.0005 = 0.05 %). */
    fundingExtreme: pos,
    fundingMaxAgeSec: int(1),
    crowdThreshold: fraction,
    liqNearPct: fraction,
    liqLargeUsd: pos,
    etfLargeUsd: pos,
    vpinHigh: fraction,
    riskWeights: z.strictObject({
      volatility: z.number().positive(),
      vpin: fraction, funding: fraction, trap: fraction, sentiment: fraction, etf: fraction, liquidations: fraction,
    }),
  }),
  /** The exchange's derivatives data in the flow view (open interest, long/short ratios, taker volume, forced liquidations, funding history). */
  derivatives: z.strictObject({
    /** A metrics row or open-interest sample older than this no longer counts (the statistics come every 5 minutes). */
    maxAgeSec: int(60),
    /** Open-interest change is measured over this window (a multiple of the 5-minute period). */
    oiWindowSec: int(300),
    /** |open-interest change| (percent over the window) that is large: a warning, and full weight in the trap index. */
    oiLargePct: pos,
    /** A long/short ratio of this (or its inverse) is a fully one-sided crowd. */
    longShortFull: z.number().gt(1),
    /** Forced liquidations are summed over this window. */
    liqWindowSec: int(60),
    /** Forced liquidation notional (USD) over the window that is large: a warning, and a saturated risk component. */
    liqLargeUsd: pos,
    /** A settled funding rate counts this long after its funding time (when no live one is fresher). */
    fundingSettledMaxAgeSec: int(60),
  }),
  manual: z.strictObject({
    /** Clock-seconds between reads of the manual_inputs table. */
    pollSec: int(1),
    /** A manual input stops counting this long after the time its data is from. */
    maxAgeSec: z.strictObject({ sentiment: int(60), etfFlow: int(60), liquidations: int(60) }),
  }),
  ml: z.strictObject({
    /** ONNX model file (relative to the project root); null = no model, the ML signal reports itself unavailable. */
    model: z.string().min(1).nullable(),
    /** An inference that takes longer is reported unavailable for that snapshot. */
    timeoutMs: int(10),
  }),
  /** piscina pool for warm-up and inference (one intra-op thread per worker). */
  pool: z.strictObject({ threads: z.number().int().min(1).max(16) }),
}).superRefine((a, ctx) => {
  if (a.emaFast >= a.emaSlow) ctx.addIssue({ code: 'custom', path: ['emaFast'], message: 'emaFast must be shorter than emaSlow' });
  if (a.indicators.macdFast >= a.indicators.macdSlow) ctx.addIssue({ code: 'custom', path: ['indicators', 'macdFast'], message: 'macdFast must be shorter than macdSlow' });
  if (a.regime.adxExit > a.regime.adxEnter) ctx.addIssue({ code: 'custom', path: ['regime', 'adxExit'], message: 'adxExit must not exceed adxEnter (hysteresis)' });
  if (a.regime.volExit > a.regime.volEnter) ctx.addIssue({ code: 'custom', path: ['regime', 'volExit'], message: 'volExit must not exceed volEnter (hysteresis)' });
  if (a.timeframes.atrLowRatio >= a.timeframes.atrHighRatio) ctx.addIssue({ code: 'custom', path: ['timeframes', 'atrLowRatio'], message: 'atrLowRatio must be below atrHighRatio' });
});

export type AnalyticsConfig = z.infer<typeof analyticsSchema>;
