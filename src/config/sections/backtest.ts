// Schema of the backtest section: the fill model's slippage, the promotion gate (seed 002), the mainnet track record,
// walk-forward windows and the ML demotion rule (seed 001), model training. Guarantees features name known ones.
import { z } from 'zod';
import { FEATURES } from '../../analytics/ml/features.js';
import { OBJECTIVES, spaceSchema } from '../../optimize/space-schema.js';

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
    /** A config written by `bosun optimize` is refused when its run's Probability of Backtest Overfitting is above this (null: not checked). */
    maxPbo: fraction.nullable(),
    /** … or when the Deflated Sharpe Ratio of its best trial is below this (a probability; null: not checked). */
    minDeflatedSharpe: fraction.nullable(),
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
  /** `bosun optimize`: the parameter search (src/optimize). */
  optimize: z.strictObject({
    objective: z.enum(OBJECTIVES),
    trials: z.number().int().min(1).max(100_000),
    sampler: z.enum(['tpe', 'random']),
    /** Random trials before TPE takes over. */
    startupTrials: z.number().int().min(0),
    /** TPE: candidates drawn per dimension; the good group is the best ⌈0.1 n⌉ trials, at most gammaMax; the prior's weight. */
    candidates: z.number().int().min(1).max(1000),
    gammaMax: z.number().int().min(1),
    priorWeight: z.number().positive(),
    /** Trials sampled together from the same history: fixed whatever the worker count, so results do not depend on it. */
    batchSize: z.number().int().min(1).max(1000),
    /** Local worker threads; null: one per core. */
    workers: z.number().int().min(1).max(256).nullable(),
    /** Prune a trial whose objective on the first walk-forward training window is below this percentile of earlier batches'. */
    prune: z.strictObject({ enabled: z.boolean(), startupTrials: z.number().int().min(1), percentile: z.number().min(0).max(100) }),
    /** CSCV partitions of the hourly returns for the PBO (even; C(S, S/2) splits). */
    pboPartitions: z.number().int().min(2).max(24).refine((s) => s % 2 === 0, 'must be even'),
    /** BullMQ queue of `--queue`: a job whose worker stops renewing its lock for lockMs is retried elsewhere. */
    queue: z.strictObject({ name: z.string().min(1), lockMs: z.number().int().min(1000), stalledIntervalMs: z.number().int().min(500), maxStalledCount: z.number().int().min(1), attempts: z.number().int().min(1) }),
    /** Default search space of each preset (config path → dimension); --space FILE replaces it. */
    spaces: z.record(z.string(), spaceSchema),
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
