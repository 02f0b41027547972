// Schema of the backtest section: the fill model's slippage, the promotion gate (seed 002), the mainnet track record,
// walk-forward windows and the ML demotion rule (seed 001), model training. Guarantees features name known ones.
import { z } from 'zod';
import { FEATURES } from '../../analytics/ml/features.js';

const fraction = z.number().min(0).max(1);
const days = z.number().positive().max(3650);
const featureName = z.string().refine((n) => n in FEATURES, { message: `not a known feature (src/analytics/ml/features.ts: ${Object.keys(FEATURES).join(', ')})` });

export const backtestSchema = z.strictObject({
  /** Market and stop fills in backtests are this many basis points worse than the simulated venue's price. */
  slippageBps: z.number().min(0).max(500),
  /** Promotion gate on the latest backtest of the config: PF > minProfitFactor, WR > minWinRate, max drawdown ≤ maxDrawdown. */
  gate: z.strictObject({
    minProfitFactor: z.number().min(0),
    minWinRate: fraction,
    maxDrawdown: fraction,
    minTrades: z.number().int().min(1),
    /** A backtest or walk-forward older than this (wall days) no longer counts for a promotion. */
    maxAgeDays: days,
  }),
  /** Mainnet also needs this long a paper/testnet run of the same strategy with this many closed trades recorded. */
  trackRecord: z.strictObject({
    minDays: days,
    minTrades: z.number().int().min(0),
    /** The track record's own trades must pass the profit factor and win rate of the gate too. */
    mustPassGate: z.boolean(),
  }),
  walkforward: z.strictObject({
    trainDays: days,
    testDays: days,
    /** Windows advance by this much (testDays: adjacent test windows). */
    stepDays: days,
    minWindows: z.number().int().min(1),
    /** The ML signal is demoted when out-of-sample balanced accuracy ≤ 0.5 + margin (or its log-loss is no better than the base rate's). */
    accuracyMargin: z.number().min(0).max(0.5),
    /** Weight multiplier of a demoted ML signal (seed 001: 0.10 → 0.03). */
    demotedMultiplier: fraction,
    /** Also backtest each test window with the window's model (strategy metrics per window). */
    strategyMetrics: z.boolean(),
  }),
  train: z.strictObject({
    model: z.enum(['logistic', 'gbdt']),
    features: z.array(featureName).min(1),
    /** Label: the close this many minutes later is above the sample's close. */
    horizonMin: z.number().int().min(1),
    sampleEveryMin: z.number().int().min(1),
    logistic: z.strictObject({ l2: z.number().min(0), iterations: z.number().int().min(1).max(1000) }),
    gbdt: z.strictObject({
      trees: z.number().int().min(1).max(5000),
      depth: z.number().int().min(1).max(12),
      learningRate: z.number().positive().max(1),
      minLeaf: z.number().int().min(1),
      bins: z.number().int().min(2).max(256),
      l2: z.number().min(0),
    }),
  }),
});

export type BacktestConfig = z.infer<typeof backtestSchema>;
