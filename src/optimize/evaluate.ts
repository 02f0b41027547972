// One trial of a search: the config with the trial's parameters backtested on the same engine as `bosun backtest`, in
// two legs cut at the end of the first walk-forward training window (so a trial that cannot win stops there), and the
// metrics of any window of the run from its hourly returns and closed trades. Deterministic: same context and
// parameters, same result; nothing here reads a clock or a random source.
import { configIdentity } from '../backtest/config-hash.js';
import type { DerivativesHistory } from '../backtest/derivatives-feed.js';
import { runBacktest } from '../backtest/engine.js';
import type { Config } from '../config/schema.js';
import type { Candle } from '../protocol/index.js';
import { applyParams, type Params, type Space } from './space.js';

import type { Objective } from './space-schema.js';
export { OBJECTIVES, type Objective } from './space-schema.js';

const DAY = 86_400_000;
const HOURS_PER_YEAR = 24 * 365;

export interface Window {
  window: number;
  trainFrom: number;
  trainTo: number;
  testFrom: number;
  testTo: number;
}

/** What every trial of a run shares (sent once to each worker). */
export interface RunContext {
  config: Config;
  candles: Candle[];
  warmup: Candle[];
  source: { name: string; sha256: string };
  derivatives: DerivativesHistory | null;
  overrides: Record<string, number>;
  space: Space;
  objective: Objective;
  windows: Window[];
  /** Start and end (exclusive) of the traded period. */
  from: number;
  to: number;
}

export interface TrialTask {
  number: number;
  params: Params;
  /** Prune when the objective on the first training window is below this (null: never). */
  pruneBelow: number | null;
}

/** The run of a trial as hourly returns (the hour ending at ts[i]) and closed trades [exitTime, pnl]. */
export interface TrialSeries {
  ts: number[];
  ret: number[];
  trades: Array<[number, number]>;
}

export interface TrialResult {
  number: number;
  params: Params;
  state: 'complete' | 'pruned' | 'failed';
  /** Objective over the whole period (complete trials). */
  value: number | null;
  /** Objective over the first training window (what pruning looks at). */
  firstWindow: number | null;
  error: string | null;
  /** Complete: the whole period; pruned: the first training window only. */
  series: TrialSeries | null;
  /** Trial whose identical parameters this one reused (no second backtest), if any. */
  duplicateOf?: number | null;
}

export interface WindowMetrics {
  from: number;
  to: number;
  hours: number;
  totalReturn: number;
  netPnl: number;
  /** Hourly-return Sharpe (mean / sd) × √(24·365). */
  sharpe: number | null;
  sortino: number | null;
  maxDrawdown: number;
  /** Annualised return / max drawdown. */
  calmar: number | null;
  trades: number;
  wins: number;
  winRate: number | null;
  grossProfit: number;
  grossLoss: number;
  /** Capped at 100 when there is no loss. */
  profitFactor: number | null;
  expectancy: number | null;
}

/** Walk-forward windows as `bosun walkforward` lays them: train, then test, stepping, from the first traded candle. */
export function windowsOf(from: number, to: number, w: Config['backtest']['walkforward']): Window[] {
  const out: Window[] = [];
  const span = (w.trainDays + w.testDays) * DAY;
  for (let s = from; s + span <= to; s += w.stepDays * DAY) {
    out.push({ window: out.length + 1, trainFrom: s, trainTo: s + w.trainDays * DAY, testFrom: s + w.trainDays * DAY, testTo: s + span });
  }
  return out;
}

