// A trained model as an ONNX file (our own encoder: standard ops for the logistic model, ai.onnx.ml trees for GBDT),
// and the check that onnxruntime-node computes the same p_up as the TypeScript model. Guarantees a written model
// follows the analytics contract (one float64 input [N, n], output p_up, `bosun.features`) and agrees to `tolerance`.
import type * as Ort from 'onnxruntime-node';
import { DataType, logisticModel, treeEnsembleModel } from '../analytics/ml/onnx-proto.js';
import { predict, type Model } from './model.js';

export function modelToOnnx(m: Model, metadata: Record<string, string> = {}): Uint8Array {
  const meta = { 'bosun.features': m.features.join(','), 'bosun.kind': m.kind, ...metadata };
  if (m.kind === 'logistic') return logisticModel(m.weights, m.bias, meta, DataType.DOUBLE);
  return treeEnsembleModel(m.features.length, m.base, m.trees, meta);
}

let ort: typeof Ort | null = null;
export const onnxRuntime = async (): Promise<typeof Ort> => (ort ??= (await import('onnxruntime-node')) as typeof Ort);

/** p_up for each row from onnxruntime-node, in one batch. */
export async function onnxPredict(bytes: Uint8Array, rows: ArrayLike<number>[], nFeatures: number): Promise<number[]> {
  const rt = await onnxRuntime();
  const session = await rt.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const flat = new Float64Array(rows.length * nFeatures);
    rows.forEach((r, i) => flat.set(Array.from(r), i * nFeatures));
    const out = await session.run({ [session.inputNames[0]!]: new rt.Tensor('float64', flat, [rows.length, nFeatures]) }, ['p_up']);
    return Array.from(out.p_up!.data as ArrayLike<number>, Number);
  } finally {
    await session.release();
  }
}

export interface Parity {
  rows: number;
  maxAbsDiff: number;
  tolerance: number;
  ok: boolean;
}

/** Compares onnxruntime's p_up with the TypeScript model's on every row. */
export async function checkParity(m: Model, bytes: Uint8Array, rows: ArrayLike<number>[], tolerance = 1e-6): Promise<Parity> {
  const got = await onnxPredict(bytes, rows, m.features.length);
  let maxAbsDiff = 0;
  rows.forEach((r, i) => {
    const d = Math.abs(got[i]! - predict(m, r));
    if (!(d <= maxAbsDiff)) maxAbsDiff = Number.isNaN(d) ? Infinity : d;
  });
  return { rows: rows.length, maxAbsDiff, tolerance, ok: maxAbsDiff <= tolerance };
}
