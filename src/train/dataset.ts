// Training rows from 1m candles: the analytics engine's features at each sample time, labelled by the close `horizon`
// minutes later. Guarantees no look-ahead: a row's features come only from candles closed at its time (the same
// engine and snapshot the live analytics actor builds), and only its label reads the future.
import { SymbolEngine, type EngineParams } from '../analytics/engine.js';
import { featureVector } from '../analytics/ml/features.js';
import { nextFloat, seedRng } from '../market/rng.js';
import type { Candle } from '../protocol/index.js';

export interface DatasetOptions {
  features: string[];
  /** The label is 1 when the close this many minutes after the sample is above the sample's close. */
  horizonMin: number;
  /** A row every this many minutes of candle close time. */
  sampleEveryMin: number;
}

export interface Dataset {
  features: string[];
  /** Close time of the sample's candle (the snapshot time), UTC ms. */
  ts: number[];
  /** Time the label is known (ts + horizon): a row may train a model only if this is before the model's cut-off. */
  labelTs: number[];
  x: Float64Array[];
  y: Uint8Array;
  /** Samples skipped because a feature had no data yet (warm-up), by feature. */
  missing: Record<string, number>;
}

/** Runs the engine over the candles (one symbol, 1m, oldest first) and returns the labelled rows. */
export function buildDataset(candles: Candle[], params: EngineParams, o: DatasetOptions, onProgress?: (done: number, total: number) => void): Dataset {
  if (!candles.length) throw new RangeError('no candles to build a dataset from');
  const symbol = candles[0]!.symbol;
  const engine = new SymbolEngine(symbol, params);
  const closeAt = new Map<number, number>();
  for (const c of candles) closeAt.set(c.openTime + 60_000, c.close);
  const every = o.sampleEveryMin * 60_000;
  const horizon = o.horizonMin * 60_000;
  const ts: number[] = [];
  const labelTs: number[] = [];
  const x: Float64Array[] = [];
  const y: number[] = [];
  const missing: Record<string, number> = {};
  let done = 0;
  for (const c of candles) {
    if (onProgress && (++done & 1023) === 0) onProgress(done, candles.length);
    if (!engine.update(c) || !engine.warm) continue;
    const t = c.openTime + 60_000;
    if (t % every !== 0) continue;
    const future = closeAt.get(t + horizon);
    if (future === undefined) continue;
    const fv = featureVector(engine.snapshot('full', { available: false, reason: 'training' }), o.features);
    if ('missing' in fv) {
      missing[fv.missing] = (missing[fv.missing] ?? 0) + 1;
      continue;
    }
    ts.push(t);
    labelTs.push(t + horizon);
    x.push(Float64Array.from(fv.values));
    y.push(future > c.close ? 1 : 0);
  }
  return { features: [...o.features], ts, labelTs, x, y: Uint8Array.from(y), missing };
}

/** The rows whose index passes `keep`, as a new dataset. */
export function subset(d: Dataset, keep: (i: number) => boolean): Dataset {
  const idx: number[] = [];
  for (let i = 0; i < d.ts.length; i++) if (keep(i)) idx.push(i);
  return {
    features: d.features, missing: d.missing,
    ts: idx.map((i) => d.ts[i]!), labelTs: idx.map((i) => d.labelTs[i]!), x: idx.map((i) => d.x[i]!), y: Uint8Array.from(idx.map((i) => d.y[i]!)),
  };
}

/** The same rows with their labels permuted by a seeded Fisher-Yates shuffle (a model that must learn nothing). */
export function shuffleLabels(d: Dataset, seed: number): Dataset {
  const y = Uint8Array.from(d.y);
  const rng = seedRng(seed);
  for (let i = y.length - 1; i > 0; i--) {
    const j = Math.floor(nextFloat(rng) * (i + 1));
    const tmp = y[i]!;
    y[i] = y[j]!;
    y[j] = tmp;
  }
  return { ...d, y };
}
