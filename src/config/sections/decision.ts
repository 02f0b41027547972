// Schema of the decision and risk sections: signal parameters, strategy presets, gates, sizing, breakers, learning.
// Guarantees a preset names only registered signals and every limit is in range before the decision actor reads it.
import { z } from 'zod';

const fraction = z.number().min(0).max(1);
const positive = z.number().positive();
const hour = z.number().int().min(0).max(23);
const tf = z.enum(['1m', '5m', '15m', '1h', '4h']);

/** Parameters of each signal; every signal is a pure function of the snapshot (src/decision/signals). */
export const signalParamsSchema = z.strictObject({
  whale_flow: z.strictObject({ minImbalance: fraction }),
  vpin: z.strictObject({ high: fraction }),
  ml: z.strictObject({ deadband: z.number().min(0).max(0.5) }),
  mtf_alignment: z.strictObject({ min: fraction }),
  regime: z.strictObject({}),
  ofi_contrarian: z.strictObject({ extreme: z.number().min(0).max(0.99) }),
  vwap: z.strictObject({ fullAtr: positive }),
  funding_rate: z.strictObject({ neutral: z.number().min(0), extreme: positive }),
  etf_flow: z.strictObject({ fullUsd: positive }),
  as_fair_value: z.strictObject({ fullAtr: positive }),
  /** Directional bias per UTC hour in [-1, 1] ("0".."23"); an hour not listed makes the source unavailable. */
  hour_seasonality: z.strictObject({ bias: z.record(z.string().regex(/^([0-9]|1[0-9]|2[0-3])$/, 'an hour 0..23'), z.number().min(-1).max(1)) }),
  sentiment: z.strictObject({}),
  rsi_mr: z.strictObject({ oversold: z.number().min(0).max(100), overbought: z.number().min(0).max(100), fullAt: positive }),
  atr_momentum: z.strictObject({ minMove: positive, fullMove: positive }),
  ema_pinch: z.strictObject({ maxSpreadAtr: positive, breakAtr: positive }),
  bb_squeeze: z.strictObject({ fullAtr: positive }),
  vwap_pullback: z.strictObject({ nearAtr: positive }),
  vwap_bands_mr: z.strictObject({ fullAtr: positive }),
  breakout_retest: z.strictObject({ fullAtr: positive }),
  volume_profile: z.strictObject({ minAtr: positive, fullAtr: positive }),
  /** Swing failure on `timeframe`'s last closed bar against its last confirmed swing (seed 004). */
  sfp: z.strictObject({ timeframe: tf }),
  /** Fair value gap of `timeframe`'s last three bars, at least minAtr of its ATR (full strength at fullAtr) (seed 004). */
  fvg: z.strictObject({ timeframe: tf, minAtr: positive, fullAtr: positive }),
  cvd: z.strictObject({ scale: positive }),
  obi: z.strictObject({ min: fraction }),
  structure: z.strictObject({ timeframes: z.array(tf).min(1) }),
  momentum: z.strictObject({ timeframes: z.array(tf).min(1) }),
  /**
   * Seed 003's derivatives context: a trapped crowd (trapMin) is faded; else open interest rising at least oiMinPct
   * over the flow's window while the price moved at least priceMinPct follows the move (full strength at oiFullPct).
   */
  derivatives: z.strictObject({ trapMin: fraction, oiMinPct: positive, oiFullPct: positive, priceMinPct: positive }),
  ema_cross: z.strictObject({}),
  /** The LLM swarm's consensus p_up (src/ai): unavailable without one, or when older than maxAgeSec at the decision. */
  ai_consensus: z.strictObject({ deadband: z.number().min(0).max(0.5), maxAgeSec: z.number().int().min(1) }),
});

export type SignalName = keyof z.infer<typeof signalParamsSchema>;
export const SIGNAL_NAMES = Object.keys(signalParamsSchema.shape) as SignalName[];
const signalName = z.enum(SIGNAL_NAMES as [SignalName, ...SignalName[]]);

const thresholdsSchema = z
  .strictObject({ strongBuy: positive, buy: positive, sell: z.number().negative(), strongSell: z.number().negative() })
  .refine((t) => t.strongBuy >= t.buy && t.strongSell <= t.sell, 'strongBuy must be ≥ buy and strongSell ≤ sell');

/** Each gate is off when null. */
const gatesSchema = z.strictObject({
  /** Blocked and boosted UTC hours (decision.hours). */
  hours: z.boolean(),
  /** A RANGING regime vetoes entries. */
  rangingVeto: z.boolean(),
  /** At least k sources must vote in the verdict's direction. */
  minAgreement: z.number().int().min(1).nullable(),
  /** The ML signal's probability for the verdict's side must reach this (the seeds' AI agreement < 0.40 veto). */
  mlAgreementMin: fraction.nullable(),
  /** A verdict opposite to the previous one within this many seconds becomes NEUTRAL. */
  debounceSec: z.number().int().min(1).nullable(),
  /** No entry on the side that pays funding beyond this rate. */
  fundingMaxAbs: z.number().positive().nullable(),
  /** Allowed entry grades (A best … D worst), from how far price is stretched from the fast EMA in ATRs. */
  entryGrades: z.array(z.enum(['A', 'B', 'C', 'D'])).min(1).nullable(),
  /** In a VOLATILE regime only signals at least this strong pass (seed 004). */
  volatileMinStrength: fraction.nullable(),
  /** The flow's global risk score above this keeps the engine flat (seed 003). */
  maxRiskScore: fraction.nullable(),
});

