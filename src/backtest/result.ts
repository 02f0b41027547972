// The backtest result document (`--json`): what ran (config hash, data hash), the metrics and every trade.
// Guarantees byte-identical serialisation for the same inputs: no wall time, no run id, fixed key order.
import type { Panel } from './coverage.js';
import type { Metrics, TradeRecord } from './metrics.js';

/** One symbol's candles: where they came from, their sha256 (candlesSha256, with derivatives folded in) and their range. */
export interface DataIdentity {
  symbol: string;
  source: string;
  sha256: string;
  from: number;
  /** Close of the last candle. */
  to: number;
  candles: number;
}

export interface BacktestResult {
  kind: 'bosun.backtest';
  version: 1;
  /** `overrides`: the signal weight multipliers the run applied (signal_weight_overrides; not part of the hash). */
  config: { hash: string; strategyHash: string; strategy: string; overrides: Record<string, number>; ai?: { records: number; sha256: string } };
  /**
   * The candles replayed. Several symbols: `symbol` and `source` list them all, `sha256` covers each series' hash,
   * `candles` counts them all, and `series` gives each symbol's own (absent with one symbol).
   */
  data: DataIdentity & { series?: DataIdentity[] };
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
