// Samplers of the search: plain random, and TPE (Bergstra et al. 2011, as Optuna's independent TPE) after a random
// start: each dimension's good and bad trials make two Parzen estimators l(x), g(x); of candidates drawn from l the one
// with the highest l/g is tried. Guarantees the same space, history and seed give the same parameters (maximises value).
import { nextFloat, nextGaussian, seedRng, type Rng } from '../market/rng.js';
import { clampTo, fromUnit, type Dim, type Params, type Space } from './space.js';

export interface Observation {
  params: Params;
  /** Objective (higher is better); null for a trial that was pruned or failed (always among the bad ones). */
  value: number | null;
}

export interface SamplerOptions {
  kind: 'tpe' | 'random';
  /** Trials sampled at random before TPE takes over. */
  startupTrials: number;
  /** Candidates drawn from l(x) per dimension. */
  candidates: number;
  /** The good group is the best ⌈0.1 n⌉ completed trials, at most this many. */
  gammaMax: number;
  /** Weight of the uniform-ish prior component in each estimator. */
  priorWeight: number;
}

/** A seed for trial `n` of a run seeded `seed` (splitmix-style mixing: nearby seeds give unrelated streams). */
export function trialRng(seed: number, n: number): Rng {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return seedRng((z ^ (z >>> 16)) >>> 0);
}

export function randomParams(space: Space, rng: Rng): Params {
  const out: Params = {};
  for (const [k, d] of Object.entries(space)) out[k] = fromUnit(d, nextFloat(rng));
  return out;
}

type Numeric = Exclude<Dim, { type: 'choice' }>;

/** The internal (continuous) domain of a numeric dimension and the mapping to it. */
function domain(d: Numeric): { lo: number; hi: number; to: (v: number) => number; from: (x: number) => number } {
  if (d.type === 'log-float') return { lo: Math.log(d.low), hi: Math.log(d.high), to: Math.log, from: (x) => clampTo(d, Math.exp(x)) };
  const half = d.type === 'int' ? (d.step ?? 1) / 2 : 0;
  return { lo: d.low - half, hi: d.high + half, to: (v) => v, from: (x) => clampTo(d, x) };
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function erfcApprox(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
const phi = (x: number) => 0.5 * erfcApprox(-x / Math.SQRT2);

/** A mixture of normals truncated to [lo, hi]: one per observation and a prior at the middle spanning the range. */
export class Parzen {
  readonly mus: number[];
  readonly sigmas: number[];
  readonly weights: number[];
  private readonly norms: number[];
  constructor(xs: number[], readonly lo: number, readonly hi: number, priorWeight: number) {
    const range = hi - lo;
    const prior = { mu: lo + range / 2, w: priorWeight };
    const pts = [...xs.map((x) => ({ mu: x, w: 1 })), prior].sort((a, b) => a.mu - b.mu);
    const minSigma = range / Math.min(100, 1 + pts.length);
    this.mus = pts.map((p) => p.mu);
    this.sigmas = pts.map((p, i) => {
      if (p === prior) return range;
      const left = i > 0 ? p.mu - pts[i - 1]!.mu : 0;
      const right = i < pts.length - 1 ? pts[i + 1]!.mu - p.mu : 0;
      return Math.min(range, Math.max(minSigma, left, right));
    });
    const total = pts.reduce((a, p) => a + p.w, 0);
    this.weights = pts.map((p) => p.w / total);
    this.norms = this.mus.map((m, i) => Math.max(1e-12, phi((hi - m) / this.sigmas[i]!) - phi((lo - m) / this.sigmas[i]!)));
  }

  sample(rng: Rng): number {
    let u = nextFloat(rng);
    let k = 0;
    while (k < this.weights.length - 1 && u >= this.weights[k]!) u -= this.weights[k++]!;
    for (let i = 0; i < 100; i++) {
      const x = this.mus[k]! + this.sigmas[k]! * nextGaussian(rng);
      if (x >= this.lo && x <= this.hi) return x;
    }
    return Math.min(this.hi, Math.max(this.lo, this.mus[k]!));
  }

  logPdf(x: number): number {
    let best = -Infinity;
    const terms = this.mus.map((m, i) => {
      const s = this.sigmas[i]!;
      const z = (x - m) / s;
      const t = Math.log(this.weights[i]!) - 0.5 * z * z - LOG_SQRT_2PI - Math.log(s) - Math.log(this.norms[i]!);
      if (t > best) best = t;
      return t;
    });
    return best + Math.log(terms.reduce((a, t) => a + Math.exp(t - best), 0));
  }
}

/** Splits the history: the best ⌈0.1 n⌉ (≤ gammaMax) completed trials are good, the rest (and pruned/failed) bad. */
export function splitHistory(history: Observation[], gammaMax: number): { good: Observation[]; bad: Observation[] } {
  const done = history.map((h, i) => ({ h, i })).filter((x) => x.h.value !== null);
  done.sort((a, b) => b.h.value! - a.h.value! || a.i - b.i);
  const g = Math.min(Math.ceil(0.1 * done.length), gammaMax);
  const goodIdx = new Set(done.slice(0, g).map((x) => x.i));
  return { good: history.filter((_, i) => goodIdx.has(i)), bad: history.filter((_, i) => !goodIdx.has(i)) };
}

function tpeChoice(d: Extract<Dim, { type: 'choice' }>, key: string, good: Observation[], bad: Observation[], o: SamplerOptions, rng: Rng) {
  const K = d.values.length;
  const idx = (v: unknown) => d.values.findIndex((x) => x === v);
  const probs = (obs: Observation[]) => {
    const c = new Array<number>(K).fill(o.priorWeight / K);
    for (const ob of obs) {
      const i = idx(ob.params[key]);
      if (i >= 0) c[i]! += 1;
    }
    const s = c.reduce((a, x) => a + x, 0);
    return c.map((x) => x / s);
  };
  const l = probs(good);
  const g = probs(bad);
  let best = 0;
  let bestScore = -Infinity;
  for (let j = 0; j < o.candidates; j++) {
    let u = nextFloat(rng);
    let k = 0;
    while (k < K - 1 && u >= l[k]!) u -= l[k++]!;
    const score = Math.log(l[k]!) - Math.log(g[k]!);
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return d.values[best]!;
}

/** The parameters of the next trial, drawn with `rng` from the space given the finished trials. */
export function sampleParams(space: Space, history: Observation[], rng: Rng, o: SamplerOptions): Params {
  const completed = history.filter((h) => h.value !== null).length;
  if (o.kind === 'random' || history.length < o.startupTrials || completed < 2) return randomParams(space, rng);
  const { good, bad } = splitHistory(history, o.gammaMax);
  const out: Params = {};
  for (const [key, d] of Object.entries(space)) {
    if (d.type === 'choice') {
      out[key] = tpeChoice(d, key, good, bad, o, rng);
      continue;
    }
    const dom = domain(d);
    const xs = (obs: Observation[]) => obs.map((ob) => ob.params[key]).filter((v): v is number => typeof v === 'number').map(dom.to);
    const l = new Parzen(xs(good), dom.lo, dom.hi, o.priorWeight);
    const g = new Parzen(xs(bad), dom.lo, dom.hi, o.priorWeight);
    let best = l.sample(rng);
    let bestScore = -Infinity;
    for (let j = 0; j < o.candidates; j++) {
      const x = j === 0 ? best : l.sample(rng);
      const score = l.logPdf(x) - g.logPdf(x);
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    out[key] = dom.from(best);
  }
  return out;
}
