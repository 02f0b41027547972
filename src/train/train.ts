// One entry point for training: the model kind and hyper-parameters of the config's `backtest.train` on a dataset.
// Deterministic: the same rows and settings give the same model.
import type { BacktestConfig } from '../config/sections/backtest.js';
import type { Dataset } from './dataset.js';
import { trainGbdt } from './gbdt.js';
import { trainLogistic } from './logistic.js';
import type { Model } from './model.js';

/** `onProgress(done, total)`: iterations (logistic) or trees (gbdt) begun, for a CLI progress bar. */
export function trainModel(d: Dataset, t: Pick<BacktestConfig['train'], 'model' | 'logistic' | 'gbdt'>, onProgress?: (done: number, total: number) => void): Model {
  return t.model === 'logistic' ? trainLogistic(d.features, d.x, d.y, t.logistic, onProgress) : trainGbdt(d.features, d.x, d.y, t.gbdt, onProgress);
}
