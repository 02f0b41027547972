// The search loop: trials in fixed batches, each batch's parameters sampled from the trials of the batches before it,
// so the trials and their results do not depend on how many workers run them, on which machine, or in what order they
// finish; a resumed run re-samples the same parameters and runs only what is missing. Pruning compares a trial's first
// training window with the earlier batches' (a percentile of them).
import { cutOf, type RunContext, type TrialResult, type TrialTask } from './evaluate.js';
import { sampleParams, trialRng, type Observation, type SamplerOptions } from './sampler.js';
import { paramsKey } from './space.js';

export interface SearchSpec {
  trials: number;
  seed: number;
  /** Trials sampled together from the same history (fixed, whatever the worker count). */
  batchSize: number;
  sampler: SamplerOptions;
  prune: { enabled: boolean; startupTrials: number; percentile: number };
}

/** Runs tasks somewhere (a thread pool here, a queue across machines) and reports each result once. */
export interface Executor {
  run(tasks: TrialTask[], onResult: (r: TrialResult) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** The value at `percentile` (0–100, nearest rank from below) of the first-window values, or null with too few. */
export function pruneThreshold(history: TrialResult[], prune: SearchSpec['prune']): number | null {
  if (!prune.enabled) return null;
  const xs = history.map((t) => t.firstWindow).filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (xs.length < Math.max(1, prune.startupTrials)) return null;
  return xs[Math.floor((prune.percentile / 100) * (xs.length - 1))]!;
}

/** A trial with the same parameters as an earlier complete one reuses its backtest (deterministic: same result). */
function reuse(prev: TrialResult, task: TrialTask, ctx: RunContext): TrialResult {
  const cut = cutOf(ctx);
  const pruned = task.pruneBelow !== null && (prev.firstWindow === null || prev.firstWindow < task.pruneBelow);
  const s = prev.series!;
  const series = pruned ? { ts: s.ts.filter((t) => t <= cut), ret: s.ret.filter((_, i) => s.ts[i]! <= cut), trades: s.trades.filter(([t]) => t < cut) } : s;
  return { ...prev, number: task.number, params: task.params, state: pruned ? 'pruned' : 'complete', value: pruned ? null : prev.value, series, duplicateOf: prev.duplicateOf ?? prev.number };
}

export async function search(ctx: RunContext, spec: SearchSpec, exec: Executor, o: { done?: TrialResult[]; onTrial?: (r: TrialResult) => Promise<void> } = {}): Promise<TrialResult[]> {
  const results = new Map<number, TrialResult>((o.done ?? []).filter((t) => t.number < spec.trials).map((t) => [t.number, t]));
  const record = async (r: TrialResult) => {
    if (results.has(r.number)) return; // a retried trial reported twice counts once
    results.set(r.number, r);
    await o.onTrial?.(r);
  };
  for (let start = 0; start < spec.trials; start += spec.batchSize) {
    const history = [...results.values()].filter((t) => t.number < start).sort((a, b) => a.number - b.number);
    const obs: Observation[] = history.map((t) => ({ params: t.params, value: t.state === 'complete' ? t.value : null }));
    const pruneBelow = pruneThreshold(history, spec.prune);
    const byKey = new Map<string, TrialResult>();
    for (const t of history) if (t.state === 'complete' && t.series && !byKey.has(paramsKey(ctx.space, t.params))) byKey.set(paramsKey(ctx.space, t.params), t);
    const tasks: TrialTask[] = [];
    for (let n = start; n < Math.min(spec.trials, start + spec.batchSize); n++) {
      const params = sampleParams(ctx.space, obs, trialRng(spec.seed, n), spec.sampler);
      if (results.has(n)) continue;
      const task: TrialTask = { number: n, params, pruneBelow };
      const prev = byKey.get(paramsKey(ctx.space, params));
      if (prev) await record(reuse(prev, task, ctx));
      else tasks.push(task);
    }
    if (tasks.length) await exec.run(tasks, record);
    const missing = tasks.filter((t) => !results.has(t.number));
    if (missing.length) throw new Error(`trials ${missing.map((t) => t.number).join(', ')} came back without a result`);
  }
  return [...results.values()].sort((a, b) => a.number - b.number);
}
