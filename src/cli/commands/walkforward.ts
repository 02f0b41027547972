// `bosun walkforward`: rolling train/test windows, out-of-sample accuracy, log-loss and strategy metrics per window,
// and the ML signal's weight (demoted or kept) written to signal_weight_overrides, where the decision engine reads it.
// Guarantees the run and the weight change are recorded (with history) before a running daemon is told to reload.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configIdentity } from '../../backtest/config-hash.js';
import { configFor, loadData, symbolFor, UsageError, withDb, type DataFlags } from '../../backtest/cli-support.js';
import type { WindowReport } from '../../backtest/walkforward.js';
import type { Config } from '../../config/schema.js';
import { NotRunningError, request } from '../../control/socket.js';
import { fromRoot } from '../../paths.js';
import { safeDbUrl } from '../../store/pool.js';
import { insertWalkforward } from '../../store/repos/backtest.js';
import { setOverride } from '../../store/repos/overrides.js';
import { progressBar } from '../progress.js';
import type { CliContext } from '../shared.js';

type Opts = DataFlags & { model?: string; shuffleLabels?: string; strategyMetrics: boolean; json?: string };

const iso = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(1)}%`);

function line(w: WindowReport): string {
  const s = w.strategy;
  const strat = s ? `  ${String(s.trades).padStart(4)} trades, WR ${pct(s.winRate).padStart(6)}, PF ${s.profitFactorInfinite ? '∞' : s.profitFactor === null ? 'n/a' : s.profitFactor.toFixed(2)}, net ${s.netPnl.toFixed(2)}` : '';
  return `  ${String(w.window).padStart(2)}  train ${iso(w.trainFrom)} → ${iso(w.trainTo)} (${w.trainRows} rows)  test → ${iso(w.testTo)} (${w.test.n} rows)  acc ${pct(w.test.accuracy)} bal ${pct(w.test.balancedAccuracy)} ll ${w.test.logLoss.toFixed(4)}/${w.baselineLogLoss.toFixed(4)}${strat}`;
}

async function reload(config: Config): Promise<string> {
  try {
    await request(fromRoot(config.control.socketPath), 'command', { actor: 'decision', name: 'overrides.reload' });
    return 'the running daemon reloaded its signal weights';
  } catch (err) {
    if (err instanceof NotRunningError) return 'no daemon running; applied at its next start';
    return `the daemon did not reload: ${(err as Error).message}`;
  }
}

export function register(program: Command, _ctx: CliContext): void {
  program
    .command('walkforward')
    .description('walk-forward validation of the ML model (train on one window, test on the next); demotes the ML signal when it is no better than chance')
    .option('--data <file>', 'candle CSV instead of the candles table')
    .option('--from <time>', 'first candle (ISO 8601 or epoch ms)')
    .option('--to <time>', 'end, exclusive')
    .option('-s, --symbol <symbol>', 'symbol (default: the config\'s first)')
    .option('-c, --config <file>', 'config file (windows in backtest.walkforward, model in backtest.train)')
    .option('--strategy <name>', 'preset to validate instead of the config\'s decision.strategy')
    .option('--model <kind>', 'logistic or gbdt (default: backtest.train.model)')
    .option('--shuffle-labels <seed>', 'placebo: train every window on shuffled labels (must come out demoted)')
    .option('--no-strategy-metrics', 'skip the per-window strategy backtests')
    .option('--json <file>', 'write the report as JSON')
    .action(async (o: Opts) => {
      const { walkforward } = await import('../../backtest/walkforward.js');
      const { config: base } = configFor(o);
      const kind = o.model ?? base.backtest.train.model;
      if (kind !== 'logistic' && kind !== 'gbdt') throw new UsageError(`--model ${kind}: use logistic or gbdt`);
      const config: Config = { ...base, backtest: { ...base.backtest, train: { ...base.backtest.train, model: kind } } };
      const symbol = symbolFor(config, o);
      const identity = configIdentity(base);
      await withDb(config, async (pool) => {
        const data = await loadData(o, config, symbol, pool);
        process.stdout.write(`walk-forward of ${kind} on ${data.source}, ${config.backtest.walkforward.trainDays} + ${config.backtest.walkforward.testDays} days stepping ${config.backtest.walkforward.stepDays}${o.shuffleLabels !== undefined ? ', SHUFFLED LABELS' : ''}\n`);
        const bar = progressBar('walk-forward', 'windows', 0);
        const report = await walkforward({
          config, identity, candles: [...data.warmup, ...data.candles], strategyMetrics: o.strategyMetrics && config.backtest.walkforward.strategyMetrics, derivatives: data.derivatives ?? null,
          shuffleSeed: o.shuffleLabels === undefined ? null : Number(o.shuffleLabels),
          // The bar steps aside for each window's line, then comes back under it.
          onWindow: (w) => {
            bar.stop();
            process.stdout.write(`${line(w)}\n`);
            bar.update(w.window);
          },
          onProgress: (n, total) => bar.update(n, total),
        }).finally(() => bar.stop());
        if (o.json) writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
        const now = Date.now();
        const id = await insertWalkforward(pool, {
          configHash: identity.hash, strategyHash: identity.strategyHash, strategy: config.decision.strategy, symbol, modelKind: kind,
          from: data.candles[0]!.openTime, to: data.candles.at(-1)!.openTime + 60_000, windows: report.windows.length, oosRows: report.oos.n,
          oosAccuracy: report.oos.accuracy, oosBalancedAccuracy: report.oos.balancedAccuracy, oosLogLoss: report.oos.logLoss, baselineLogLoss: report.baselineLogLoss, threshold: report.threshold, demoted: report.demoted, mlMultiplier: report.mlMultiplier, report,
        }, now);
        const old = await setOverride(pool, { scope: config.decision.strategy, source: 'ml', multiplier: report.mlMultiplier, origin: 'walkforward', refId: id, reason: report.reason, now });
        process.stdout.write(`${report.reason}\n`);
        process.stdout.write(`recorded as walk-forward run #${id} in ${safeDbUrl(config.db.url)}; ${config.decision.strategy} ml weight ×${old === null ? '1 (none set)' : old} → ×${report.mlMultiplier}; ${await reload(config)}\n`);
      });
    });
}
