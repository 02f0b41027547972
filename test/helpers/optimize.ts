// A small optimize setup for tests: 2 days of generated candles in a CSV, a config with short walk-forward windows
// (12 h train, 6 h test) and a four-dimension ema_rsi space, so a trial is a backtest of a few thousand bars.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { candlesFromFile } from '../../src/backtest/data.js';
import { loadConfig } from '../../src/config/load.js';
import type { OptimizeInput } from '../../src/optimize/run.js';
import type { Space } from '../../src/optimize/space.js';
import { writeConfig } from './config.js';
import { BTC, synthCandles } from './market-data.js';

export const SPACE: Space = {
  'analytics.emaFast': { type: 'int', low: 5, high: 12 },
  'analytics.emaSlow': { type: 'int', low: 15, high: 40 },
  // The preset's own stop (its `risk` is over the risk section's).
  'decision.presets.ema_rsi.risk.stopAtrMult': { type: 'log-float', low: 0.8, high: 3 },
  'decision.presets.ema_rsi.rsiLongMax': { type: 'choice', values: [60, 70, 80] },
};

export function optimizeSetup(dir: string, dbUrl: string, o: { trials?: number; queue?: Record<string, unknown> } = {}): { csv: string; cfgFile: string; spaceFile: string; input: () => OptimizeInput } {
  const candles = synthCandles(2 * 1440);
  const csv = join(dir, 'synth.csv');
  writeFileSync(csv, `open_time,open,high,low,close,volume\n${candles.map((c) => `${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`);
  const cfgFile = writeConfig(dir, {
    db: { url: dbUrl },
    // ema_rsi as it was before its seed numbers (every 1m close, 1m ATR 1.5 / 2.5, cap 1, no cost vetoes): enough trades on
    // two generated days for trials to differ.
    decision: { strategy: 'ema_rsi', presets: { ema_rsi: { timeframe: '1m', risk: { takeProfitAtrMult: 2.5, maxNotionalPctEquity: 1, minStopCostMultiple: null, minRewardRisk: null } } } },
    backtest: {
      walkforward: { trainDays: 0.5, testDays: 0.25, stepDays: 0.25, minWindows: 3 },
      optimize: { trials: o.trials ?? 8, batchSize: 4, startupTrials: 4, prune: { enabled: true, startupTrials: 4, percentile: 50 }, ...(o.queue ? { queue: o.queue } : {}) },
    },
  });
  // A file for `--space` (a config's spaces merge key by key with the defaults; a file replaces them).
  const spaceFile = join(dir, 'space.json');
  writeFileSync(spaceFile, JSON.stringify(SPACE));
  const input = (): OptimizeInput => {
    const { config } = loadConfig(cfgFile, {});
    const oc = config.backtest.optimize;
    return {
      config, configFile: cfgFile, data: candlesFromFile(csv, BTC), symbol: BTC, overrides: {}, space: SPACE, objective: 'sharpe',
      spec: { trials: oc.trials, seed: 5, batchSize: oc.batchSize, sampler: { kind: 'tpe', startupTrials: oc.startupTrials, candidates: oc.candidates, gammaMax: oc.gammaMax, priorWeight: oc.priorWeight }, prune: oc.prune },
    };
  };
  return { csv, cfgFile, spaceFile, input };
}

/** What must not differ between two runs of the same inputs (run ids and file names aside). */
export const essence = (r: { trialList: unknown; best: unknown; oos: unknown; pbo: unknown; deflatedSharpe: unknown; importance: unknown }) =>
  JSON.stringify({ trialList: r.trialList, best: r.best, oos: r.oos, pbo: r.pbo, deflatedSharpe: r.deflatedSharpe, importance: r.importance });
