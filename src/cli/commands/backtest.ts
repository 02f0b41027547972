// `bosun backtest`: the strategy replayed on history through the live machines, on one symbol or several on one
// account, measured, reported (table, --json, --html) and recorded in backtest_runs with the config hash. Guarantees
// the same inputs give byte-identical JSON.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configIdentity } from '../../backtest/config-hash.js';
import { configFor, loadSeries, symbolsFor, UsageError, withDb, type DataFlags } from '../../backtest/cli-support.js';
import { simMarketsFor } from '../../exchange/sim/markets.js';
import { renderTable } from '../../backtest/report-text.js';
import { resultJson } from '../../backtest/result.js';
import { safeDbUrl } from '../../store/pool.js';
import { insertBacktestRun } from '../../store/repos/backtest.js';
import { consensusTimeline } from '../../store/repos/ai.js';
import { loadOverrides } from '../../store/repos/overrides.js';
import { progressBar } from '../progress.js';
import type { CliContext } from '../shared.js';

type Opts = DataFlags & { json?: string; html?: string; quiet?: boolean };

export function register(program: Command, _ctx: CliContext): void {
  program
    .command('backtest')
    .description('replay history through the analytics, decision and execution machines on the simulated venue; report and record the result')
    .option('--data <[symbol=]file>', 'candle CSV (open_time,open,high,low,close,volume); repeat as SYMBOL=FILE to trade several symbols on one account', (v: string, prev?: string[]) => [...(prev ?? []), v])
    .option('--from <time>', 'first candle (ISO 8601 or epoch ms); with --data it cuts the files')
    .option('--to <time>', 'end, exclusive')
    .option('-s, --symbol <symbol>', 'symbol of one --data FILE, or the one symbol read from the candles table (default: the config\'s first with --data, all of config.symbols without)')
    .option('-c, --config <file>', 'config file (strategy, risk, fees; its database records the run; default $BOSUN_CONFIG, else config/backtest.json: the seeds\' presets in the database bosun_backtest)')
    .option('--strategy <name>', 'preset to run instead of the config\'s decision.strategy')
    .option('--json <file>', 'write the result (metrics and trades) as JSON')
    .option('--html <file>', 'write a self-contained HTML report with equity and drawdown charts')
    .option('-q, --quiet', 'no table on stdout')
    .action(async (o: Opts) => {
      // The engine (XState, the machines, analytics) loads only when a backtest runs, not with every bosun command.
      const [{ runBacktest }, { renderHtml }] = await Promise.all([import('../../backtest/engine.js'), import('../../backtest/report-html.js')]);
      const { config } = configFor(o);
      try {
        simMarketsFor(symbolsFor(config, o).map((s) => s.symbol));
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(`${(err as Error).message}: the backtest trades on the simulated venue`);
      }
      await withDb(config, async (pool) => {
        const series = [];
        let records = 0;
        for (const data of await loadSeries(o, config, pool)) {
          // The swarm's stored consensus for the period (swarm on in this config): each record counts from when it was made.
          const first = data.candles[0]!.openTime;
          const ai = config.ai.baseUrl === null ? [] : await consensusTimeline(pool, data.symbol, first - config.decision.signals.ai_consensus.maxAgeSec * 1000, data.candles[data.candles.length - 1]!.openTime + 60_000);
          records += ai.length;
          series.push({ candles: data.candles, warmup: data.warmup, source: { name: data.source, sha256: data.sha256 }, derivatives: data.derivatives ?? null, ...(ai.length ? { ai } : {}) });
        }
        const overrides = await loadOverrides(pool, config.decision.strategy);
        const symbols = series.map((x) => x.candles[0]!.symbol).join(', ');
        const bar = progressBar(`backtest ${symbols}`, 'candles', series.reduce((a, x) => a + x.candles.length, 0));
        const run = await runBacktest({ config, identity: configIdentity(config), overrides, series, onProgress: (n, total) => bar.update(n, total) }).finally(() => bar.stop());
        const json = resultJson(run.result);
        const sha = createHash('sha256').update(json).digest('hex');
        if (o.json) writeFileSync(o.json, json);
        if (o.html) writeFileSync(o.html, renderHtml(run.result));
        const id = await insertBacktestRun(pool, run.result, sha, Date.now());
        if (!o.quiet) process.stdout.write(renderTable(run.result));
        if (config.ai.baseUrl !== null) process.stdout.write(`\nAI consensus: ${records ? `${records} stored record(s) replayed, each from the time it was made` : 'no stored record for this period: the ai_consensus source was unavailable'}\n`);
        process.stdout.write(`\nrecorded as backtest run #${id} in ${safeDbUrl(config.db.url)} (config ${run.result.config.hash.slice(0, 12)}, result sha256 ${sha.slice(0, 12)})${o.json ? `; JSON ${o.json}` : ''}${o.html ? `; HTML ${o.html}` : ''}\n`);
      });
    });
}
