// `bosun optimize`: a parameter search over a preset's space (TPE after a random start, or random), each trial a
// deterministic backtest, pruned on the first walk-forward window, on a local thread pool or a Redis queue; reports
// the best config with in- and out-of-sample metrics, the Deflated Sharpe Ratio and the PBO, and writes it as a
// config file. Guarantees the run and every trial are recorded in MariaDB as they finish, so a killed run resumes.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configFor, loadData, symbolFor, UsageError, withDb, type DataFlags } from '../../backtest/cli-support.js';
import type { Config } from '../../config/schema.js';
import { loadOverrides } from '../../store/repos/overrides.js';
import { safeDbUrl } from '../../store/pool.js';
import type { CliContext } from '../shared.js';

type Opts = Omit<DataFlags, 'data'> & {
  data: string[]; space?: string; trials?: string; seed?: string; objective?: string; sampler?: string; workers?: string; queue?: string;
  json?: string; html?: string; bestConfig?: string; fresh?: boolean; quiet?: boolean;
};

const int = (flag: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${v}: expected an integer ≥ ${min}`);
  return n;
};

/** `--data SYMBOL=FILE` (repeatable) or `--data FILE`: the symbol and the file. The engine trades one symbol per run today. */
export function dataSpec(specs: string[], config: Config, o: DataFlags): { symbol: string; file: string | undefined } {
  const parsed = specs.map((s) => {
    const m = /^([A-Z0-9]+\/[A-Z0-9]+:[A-Z0-9]+)=(.+)$/.exec(s);
    return m ? { symbol: m[1]!, file: m[2]! } : { symbol: null, file: s };
  });
  if (parsed.length > 1) throw new UsageError(`--data given ${parsed.length} times: a backtest trades one symbol for now (${parsed.map((p) => p.symbol ?? p.file).join(', ')}); give one --data SYMBOL=FILE`);
  const p = parsed[0];
  const symbol = p?.symbol ?? symbolFor(config, o);
  return { symbol, file: p?.file };
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('optimize')
    .description('search a preset\'s parameters (TPE or random), each trial a backtest; reports the best with out-of-sample results, Deflated Sharpe and PBO')
    .option('--data <SYMBOL=FILE>', 'candle CSV of a symbol (repeatable; one symbol for now), instead of the candles table', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--from <time>', 'first candle (ISO 8601 or epoch ms)')
    .option('--to <time>', 'end, exclusive')
    .option('-s, --symbol <symbol>', 'symbol when --data is a plain file or with --from/--to (default: the config\'s first)')
    .option('-c, --config <file>', 'base config (search defaults in backtest.optimize, windows in backtest.walkforward)')
    .option('--strategy <name>', 'preset to search (default: the config\'s decision.strategy)')
    .option('--space <file>', 'search space JSON (config path → {type: int|float|log-float|choice, …}); default: backtest.optimize.spaces[preset]')
    .option('--trials <n>', 'number of trials (default: backtest.optimize.trials)')
    .option('--seed <k>', 'seed of the sampler', '1')
    .option('--objective <name>', 'sharpe, sortino, calmar, profit_factor or expectancy (default: backtest.optimize.objective)')
    .option('--sampler <kind>', 'tpe or random (default: backtest.optimize.sampler)')
    .option('--workers <n>', 'local worker threads (default: backtest.optimize.workers, null = one per core)')
    .option('--queue <redis-url>', 'put the trials on a BullMQ queue at this Redis (e.g. redis://127.0.0.1:6379); `bosun worker --queue` runs them')
    .option('--json <file>', 'write the report as JSON')
    .option('--html <file>', 'write the report as a self-contained HTML file')
    .option('--best-config <file>', 'where to write the best config (default: optimize-<strategy>-run<id>.json)')
    .option('--fresh', 'start a new run even if an unfinished one with the same inputs exists (default: resume it)')
    .option('-q, --quiet', 'no progress and no summary on stdout')
    .action(async (o: Opts) => {
      const [{ runOptimize }, { PoolExecutor, defaultWorkers }, { QueueExecutor }, { Progress }, { renderOptimizeHtml }, { spaceSchema }] = await Promise.all([
        import('../../optimize/run.js'), import('../../optimize/executors.js'), import('../../optimize/queue.js'), import('../../optimize/progress.js'),
        import('../../optimize/report-html.js'), import('../../optimize/space-schema.js'),
      ]);
      const { config, file: configFile } = configFor({ ...o, data: undefined });
      const oc = config.backtest.optimize;
      const { symbol, file } = dataSpec(o.data, config, { ...o, data: undefined });
      const strategy = config.decision.strategy;
      let spaceRaw: unknown = oc.spaces[strategy];
      if (o.space) {
        try {
          spaceRaw = JSON.parse(readFileSync(o.space, 'utf8'));
        } catch (err) {
          throw new UsageError(`--space ${o.space}: ${(err as Error).message}`);
        }
      }
      if (spaceRaw === undefined) throw new UsageError(`no search space for preset ${strategy}: add backtest.optimize.spaces.${strategy} to the config or give --space FILE`);
      const sp = spaceSchema.safeParse(spaceRaw);
      if (!sp.success) throw new UsageError(`${o.space ?? `backtest.optimize.spaces.${strategy}`}: ${sp.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const objective = (o.objective ?? oc.objective) as typeof oc.objective;
      if (!['sharpe', 'sortino', 'calmar', 'profit_factor', 'expectancy'].includes(objective)) throw new UsageError(`--objective ${o.objective}: use sharpe, sortino, calmar, profit_factor or expectancy`);
      const sampler = o.sampler ?? oc.sampler;
      if (sampler !== 'tpe' && sampler !== 'random') throw new UsageError(`--sampler ${o.sampler}: use tpe or random`);
      const trials = o.trials === undefined ? oc.trials : int('--trials', o.trials, 1);
      const seed = int('--seed', o.seed ?? '1', 0);
      const workers = o.workers === undefined ? oc.workers ?? defaultWorkers() : int('--workers', o.workers, 1);
      if (o.queue !== undefined && !/^rediss?:\/\//.test(o.queue)) throw new UsageError(`--queue ${o.queue}: expected a Redis URL like redis://127.0.0.1:6379`);
      await withDb(config, async (pool) => {
        const data = await loadData({ ...o, data: file, symbol }, config, symbol, pool);
        const overrides = await loadOverrides(pool, strategy);
        const progress = new Progress(trials, process.stderr, !!o.quiet, oc.batchSize);
        let runId: number | null = null;
        const report = await runOptimize({
          config, configFile, data, symbol, overrides, space: sp.data, objective,
          spec: { trials, seed, batchSize: oc.batchSize, sampler: { kind: sampler, startupTrials: oc.startupTrials, candidates: oc.candidates, gammaMax: oc.gammaMax, priorWeight: oc.priorWeight }, prune: oc.prune },
        }, {
          pool, fresh: !!o.fresh,
          bestConfigFile: (id) => o.bestConfig ?? `optimize-${strategy}-run${id ?? 0}.json`,
          executor: (c, key, id) => (o.queue ? new QueueExecutor(o.queue, oc.queue, c, key, `${key.slice(0, 16)}-r${id ?? 0}`) : new PoolExecutor(c, workers)),
          onStart: (s) => {
            runId = s.runId;
            if (!o.quiet) process.stdout.write(`optimize ${strategy} on ${data.source} (${symbol}): ${trials} trials, ${sampler}, seed ${seed}, objective ${objective}, ${o.queue ? `queue ${o.queue}` : `${workers} worker thread(s)`}; run #${s.runId}${s.resumed ? `, resumed with ${s.resumed} trials done` : ''}\n`);
            progress.start(s.done);
          },
          onTrial: (r, done) => progress.update(r, done),
        });
        if (o.json) writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
        if (o.html) writeFileSync(o.html, renderOptimizeHtml(report));
        if (o.quiet) return;
        const b = report.best;
        const n = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));
        const lines = [
          `trials: ${report.trials.total} (${report.trials.complete} complete, ${report.trials.pruned} pruned, ${report.trials.failed} failed, ${report.trials.duplicates} repeated parameters)`,
          b ? `best: trial #${b.number}, ${objective} ${n(b.value)}: ${Object.entries(b.params).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`).join(' ')}` : 'best: no trial completed',
          b ? `in sample: return ${(b.inSample.totalReturn * 100).toFixed(2)} %, sharpe ${n(b.inSample.sharpe, 2)}, max dd ${(b.inSample.maxDrawdown * 100).toFixed(2)} %, ${b.inSample.trades} trades` : '',
          report.oos.pooled ? `out of sample (walk-forward, ${report.oos.windows.length} windows): return ${(report.oos.pooled.totalReturn * 100).toFixed(2)} %, sharpe ${n(report.oos.pooled.sharpe, 2)}, max dd ${(report.oos.pooled.maxDrawdown * 100).toFixed(2)} %, ${report.oos.pooled.trades} trades` : '',
          `deflated Sharpe ratio ${n(report.deflatedSharpe)} (gate ≥ ${config.backtest.gate.minDeflatedSharpe ?? 'off'}), PBO ${n(report.pbo)} (gate ≤ ${config.backtest.gate.maxPbo ?? 'off'})`,
          report.bestConfig?.file ? `best config written to ${report.bestConfig.file} (config ${report.bestConfig.hash.slice(0, 12)})` : '',
          `recorded as optimize run #${runId} in ${safeDbUrl(config.db.url)}${o.json ? `; JSON ${o.json}` : ''}${o.html ? `; HTML ${o.html}` : ''}`,
        ];
        process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);
        if (!b) ctx.code = 1;
      });
    });
}
