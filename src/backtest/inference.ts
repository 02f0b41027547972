// Model inference for backtests, in process: an ONNX file through the analytics pool's own task functions
// (onnxruntime-node, same loading checks and output rules as the daemon), or a TypeScript model from training.
// Guarantees every call settles with p_up or an error, and the model's features are known before the run.
import { infer, loadModel } from '../analytics/pool-worker.js';
import { predict, type Model } from '../train/model.js';
import { modelPath } from './config-hash.js';

export type ModelSource = { kind: 'onnx'; path: string } | { kind: 'typescript'; model: Model; name: string };

export interface Inference {
  name: string;
  features: string[];
  infer(values: number[]): Promise<number>;
  close(): Promise<void>;
}

export async function modelInference(src: ModelSource | null): Promise<Inference | null> {
  if (!src) return null;
  if (src.kind === 'typescript') {
    const m = src.model;
    return { name: src.name, features: m.features, infer: async (values) => predict(m, values), close: async () => {} };
  }
  const path = modelPath(src.path);
  const info = await loadModel({ path });
  return { name: info.name, features: info.features, infer: (values) => infer({ path, values }), close: async () => {} };
}
