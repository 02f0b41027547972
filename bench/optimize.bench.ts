// Optimize throughput: trials per second of `bosun optimize`'s local pool with 2 worker threads, next to the same-run
// baseline of 1 thread, on the same trials (random sampler, no pruning, one batch, so both run identical work). Goal:
// ≥ 1.7× with 2 workers. The machine is shared: the load average before and after each measurement is printed with it,
// and the cores the run actually got (process CPU time of all its threads / wall time).
import { loadavg } from 'node:os';
import type { CandleData } from '../src/backtest/data.js';
import { loadConfig } from '../src/config/load.js';
import { fromRoot } from '../src/paths.js';
import { PoolExecutor } from '../src/optimize/executors.js';
import { runOptimize, type OptimizeInput } from '../src/optimize/run.js';
import { loadBtcCandles, synthCandles } from '../test/helpers/market-data.js';
import type { BenchLine } from './report.js';

const TRIALS = 12;
const DAYS = 4;

export default async (): Promise<BenchLine[]> => {
  const shared = loadBtcCandles();
  const candles = (shared ?? synthCandles(DAYS * 1440)).slice(0, DAYS * 1440);
  const what = shared ? `shared BTC data, first ${DAYS} days` : `generated ${DAYS} days (../shared/data absent)`;
  const file = fromRoot('config', 'paper.json');
  const { config: base } = loadConfig(file);
  const config = {
    ...base, decision: { ...base.decision, strategy: 'ema_rsi' },
    backtest: { ...base.backtest, walkforward: { ...base.backtest.walkforward, trainDays: 1, testDays: 1, stepDays: 1, minWindows: 2 } },
  };
  const oc = config.backtest.optimize;
  const data: CandleData = { candles, warmup: [], source: what, sha256: 'bench' };
  const input: OptimizeInput = {
    config, configFile: file, data, symbol: candles[0]!.symbol, overrides: {}, space: oc.spaces.ema_rsi!, objective: 'sharpe',
    spec: { trials: TRIALS, seed: 1, batchSize: TRIALS, sampler: { kind: 'random', startupTrials: 0, candidates: 1, gammaMax: 1, priorWeight: 1 }, prune: { enabled: false, startupTrials: 1, percentile: 50 } },
  };
  const measure = async (workers: number) => {
    const before = loadavg()[0]!;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await runOptimize(input, { pool: null, executor: (c) => new PoolExecutor(c, workers) });
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    // CPU of all our threads / wall: how many cores the shared machine actually gave the run.
    const cores = (c.user + c.system) / 1e6 / s;
    return { perSec: TRIALS / s, s, load: `${before.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`, cores: cores.toFixed(2), best: r.best?.number };
  };
  const one = await measure(1);
  const two = await measure(2);
  const ratio = two.perSec / one.perSec;
  return [{
    name: `optimize, 2 workers, ${TRIALS} trials on ${what} (${two.s.toFixed(1)} s, ${two.cores} cores used, load avg ${two.load}; 1 worker: ${one.s.toFixed(1)} s, ${one.cores} cores used, load ${one.load}; same best #${two.best === one.best ? two.best : `NO: ${one.best} vs ${two.best}`})`,
    value: two.perSec, unit: 'trials/s', baseline: { name: '1 worker, same trials', value: one.perSec },
    goal: '≥ 1.7× 1 worker', met: ratio >= 1.7,
  }];
};
