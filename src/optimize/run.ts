// A whole `bosun optimize` run as a library: the context from the data and config, the run's key (what makes two runs
// the same), resume from the trials MariaDB already holds, the search on an executor, the analysis, the best config
// file and the report. Guarantees the report's content depends only on the inputs, never on the worker count, the
// executor or interruptions (run ids and file names aside).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Pool } from 'mariadb';
import { canonical, configIdentity } from '../backtest/config-hash.js';
import type { CandleData } from '../backtest/data.js';
import { UsageError } from '../backtest/cli-support.js';
import { deepMerge, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { analyse, type Analysis } from './analysis.js';
import { windowsOf, type RunContext, type TrialResult } from './evaluate.js';
import { search, type Executor, type SearchSpec } from './search.js';
import { applyParams, checkSpace, paramsAsConfig, type Space } from './space.js';
import type { Objective } from './space-schema.js';
import { finishRun, findUnfinished, insertRun, insertTrial, loadTrials } from './store.js';

export interface OptimizeInput {
  /** The base config (decision.strategy already the preset searched). */
  config: Config;
  /** The file it was loaded from (the best config extends it). */
  configFile: string;
  data: CandleData;
  symbol: string;
  overrides: Record<string, number>;
  space: Space;
  objective: Objective;
  spec: SearchSpec;
}

export interface OptimizeReport extends Analysis {
  kind: 'bosun.optimize';
  version: 1;
  run: { id: number | null; key: string; resumedTrials: number };
  strategy: string;
  symbol: string;
  data: { source: string; sha256: string; from: number; to: number; candles: number };
  objective: Objective;
  sampler: SearchSpec['sampler'];
  seed: number;
  batchSize: number;
  space: Space;
  windows: RunContext['windows'];
  bestConfig: { file: string | null; hash: string } | null;
  trialList: Array<{ number: number; state: string; value: number | null; firstWindow: number | null; params: TrialResult['params']; duplicateOf: number | null; error: string | null }>;
}

export function contextOf(i: OptimizeInput): RunContext {
  checkSpace(i.config, i.space);
  const candles = i.data.candles;
  const from = candles[0]!.openTime;
  const to = candles.at(-1)!.openTime + 60_000;
  const w = i.config.backtest.walkforward;
  const windows = windowsOf(from, to, w);
  if (windows.length < w.minWindows) {
    throw new UsageError(`optimize needs ${w.minWindows} walk-forward windows of ${w.trainDays} + ${w.testDays} days stepping ${w.stepDays} days; ${new Date(from).toISOString()} → ${new Date(to).toISOString()} holds ${windows.length}`);
  }
  return {
    config: i.config, candles, warmup: i.data.warmup, source: { name: i.data.source, sha256: i.data.sha256 }, derivatives: i.data.derivatives ?? null,
    overrides: i.overrides, space: i.space, objective: i.objective, windows, from, to,
  };
}

/** sha256 of everything that determines the trials: same key, same run (resumable). */
export function runKeyOf(ctx: RunContext, i: OptimizeInput): string {
  return createHash('sha256').update(canonical({
    v: 1, data: i.data.sha256, candles: ctx.candles.length, warmup: ctx.warmup.length, config: configIdentity(i.config).hash, walkforward: i.config.backtest.walkforward,
    overrides: i.overrides, space: i.space, objective: i.objective, spec: i.spec,
  })).digest('hex');
}

export interface RunOptions {
  pool: Pool | null;
  executor: (ctx: RunContext, runKey: string, runId: number | null) => Executor;
  /** Start a new run even if an unfinished one has the same key. */
  fresh?: boolean;
  /** Where to write the best config (a function of the run id), or null not to write one. */
  bestConfigFile?: string | ((runId: number | null) => string) | null;
  onTrial?: (r: TrialResult, done: number) => void;
  onStart?: (info: { runId: number | null; resumed: number; total: number; done: TrialResult[] }) => void;
  now?: () => number;
}

export async function runOptimize(i: OptimizeInput, o: RunOptions): Promise<OptimizeReport> {
  const now = o.now ?? Date.now;
  const ctx = contextOf(i);
  const key = runKeyOf(ctx, i);
  let runId: number | null = null;
  let done: TrialResult[] = [];
  if (o.pool) {
    runId = o.fresh ? null : await findUnfinished(o.pool, key);
    if (runId !== null) done = await loadTrials(o.pool, runId);
    else {
      runId = await insertRun(o.pool, {
        runKey: key, strategy: i.config.decision.strategy, symbol: i.symbol, objective: i.objective, sampler: i.spec.sampler.kind, seed: i.spec.seed, trials: i.spec.trials,
        baseConfigHash: configIdentity(i.config).hash, dataSource: i.data.source, dataSha256: i.data.sha256, from: ctx.from, to: ctx.to, spec: { space: i.space, spec: i.spec, objective: i.objective },
      }, now());
    }
  }
  o.onStart?.({ runId, resumed: done.length, total: i.spec.trials, done });
  let count = done.length;
  const exec = o.executor(ctx, key, runId);
  let trials: TrialResult[];
  try {
    trials = await search(ctx, i.spec, exec, {
      done,
      onTrial: async (r) => {
        if (o.pool && runId !== null) await insertTrial(o.pool, runId, r, now());
        o.onTrial?.(r, ++count);
      },
    });
  } finally {
    await exec.close();
  }
  const initial = i.config.execution.paperStartingBalance;
  const a = analyse({ trials, space: i.space, objective: i.objective, windows: ctx.windows, from: ctx.from, to: ctx.to, initial, pboPartitions: i.config.backtest.optimize.pboPartitions });
  let bestConfig: OptimizeReport['bestConfig'] = null;
  if (a.best) {
    const best = applyParams(i.config, a.best.params);
    let hash = configIdentity(best).hash;
    let file: string | null = null;
    if (o.bestConfigFile) {
      file = resolve(typeof o.bestConfigFile === 'function' ? o.bestConfigFile(runId) : o.bestConfigFile);
      const body = deepMerge({ extends: relative(dirname(file), resolve(i.configFile)) } as never, deepMerge({ decision: { strategy: i.config.decision.strategy } } as never, paramsAsConfig(a.best.params) as never));
      writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
      // The hash promote will see: the file as loaded (extends chain, env overrides) — the same as `best` unless the env changes it.
      hash = configIdentity(loadConfig(file).config).hash;
    }
    bestConfig = { file, hash };
  }
  const report: OptimizeReport = {
    kind: 'bosun.optimize', version: 1, run: { id: runId, key, resumedTrials: done.length }, strategy: i.config.decision.strategy, symbol: i.symbol,
    data: { source: i.data.source, sha256: i.data.sha256, from: ctx.from, to: ctx.to, candles: ctx.candles.length },
    objective: i.objective, sampler: i.spec.sampler, seed: i.spec.seed, batchSize: i.spec.batchSize, space: i.space, windows: ctx.windows, ...a, bestConfig,
    trialList: trials.map((t) => ({ number: t.number, state: t.state, value: t.value, firstWindow: t.firstWindow, params: t.params, duplicateOf: t.duplicateOf ?? null, error: t.error })),
  };
  if (o.pool && runId !== null) {
    const { oos, ...rest } = report;
    await finishRun(o.pool, runId, {
      status: 'done', bestTrial: a.best?.number ?? null, bestConfigHash: bestConfig?.hash ?? null, bestValue: a.best?.value ?? null, deflatedSharpe: a.deflatedSharpe, pbo: a.pbo,
      report: { ...rest, oos: { windows: oos.windows, pooled: oos.pooled } },
    }, now());
  }
  return report;
}
