// Walk-forward validation: train on one window, test on the next, roll; out-of-sample accuracy and log-loss per
// window and pooled, optionally the strategy's metrics per test window with that window's model; the ML signal's
// weight decision (seed 001: demoted when OOS accuracy ≤ 50 % + margin). Guarantees no training row's label reaches
// into its test window (rows are purged at the cut), and the same inputs give the same report.
import type { Config } from '../config/schema.js';
import type { Candle } from '../protocol/index.js';
import { buildDataset, shuffleLabels, subset, type Dataset } from '../train/dataset.js';
import { modelScores, pooled, scores, type Scores } from '../train/evaluate.js';
import { predict } from '../train/model.js';
import { trainModel } from '../train/train.js';
import { engineParams } from '../analytics/params.js';
import type { ConfigIdentity } from './config-hash.js';
import type { DerivativesHistory } from './derivatives-feed.js';
import { runBacktest } from './engine.js';
import type { Metrics } from './metrics.js';

const DAY = 86_400_000;

export interface WindowReport {
  window: number;
  trainFrom: number;
  trainTo: number;
  testFrom: number;
  testTo: number;
  trainRows: number;
  train: Scores;
  test: Scores;
  /** Log-loss on the test rows of a model without skill: the training rows' up share for every row. */
  baselineLogLoss: number;
  /** The strategy backtested on the test window with this window's model (when asked for). */
  strategy: Pick<Metrics, 'trades' | 'wins' | 'winRate' | 'grossProfit' | 'grossLoss' | 'profitFactor' | 'profitFactorInfinite' | 'netPnl' | 'maxDrawdown' | 'sharpe' | 'expectancy'> | null;
}

export interface WalkforwardReport {
  model: 'logistic' | 'gbdt';
  features: string[];
  horizonMin: number;
  shuffledLabels: number | null;
  windows: WindowReport[];
  /** All test windows together (balanced accuracy: the row-weighted mean of each window's). */
  oos: Scores;
  /** Row-weighted log-loss of the base-rate predictor on the same test rows. */
  baselineLogLoss: number;
  threshold: number;
  demoted: boolean;
  mlMultiplier: number;
  reason: string;
}

export interface WalkforwardOptions {
  config: Config;
  identity: ConfigIdentity;
  candles: Candle[];
  /** Seed: train on labels shuffled by this seed (a placebo that must be demoted). */
  shuffleSeed?: number | null;
  strategyMetrics?: boolean;
  onWindow?: (w: WindowReport) => void;
  /** Windows done and their number, before the first and after each (a CLI progress bar). */
  onProgress?: (done: number, total: number) => void;
  /** Stored derivatives data of the period, for the strategy runs. */
  derivatives?: DerivativesHistory | null;
}

