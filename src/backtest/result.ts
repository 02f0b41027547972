// The backtest result document (`--json`): what ran (config hash, data hash), the metrics and every trade.
// Guarantees byte-identical serialisation for the same inputs: no wall time, no run id, fixed key order.
import type { Panel } from './coverage.js';
import type { Metrics, TradeRecord } from './metrics.js';

export interface BacktestResult {
  kind: 'bosun.backtest';
  version: 1;
  /** `overrides`: the signal weight multipliers the run applied (signal_weight_overrides; not part of the hash). */
  config: { hash: string; strategyHash: string; strategy: string; overrides: Record<string, number>; ai?: { records: number; sha256: string } };
  data: { symbol: string; source: string; sha256: string; from: number; to: number; candles: number };
  /** Which sources could vote over the run and, when nothing traded, why (absent in results recorded before it existed). */
  panel?: Panel;
  metrics: Metrics;
  trades: TradeRecord[];
  /** Mark-to-market equity at each hour's close: [ts, equity]. */
  equity: Array<[number, number]>;
  /** Drawdown from the running peak at the same times, as a fraction. */
  drawdown: Array<[number, number]>;
}

export const resultJson = (r: BacktestResult): string => `${JSON.stringify(r, null, 2)}\n`;