const riskShape = {
  riskPerTrade: fraction,
  leverage: z.number().min(1).max(125),
  maxNotionalPctEquity: z.number().positive().max(10),
  stopAtrMult: z.number().positive(),
  takeProfitAtrMult: z.number().positive(),
  maxSlippage: fraction,
  /** `fixed_fractional`: risk × equity at the stop (× 0.5–1.0 by strength, seed 004); `kelly`: notional = equity × bounded Kelly f (seed 000/001). */
  sizing: z.enum(['fixed_fractional', 'kelly']),
  strengthSizing: z.boolean(),
  kelly: z.strictObject({ min: fraction, max: fraction, priorWinRate: fraction, priorTrades: z.number().int().min(0) })
    .refine((k) => k.min <= k.max, 'kelly.min must be ≤ kelly.max'),
  /** Stop and targets as ATR multiples or as fractions of the entry price. */
  stops: z.enum(['atr', 'percent']),
  /** Whose ATR the ATR stops use: `decision` (the preset's decision timeframe; 1m for a preset without one), or a timeframe. */
  atrTimeframe: z.union([tf, z.literal('decision')]),
  stopPct: z.number().positive().max(0.5),
  takeProfitPct: z.number().positive().max(5),
  /** Take-profit legs: `at` × the target distance, `fraction` of the size; fractions sum to 1. */
  takeProfits: z.array(z.strictObject({ at: z.number().positive().max(10), fraction: z.number().positive().max(1) })).min(1).max(3)
    .refine((t) => Math.abs(t.reduce((a, x) => a + x.fraction, 0) - 1) < 1e-9, 'take-profit fractions must sum to 1'),
  minNotional: z.number().min(0),
  /**
   * Cost-aware vetoes (null: off). The round trip is fees on both sides (execution.takerFee) plus `slippageEstimate` on
   * both sides, as a fraction of the entry. A stop closer than minStopCostMultiple × the round trip is vetoed
   * (`stop_within_costs`); a first target whose reward after the round trip is under minRewardRisk × (stop + round trip)
   * is vetoed (`reward_risk_low`). Fixed-fractional sizing counts the round trip in the risk at the stop.
   */
  slippageEstimate: fraction,
  minStopCostMultiple: z.number().positive().nullable(),
  minRewardRisk: z.number().positive().nullable(),
  /** Breakers: day / ISO week loss from the period's opening equity; emergency from the account reference (halt and flatten). */
  dailyDrawdown: z.number().positive().max(1),
  weeklyDrawdown: z.number().positive().max(1),
  emergencyDrawdown: z.number().positive().max(1),
  maxTradesPerDay: z.number().int().min(1),
  /** Post-loss cooldown in minutes by consecutive losses (the last entry repeats). */
  lossCooldownMin: z.array(z.number().min(0)).min(1),
  maxPositions: z.number().int().min(1),
  maxPerSector: z.number().int().min(1),
  /** Symbol → sector; a symbol not listed is its own sector. */
  sectors: z.record(z.string(), z.string()),
  /** No altcoin longs while the BTC snapshot's regime is TRENDING_DOWN (seed 000). */
  btcRegimeGate: z.strictObject({ enabled: z.boolean(), btcSymbol: z.string() }),
};

export const riskSchema = z.strictObject(riskShape);

/** The keys a preset may set for itself (its seed's numbers); validated as the `risk` section validates them. */
const riskOverridesSchema = z.strictObject({
  riskPerTrade: riskShape.riskPerTrade, maxNotionalPctEquity: riskShape.maxNotionalPctEquity, sizing: riskShape.sizing,
  strengthSizing: riskShape.strengthSizing, kelly: riskShape.kelly, stops: riskShape.stops, atrTimeframe: riskShape.atrTimeframe,
  stopAtrMult: riskShape.stopAtrMult, takeProfitAtrMult: riskShape.takeProfitAtrMult, stopPct: riskShape.stopPct,
  takeProfitPct: riskShape.takeProfitPct, takeProfits: riskShape.takeProfits, minStopCostMultiple: riskShape.minStopCostMultiple,
  minRewardRisk: riskShape.minRewardRisk,
}).partial();
export type RiskOverrides = z.infer<typeof riskOverridesSchema>;

const weights = z.partialRecord(signalName, z.number().min(0).max(10));