export async function walkforward(o: WalkforwardOptions): Promise<WalkforwardReport> {
  const { config, candles } = o;
  const w = config.backtest.walkforward;
  const tc = config.backtest.train;
  const ds: Dataset = buildDataset(candles, engineParams(config.analytics), tc);
  if (!ds.ts.length) throw new RangeError('no training rows: the candles are too few to warm the features up');
  const start = ds.ts[0]!;
  const end = candles[candles.length - 1]!.openTime + 60_000;
  const span = (w.trainDays + w.testDays) * DAY;
  const windows: Array<{ trainFrom: number; trainTo: number; testTo: number }> = [];
  for (let from = start; from + span <= end; from += w.stepDays * DAY) windows.push({ trainFrom: from, trainTo: from + w.trainDays * DAY, testTo: from + span });
  if (windows.length < w.minWindows) {
    throw new RangeError(`walk-forward needs ${w.minWindows} windows of ${w.trainDays} + ${w.testDays} days stepping ${w.stepDays} days; the data from the first warm sample (${new Date(start).toISOString()}) to ${new Date(end).toISOString()} holds ${windows.length}`);
  }
  const reports: WindowReport[] = [];
  o.onProgress?.(0, windows.length);
  for (const [k, win] of windows.entries()) {
    // A training row counts only if its label was known before the test window starts.
    let train = subset(ds, (i) => ds.ts[i]! >= win.trainFrom && ds.labelTs[i]! <= win.trainTo);
    const test = subset(ds, (i) => ds.ts[i]! >= win.trainTo && ds.ts[i]! < win.testTo);
    if (o.shuffleSeed !== undefined && o.shuffleSeed !== null) train = shuffleLabels(train, o.shuffleSeed + k);
    if (!train.ts.length || !test.ts.length) throw new RangeError(`window ${k + 1} has ${train.ts.length} training and ${test.ts.length} test rows`);
    const model = trainModel(train, tc);
    const p = test.x.map((x) => predict(model, x));
    const prior = train.y.reduce((a, v) => a + v, 0) / train.y.length;
    let strategy: WindowReport['strategy'] = null;
    if (o.strategyMetrics) {
      const inTest = candles.filter((c) => c.openTime >= win.trainTo && c.openTime < win.testTo);
      const warmup = candles.filter((c) => c.openTime < win.trainTo && c.openTime >= win.trainTo - config.analytics.warmupCandles * 60_000);
      const run = await runBacktest({
        config, identity: o.identity, candles: inTest, warmup, model: { kind: 'typescript', model, name: `walkforward-${k + 1}` }, overrides: {},
        source: { name: `walk-forward window ${k + 1}`, sha256: '' }, derivatives: o.derivatives ?? null,
      });
      const m = run.result.metrics;
      strategy = {
        trades: m.trades, wins: m.wins, winRate: m.winRate, grossProfit: m.grossProfit, grossLoss: m.grossLoss, profitFactor: m.profitFactor,
        profitFactorInfinite: m.profitFactorInfinite, netPnl: m.netPnl, maxDrawdown: m.maxDrawdown, sharpe: m.sharpe, expectancy: m.expectancy,
      };
    }
    const rep: WindowReport = {
      window: k + 1, trainFrom: win.trainFrom, trainTo: win.trainTo, testFrom: win.trainTo, testTo: win.testTo, trainRows: train.ts.length,
      train: modelScores(model, train.x, train.y), test: scores(p, test.y), baselineLogLoss: scores(Array.from(test.y, () => prior), test.y).logLoss, strategy,
    };
    reports.push(rep);
    o.onProgress?.(k + 1, windows.length);
    o.onWindow?.(rep);
  }
  const oos = pooled(reports.map((r) => r.test));
  const baselineLogLoss = reports.reduce((a, r) => a + r.baselineLogLoss * r.test.n, 0) / oos.n;
  const threshold = 0.5 + w.accuracyMargin;
  // Balanced accuracy, not plain accuracy: in a window that trends, "always up" beats 50 % without any skill. And
  // probabilities that score worse than the base rate's are noise, however the calls happened to land.
  const accurate = oos.balancedAccuracy > threshold;
  const calibrated = oos.logLoss < baselineLogLoss;
  const demoted = !(accurate && calibrated);
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  const why = `OOS balanced accuracy ${pct(oos.balancedAccuracy)} (accuracy ${pct(oos.accuracy)}) ${accurate ? '>' : '≤'} ${pct(threshold)}, log-loss ${oos.logLoss.toFixed(4)} ${calibrated ? '<' : '≥'} base rate's ${baselineLogLoss.toFixed(4)}, over ${oos.n} rows in ${reports.length} windows`;
  return {
    model: tc.model, features: tc.features, horizonMin: tc.horizonMin, shuffledLabels: o.shuffleSeed ?? null,
    windows: reports, oos, baselineLogLoss, threshold, demoted,
    mlMultiplier: demoted ? w.demotedMultiplier : 1,
    reason: `walk-forward: ${why}: ML weight ×${demoted ? w.demotedMultiplier : 1}${demoted ? ' (demoted)' : ''}`,
  };
}
