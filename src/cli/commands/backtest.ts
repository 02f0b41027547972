// `bosun backtest`: the strategy replayed on history through the live machines, measured, reported (table, --json,
// --html) and recorded in backtest_runs with the config hash. Guarantees the same inputs give byte-identical JSON.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configIdentity } from '../../backtest/config-hash.js';
import { configFor, loadData, symbolFor, withDb, type DataFlags } from '../../backtest/cli-support.js';
import { renderTable } from '../../backtest/report-text.js';
import { resultJson } from '../../backtest/result.js';
import { safeDbUrl } from '../../store/pool.js';
import { insertBacktestRun } from '../../store/repos/backtest.js';
import { consensusTimeline } from '../../store/repos/ai.js';
import { loadOverrides } from '../../store/repos/overrides.js';
import type { CliContext } from '../shared.js';

type Opts = DataFlags & { json?: string; html?: string; quiet?: boolean };

export function register(program: Command, _ctx: CliContext): void {
  program
    .command('backtest')
    .description('replay history through the analytics, decision and execution machines on the simulated venue; report and record the result')
    .option('--data <file>', 'candle CSV (open_time,open,high,low,close,volume)')
    .option('--from <time>', 'first candle (ISO 8601 or epoch ms); with --data it cuts the file')
    .option('--to <time>', 'end, exclusive')
    .option('-s, --symbol <symbol>', 'symbol (default: the config\'s first)')
    .option('-c, --config <file>', 'config file (strategy, risk, fees; its database records the run; default $BOSUN_CONFIG, else config/backtest.json: the seeds\' presets in the database bosun_backtest)')
    .option('--strategy <name>', 'preset to run instead of the config\'s decision.strategy')
    .option('--json <file>', 'write the result (metrics and trades) as JSON')
    .option('--html <file>', 'write a self-contained HTML report with equity and drawdown charts')
    .option('-q, --quiet', 'no table on stdout')
    .action(async (o: Opts) => {
      // The engine (XState, the machines, analytics) loads only when a backtest runs, not with every bosun command.
      const [{ runBacktest }, { renderHtml }] = await Promise.all([import('../../backtest/engine.js'), import('../../backtest/report-html.js')]);
      const { config } = configFor(o);
      const symbol = symbolFor(config, o);
      await withDb(config, async (pool) => {
        const data = await loadData(o, config, symbol, pool);
        const overrides = await loadOverrides(pool, config.decision.strategy);
        // The swarm's stored consensus for the period (swarm on in this config): each record counts from when it was made.
        const first = data.candles[0]!.openTime;
        const ai = config.ai.baseUrl === null ? [] : await consensusTimeline(pool, symbol, first - config.decision.signals.ai_consensus.maxAgeSec * 1000, data.candles[data.candles.length - 1]!.openTime + 60_000);
        const run = await runBacktest({
          config, identity: configIdentity(config), candles: data.candles, warmup: data.warmup, overrides, source: { name: data.source, sha256: data.sha256 },
          derivatives: data.derivatives ?? null, ...(ai.length ? { ai } : {}),
        });
        const json = resultJson(run.result);
        const sha = createHash('sha256').update(json).digest('hex');
        if (o.json) writeFileSync(o.json, json);
        if (o.html) writeFileSync(o.html, renderHtml(run.result));
        const id = await insertBacktestRun(pool, run.result, sha, Date.now());
        if (!o.quiet) process.stdout.write(renderTable(run.result));
        if (config.ai.baseUrl !== null) process.stdout.write(`\nAI consensus: ${ai.length ? `${ai.length} stored record(s) replayed, each from the time it was made` : 'no stored record for this period: the ai_consensus source was unavailable'}\n`);
        process.stdout.write(`\nrecorded as backtest run #${id} in ${safeDbUrl(config.db.url)} (config ${run.result.config.hash.slice(0, 12)}, result sha256 ${sha.slice(0, 12)})${o.json ? `; JSON ${o.json}` : ''}${o.html ? `; HTML ${o.html}` : ''}\n`);
      });
    });
}
