// One entry point for training: the model kind and hyper-parameters of the config's `backtest.train` on a dataset.
// Deterministic: the same rows and settings give the same model.
import type { BacktestConfig } from '../config/sections/backtest.js';
import type { Dataset } from './dataset.js';
import { trainGbdt } from './gbdt.js';
import { trainLogistic } from './logistic.js';
import type { Model } from './model.js';

export function trainModel(d: Dataset, t: Pick<BacktestConfig['train'], 'model' | 'logistic' | 'gbdt'>): Model {
  return t.model === 'logistic' ? trainLogistic(d.features, d.x, d.y, t.logistic) : trainGbdt(d.features, d.x, d.y, t.gbdt);
}
