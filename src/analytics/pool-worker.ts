// Tasks of the analytics piscina pool (CPU work kept off the actor's event loop): building an engine from a
// packed candle window, loading an ONNX model, running inference with one intra-op thread.
// Guarantees a task either returns a checked result or throws an Error whose message says what is wrong.
import { readFile } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import { SymbolEngine, type EngineParams } from './engine.js';
import { featureNames, type ModelInfo } from './ml/model-info.js';
import { readMetadata } from './ml/onnx-proto.js';
import { packedCount, unpackCandle } from './pack.js';

export interface WarmupTask {
  symbol: string;
  params: EngineParams;
  packed: Float64Array;
}

export interface WarmupResult {
  /** The engine after the window, as plain data (restore with restoreInto). */
  state: unknown;
  candles: number;
  lastOpenTime: number;
  warm: boolean;
}

export function warmup(t: WarmupTask): WarmupResult {
  const e = new SymbolEngine(t.symbol, t.params);
  const n = packedCount(t.packed);
  for (let k = 0; k < n; k++) e.update(unpackCandle(t.packed, k, t.symbol));
  return { state: e, candles: e.seen, lastOpenTime: e.lastOpenTime, warm: e.warm };
}

let ort: typeof Ort | null = null;
const sessions = new Map<string, Promise<{ session: Ort.InferenceSession; info: ModelInfo }>>();

async function open(path: string): Promise<{ session: Ort.InferenceSession; info: ModelInfo }> {
  ort ??= (await import('onnxruntime-node')) as typeof Ort;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(`cannot read model ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let meta: Record<string, string>;
  try {
    meta = readMetadata(bytes);
  } catch (err) {
    throw new Error(`${path} is not an ONNX model (${(err as Error).message})`);
  }
  const features = featureNames(meta, path);
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  } catch (err) {
    throw new Error(`onnxruntime cannot load ${path}: ${(err as Error).message}`);
  }
  if (session.inputNames.length !== 1) throw new Error(`${path}: expected one input tensor, found ${session.inputNames.length}`);
  const input = session.inputNames[0]!;
  const im = session.inputMetadata?.[0];
  const inputType = im && 'type' in im && im.type === 'float64' ? 'float64' : 'float32';
  const output = session.outputNames.includes('p_up') ? 'p_up' : meta['bosun.output'] ?? session.outputNames.find((n) => n.toLowerCase().includes('prob')) ?? session.outputNames[0]!;
  const info: ModelInfo = { path, features, input, inputType, output, name: meta['bosun.name'] ?? path.split('/').pop()! };
  // A dry run, so a model that cannot run on our vector fails at load, not at every snapshot.
  try {
    await run(session, info, new Array(features.length).fill(0));
  } catch (err) {
    throw new Error(`${path} does not run on its ${features.length} declared features: ${(err as Error).message.trim()}`);
  }
  return { session, info };
}

async function run(session: Ort.InferenceSession, info: ModelInfo, values: number[]): Promise<number> {
  const data = info.inputType === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
  const out = await session.run({ [info.input]: new ort!.Tensor(info.inputType, data, [1, values.length]) }, [info.output]);
  const t = out[info.output];
  const d = t?.data as ArrayLike<number> | undefined;
  if (!d || typeof d[0] !== 'number') throw new Error(`output ${info.output} is not a numeric tensor`);
  const p = d.length === 2 ? d[1]! : d.length === 1 ? d[0]! : Number.NaN;
  if (!(p >= 0 && p <= 1)) throw new Error(`output ${info.output} is not a probability (got ${d.length} values, p=${p})`);
  return p;
}

function session(path: string) {
  let s = sessions.get(path);
  if (!s) {
    s = open(path);
    sessions.set(path, s);
    s.catch(() => sessions.delete(path));
  }
  return s;
}

export async function loadModel(t: { path: string }): Promise<ModelInfo> {
  return (await session(t.path)).info;
}

export async function infer(t: { path: string; values: number[] }): Promise<number> {
  const { session: s, info } = await session(t.path);
  if (t.values.length !== info.features.length) throw new Error(`expected ${info.features.length} features, got ${t.values.length}`);
  return run(s, info, t.values);
}