/**
 * What every preset may add to its kind's fields: the timeframe it decides on (on that timeframe's close; absent: every
 * full snapshot), its seed's risk numbers over the `risk` section, and where each number comes from.
 */
const presetCommon = {
  timeframe: tf.optional(),
  /** The preset's own risk numbers (its seed's stop, targets, cap, sizing), each replacing the `risk` section's value. */
  risk: riskOverridesSchema.optional(),
  /** Config path inside the preset (e.g. `risk.stopPct`) → the seed and section the number comes from. */
  cite: z.record(z.string(), z.string().min(1)).optional(),
};

const weightedPreset = z.strictObject({
  kind: z.literal('weighted'),
  ...presetCommon,
  description: z.string(),
  weights,
  thresholds: thresholdsSchema,
  gates: gatesSchema,
});

const imbaPreset = z.strictObject({
  kind: z.literal('imba'),
  ...presetCommon,
  description: z.string(),
  weights,
  /** Weight multiplier for the regime's favoured signals. */
  regimeMultiplier: positive,
  trendSignals: z.array(signalName),
  meanReversionSignals: z.array(signalName),
  volatileSignals: z.array(signalName),
  /** Fear & greed on the sentiment scale −2..2: at or below `extremeFear` buys ×buyBoost and sells ×sellCut, mirrored for greed. */
  sentiment: z.strictObject({ extremeFear: z.number().min(-2).max(2), extremeGreed: z.number().min(-2).max(2), boost: positive, cut: positive }),
  thresholds: thresholdsSchema,
  gates: gatesSchema,
});

const rulesPreset = z.strictObject({
  kind: z.literal('rules'),
  ...presetCommon,
  description: z.string(),
  /** Both must point the same way; their mean strength is the score. */
  required: z.array(signalName).min(1),
  /** Any of these pointing the other way means conflict → flat; agreeing ones add `confirmBonus` each. */
  confirmers: z.array(signalName),
  confirmBonus: fraction,
  thresholds: thresholdsSchema,
  gates: gatesSchema,
});

const emaRsiPreset = z.strictObject({
  kind: z.literal('ema_rsi'),
  ...presetCommon,
  description: z.string(),
  rsiLongMax: z.number().min(0).max(100),
  rsiShortMin: z.number().min(0).max(100),
  gates: gatesSchema,
});

export const presetSchema = z.discriminatedUnion('kind', [weightedPreset, imbaPreset, rulesPreset, emaRsiPreset]);
export type Preset = z.infer<typeof presetSchema>;
export type Gates = z.infer<typeof gatesSchema>;
export type Thresholds = z.infer<typeof thresholdsSchema>;

export const learningSchema = z.strictObject({
  /** Opt-in: when false nothing is attributed and no insight or weight change is applied. */
  enabled: z.boolean(),
  /** Trades a pattern needs before its action is ACTIVE (before that it is PENDING: visible, not applied). */
  minTrades: z.number().int().min(1),
  /** z of the Wilson score interval (1.96 = 95 %). */
  z: positive,
  skipBelow: fraction,
  reduceBelow: fraction,
  reduceMult: z.number().min(0).max(1),
  /** [ci_lo above, size multiplier], tested from the highest. */
  boosts: z.array(z.tuple([fraction, z.number().min(1).max(5)])),
  /** Signal evolution: every N closed trades each source's multiplier ×boost (it was right) or ×decay (wrong). */
  evolveEvery: z.number().int().min(1),
  boost: z.number().min(1).max(2),
  decay: z.number().min(0.5).max(1),
  minMult: z.number().min(0).max(1),
  maxMult: z.number().min(1).max(5),
});

export const decisionSchema = z
  .strictObject({
    /** Name of the preset in `presets` the engine runs. */
    strategy: z.string().min(1),
    /** Minimum clock-seconds between two trade intents. */
    cooldownSec: z.number().int().min(0),
    /** A trade intent expires this many clock-seconds after it was made. */
    intentTtlSec: z.number().int().min(1),
    /** Seed 001: blocked hours produce no entries; boosted hours lower the thresholds. */
    hours: z.strictObject({
      blocked: z.array(hour),
      boosted: z.array(hour),
      boostThresholdMult: z.number().positive().max(1),
      boostStrongMult: z.number().positive().max(1),
    }),
    signals: signalParamsSchema,
    presets: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lowercase preset name'), presetSchema),
    learning: learningSchema,
  })
  .superRefine((d, ctx) => {
    if (!d.presets[d.strategy]) {
      ctx.addIssue({ code: 'custom', path: ['strategy'], message: `no preset named "${d.strategy}"; use one of ${Object.keys(d.presets).join(', ')}` });
    }
  });


export type DecisionConfig = z.infer<typeof decisionSchema>;
export type RiskConfig = z.infer<typeof riskSchema>;
export type SignalParams = z.infer<typeof signalParamsSchema>;
export type LearningConfig = z.infer<typeof learningSchema>;
