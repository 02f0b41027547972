// What a finished search reports: the best trial with its in-sample metrics, walk-forward out-of-sample results (each
// window's test traded by the trial best on that window's training days only), the Deflated Sharpe Ratio of the best,
// the PBO of the search (CSCV), and each parameter's importance. Pure: a function of the trials and the context.
import { cscvPbo, type PboResult } from './pbo.js';
import { deflatedSharpe, moments } from './stats.js';
import { objectiveOf, windowMetrics, type Objective, type TrialResult, type TrialSeries, type Window, type WindowMetrics } from './evaluate.js';
import type { Params, Space } from './space.js';

export interface OosWindow extends Window {
  /** The trial chosen on this window's training days. */
  trial: number;
  params: Params;
  train: WindowMetrics;
  test: WindowMetrics;
}

export interface Analysis {
  trials: { total: number; complete: number; pruned: number; failed: number; duplicates: number };
  best: { number: number; params: Params; value: number; inSample: WindowMetrics; windows: Array<{ window: number; train: WindowMetrics; test: WindowMetrics }> } | null;
  /** Walk-forward out of sample: the search re-chosen on each training window, traded on the test window after it. */
  oos: { windows: OosWindow[]; pooled: WindowMetrics | null; equity: Array<[number, number]> };
  /** DSR of the best trial's hourly Sharpe against the best of `trials` lucky ones with the trials' Sharpe variance. */
  deflatedSharpe: number | null;
  dsr: { sharpe: number; sr0: number; observations: number; trials: number; variance: number; skew: number; kurt: number } | null;
  pbo: number | null;
  cscv: Omit<PboResult, 'logits'> | null;
  /** Share of the objective's variance each parameter explains (η² over its bins), normalised to sum to 1. */
  importance: Record<string, number>;
}

function concat(series: TrialSeries, parts: Array<{ from: number; to: number }>): TrialSeries {
  const out: TrialSeries = { ts: [], ret: [], trades: [] };
  for (const p of parts) {
    for (let i = 0; i < series.ts.length; i++) if (series.ts[i]! > p.from && series.ts[i]! <= p.to) {
      out.ts.push(series.ts[i]!);
      out.ret.push(series.ret[i]!);
    }
    out.trades.push(...series.trades.filter(([t]) => t >= p.from && t < p.to));
  }
  return out;
}

/** η² of the values grouped by a parameter (numeric: 5 quantile bins; choice: by value). */
function importance(space: Space, done: TrialResult[]): Record<string, number> {
  const vals = done.map((t) => t.value!);
  const mean = vals.reduce((a, v) => a + v, 0) / (vals.length || 1);
  const total = vals.reduce((a, v) => a + (v - mean) ** 2, 0);
  const raw: Record<string, number> = {};
  for (const [k, d] of Object.entries(space)) {
    const groups = new Map<string, number[]>();
    const order = done.map((t, i) => ({ v: t.params[k], i })).sort((a, b) => (typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v))) || a.i - b.i);
    order.forEach((o, rank) => {
      const key = d.type === 'choice' ? JSON.stringify(o.v) : String(Math.floor((rank * 5) / order.length));
      const g = groups.get(key) ?? [];
      g.push(vals[o.i]!);
      groups.set(key, g);
    });
    let between = 0;
    for (const g of groups.values()) {
      const m = g.reduce((a, v) => a + v, 0) / g.length;
      between += g.length * (m - mean) ** 2;
    }
    raw[k] = total > 0 ? between / total : 0;
  }
  const s = Object.values(raw).reduce((a, v) => a + v, 0);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, s > 0 ? v / s : 0]));
}

