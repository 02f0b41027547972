// What analytics knows about a loaded model: where it is, the features it reads (in order), its tensors.
// Guarantees a model that does not declare known features in `bosun.features` is refused with the reason.
import { unknownFeatures } from './features.js';

export interface ModelInfo {
  path: string;
  name: string;
  features: string[];
  input: string;
  inputType: 'float32' | 'float64';
  output: string;
}

/** Feature names from the model's metadata_props (`bosun.features`: comma-separated). */
export function featureNames(meta: Record<string, string>, path: string): string[] {
  const raw = meta['bosun.features'];
  if (!raw) throw new Error(`${path} has no "bosun.features" metadata naming the features it reads`);
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new Error(`${path}: "bosun.features" is empty`);
  const unknown = unknownFeatures(names);
  if (unknown.length) throw new Error(`${path} reads unknown features: ${unknown.join(', ')}`);
  return names;
}