/** Metrics of the run between from and to (returns of hours ending in (from, to], trades closed in [from, to)). */
export function windowMetrics(s: TrialSeries, from: number, to: number, initial: number): WindowMetrics {
  const rets: number[] = [];
  for (let i = 0; i < s.ts.length; i++) if (s.ts[i]! > from && s.ts[i]! <= to) rets.push(s.ret[i]!);
  let eq = 1;
  let peak = 1;
  let maxDd = 0;
  let sum = 0;
  let down = 0;
  for (const r of rets) {
    eq *= 1 + r;
    if (eq > peak) peak = eq;
    maxDd = Math.max(maxDd, (peak - eq) / peak);
    sum += r;
    down += Math.min(r, 0) ** 2;
  }
  const n = rets.length;
  const mean = n ? sum / n : 0;
  const sd = n > 1 ? Math.sqrt(rets.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1)) : 0;
  const dd = n ? Math.sqrt(down / n) : 0;
  const ann = Math.sqrt(HOURS_PER_YEAR);
  const years = (to - from) / (365 * DAY);
  const cagr = eq > 0 && years > 0 ? eq ** (1 / years) - 1 : null;
  const pnls = s.trades.filter(([t]) => t >= from && t < to).map(([, p]) => p);
  const wins = pnls.filter((p) => p > 0);
  const gp = wins.reduce((a, p) => a + p, 0);
  const gl = -pnls.filter((p) => p < 0).reduce((a, p) => a + p, 0);
  return {
    from, to, hours: n, totalReturn: eq - 1, netPnl: (eq - 1) * initial,
    sharpe: sd > 1e-15 ? (mean / sd) * ann : null,
    sortino: dd > 1e-15 ? (mean / dd) * ann : null,
    maxDrawdown: maxDd,
    calmar: cagr !== null && maxDd > 0 ? cagr / maxDd : null,
    trades: pnls.length, wins: wins.length, winRate: pnls.length ? wins.length / pnls.length : null,
    grossProfit: gp, grossLoss: gl,
    profitFactor: gl > 0 ? Math.min(100, gp / gl) : gp > 0 ? 100 : null,
    expectancy: pnls.length ? pnls.reduce((a, p) => a + p, 0) / pnls.length : null,
  };
}

export function objectiveOf(m: WindowMetrics, o: Objective): number | null {
  const v = o === 'profit_factor' ? m.profitFactor : m[o];
  return v !== null && Number.isFinite(v) ? v : null;
}

/** Hourly returns and trades of one backtest leg (its equity starts at `initial`). */
function legSeries(equity: Array<[number, number]>, trades: Array<{ exitTime: number; pnl: string }>, initial: number): TrialSeries {
  const ts: number[] = [];
  const ret: number[] = [];
  let prev = initial;
  for (const [t, e] of equity) {
    ts.push(t);
    ret.push(prev > 0 ? e / prev - 1 : 0);
    prev = e;
  }
  return { ts, ret, trades: trades.map((t) => [t.exitTime, Number(t.pnl)]) };
}

/** The first training window's end: where the two legs of a trial meet. */
export const cutOf = (ctx: RunContext): number => ctx.windows[0]!.trainTo;

export async function runTrial(ctx: RunContext, task: TrialTask): Promise<TrialResult> {
  const base = { number: task.number, params: task.params };
  let config: Config;
  try {
    config = applyParams(ctx.config, task.params);
  } catch (err) {
    return { ...base, state: 'failed', value: null, firstWindow: null, error: (err as Error).message, series: null };
  }
  const identity = configIdentity(config);
  const initial = config.execution.paperStartingBalance;
  const cut = cutOf(ctx);
  const leg = async (candles: Candle[], warmup: Candle[], name: string): Promise<TrialSeries> => {
    const run = await runBacktest({ config, identity, candles, warmup, overrides: ctx.overrides, source: { name: `${ctx.source.name} (${name})`, sha256: ctx.source.sha256 }, derivatives: ctx.derivatives });
    return legSeries(run.result.equity, run.result.trades, initial);
  };
  try {
    const a = await leg(ctx.candles.filter((c) => c.openTime < cut), ctx.warmup, 'first training window');
    const first = objectiveOf(windowMetrics(a, ctx.from, cut, initial), ctx.objective);
    if (task.pruneBelow !== null && (first === null || first < task.pruneBelow)) return { ...base, state: 'pruned', value: null, firstWindow: first, error: null, series: a };
    const rest = ctx.candles.filter((c) => c.openTime >= cut);
    const before = [...ctx.warmup, ...ctx.candles.filter((c) => c.openTime < cut)];
    const b = await leg(rest, before.slice(Math.max(0, before.length - config.analytics.warmupCandles)), 'after the first training window');
    const series: TrialSeries = { ts: [...a.ts, ...b.ts], ret: [...a.ret, ...b.ret], trades: [...a.trades, ...b.trades] };
    const value = objectiveOf(windowMetrics(series, ctx.from, ctx.to, initial), ctx.objective);
    return { ...base, state: 'complete', value, firstWindow: first, error: null, series };
  } catch (err) {
    return { ...base, state: 'failed', value: null, firstWindow: null, error: (err as Error).message, series: null };
  }
}