export function analyse(o: { trials: TrialResult[]; space: Space; objective: Objective; windows: Window[]; from: number; to: number; initial: number; pboPartitions: number }): Analysis {
  const all = [...o.trials].sort((a, b) => a.number - b.number);
  const done = all.filter((t) => t.state === 'complete' && t.value !== null && t.series);
  const counts = {
    total: all.length, complete: all.filter((t) => t.state === 'complete').length, pruned: all.filter((t) => t.state === 'pruned').length,
    failed: all.filter((t) => t.state === 'failed').length, duplicates: all.filter((t) => t.duplicateOf != null).length,
  };
  const empty: Analysis = { trials: counts, best: null, oos: { windows: [], pooled: null, equity: [] }, deflatedSharpe: null, dsr: null, pbo: null, cscv: null, importance: {} };
  if (!done.length) return empty;
  // Ties go to the earliest trial: the result does not depend on the order trials finished in.
  const best = done.reduce((b, t) => (t.value! > b.value! ? t : b));
  const wm = (t: TrialResult, from: number, to: number) => windowMetrics(t.series!, from, to, o.initial);
  const oosWindows: OosWindow[] = o.windows.map((w) => {
    let pick = done[0]!;
    let pv = -Infinity;
    for (const t of done) {
      const v = objectiveOf(wm(t, w.trainFrom, w.trainTo), o.objective) ?? -Infinity;
      if (v > pv) {
        pv = v;
        pick = t;
      }
    }
    return { ...w, trial: pick.number, params: pick.params, train: wm(pick, w.trainFrom, w.trainTo), test: wm(pick, w.testFrom, w.testTo) };
  });
  // Test windows may overlap when stepDays < testDays: each hour counts once, from the latest window that covers it.
  const pieces: TrialSeries[] = oosWindows.map((w, k) => {
    const next = oosWindows[k + 1];
    const t = done.find((x) => x.number === w.trial)!;
    return concat(t.series!, [{ from: w.testFrom, to: next ? Math.min(w.testTo, next.testFrom) : w.testTo }]);
  });
  const joined: TrialSeries = { ts: pieces.flatMap((p) => p.ts), ret: pieces.flatMap((p) => p.ret), trades: pieces.flatMap((p) => p.trades) };
  let eq = o.initial;
  const oosEquity: Array<[number, number]> = joined.ts.map((t, i) => [t, (eq *= 1 + joined.ret[i]!)]);
  const pooled = oosWindows.length ? windowMetrics(joined, oosWindows[0]!.testFrom - 1, oosWindows.at(-1)!.testTo, o.initial) : null;

  // DSR: per-hour Sharpe of the best, variance of the complete trials' per-hour Sharpes, N = every trial tried.
  const srOf = (t: TrialResult) => {
    const m = moments(t.series!.ret);
    return m.sd > 1e-15 ? m.mean / m.sd : 0;
  };
  const srs = done.map(srOf);
  const mean = srs.reduce((a, s) => a + s, 0) / srs.length;
  const variance = srs.length > 1 ? srs.reduce((a, s) => a + (s - mean) ** 2, 0) / (srs.length - 1) : 0;
  const bm = moments(best.series!.ret);
  const sr = srOf(best);
  const d = deflatedSharpe({ sr, n: bm.n, skew: bm.skew, kurt: bm.kurt, trials: all.length, variance });
  let cscv: PboResult | null = null;
  const len = best.series!.ret.length;
  const cols = done.filter((t) => t.series!.ret.length === len).map((t) => t.series!.ret);
  if (cols.length >= 2 && len >= 2 * o.pboPartitions) cscv = cscvPbo(cols, o.pboPartitions);
  const { logits: _l, ...cscvSummary } = cscv ?? { logits: [] };
  return {
    trials: counts,
    best: {
      number: best.number, params: best.params, value: best.value!, inSample: wm(best, o.from, o.to),
      windows: o.windows.map((w) => ({ window: w.window, train: wm(best, w.trainFrom, w.trainTo), test: wm(best, w.testFrom, w.testTo) })),
    },
    oos: { windows: oosWindows, pooled, equity: oosEquity },
    deflatedSharpe: d.dsr,
    dsr: { sharpe: sr, sr0: d.sr0, observations: bm.n, trials: all.length, variance, skew: bm.skew, kurt: bm.kurt },
    pbo: cscv ? cscv.pbo : null,
    cscv: cscv ? (cscvSummary as Omit<PboResult, 'logits'>) : null,
    importance: importance(o.space, done),
  };
}
