// `bosun promote --config X --to testnet|mainnet`: the promotion gate on the latest backtest and walk-forward of X's
// exact config hash (and, for mainnet, the paper/testnet track record of its strategy). Guarantees every request is
// recorded in X's database with its verdict and reasons; only a passed one lets a mainnet daemon start on X.
import { existsSync } from 'node:fs';
import { userInfo, hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { configIdentity } from '../../backtest/config-hash.js';
import { configFor, UsageError, withDb } from '../../backtest/cli-support.js';
import { evaluateGate, type TrackRecord } from '../../backtest/promotion.js';
import { loadConfig } from '../../config/load.js';
import { ExitCode } from '../../errors.js';
import { createPool, safeDbUrl } from '../../store/pool.js';
import { insertPromotion, latestBacktest, latestBacktestOfStrategy, latestWalkforward, trackRecordRows } from '../../store/repos/backtest.js';
import { latestRunForConfig } from '../../optimize/store.js';
import type { CliContext } from '../shared.js';

type Opts = { config?: string; to: string; trackRecord?: string[]; by?: string };

/** The track record a paper/testnet config's database holds for the strategy (none when the database is missing). */
async function trackRecordOf(file: string, strategyHash: string, strategy: string): Promise<TrackRecord> {
  const { config } = loadConfig(file);
  if (config.mode === 'mainnet') throw new UsageError(`--track-record ${file}: a mainnet config is not a paper/testnet track record`);
  const empty: TrackRecord = { source: basename(file), mode: config.mode, runs: 0, days: 0, trades: 0, wins: 0, grossProfit: 0, grossLoss: 0, netPnl: 0 };
  const pool = createPool({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 1 });
  try {
    const r = await trackRecordRows(pool, strategyHash, strategy);
    const wins = r.pnls.filter((p) => p > 0);
    const losses = r.pnls.filter((p) => p < 0);
    return {
      ...empty, runs: r.runs, days: r.days, trades: r.pnls.length, wins: wins.length,
      grossProfit: wins.reduce((a, p) => a + p, 0), grossLoss: -losses.reduce((a, p) => a + p, 0), netPnl: r.pnls.reduce((a, p) => a + p, 0),
    };
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    if (errno === 1049 || errno === 1146) return empty; // no such database / not migrated: nothing recorded there
    throw err;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** The latest optimize run whose best config has this hash, in another config's database (searches usually run on paper). */
async function optimizeRunIn(file: string, hash: string): Promise<Awaited<ReturnType<typeof latestRunForConfig>>> {
  const { config } = loadConfig(file);
  const pool = createPool({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 1 });
  try {
    return await latestRunForConfig(pool, hash);
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    if (errno === 1049 || errno === 1146) return null;
    throw err;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('promote')
    .description('promote a config to testnet or mainnet: its latest backtest and walk-forward must pass the gate (mainnet: and a paper/testnet track record)')
    .requiredOption('-c, --config <file>', 'the config file that will run on the target (its mode must be the target)')
    .requiredOption('--to <target>', 'testnet or mainnet')
    .option('--track-record <files...>', 'paper/testnet config files whose databases hold the track record (default: testnet.json and paper.json next to --config)')
    .option('--by <who>', 'who asks (default: user@host)')
    .action(async (o: Opts) => {
      if (o.to !== 'testnet' && o.to !== 'mainnet') throw new UsageError(`--to ${o.to}: use testnet or mainnet`);
      const { config, file } = configFor(o);
      if (config.mode !== o.to) throw new UsageError(`${file} runs ${config.mode} mode: promote the config file that will run on ${o.to} (mode "${o.to}")`);
      const id = configIdentity(config);
      const strategy = config.decision.strategy;
      let tracks: TrackRecord[] = [];
      if (o.to === 'mainnet') {
        const files = o.trackRecord?.map((f) => resolve(f)) ?? ['testnet.json', 'paper.json'].map((f) => join(dirname(file), f)).filter((f) => existsSync(f) && f !== file);
        tracks = await Promise.all(files.map((f) => trackRecordOf(f, id.strategyHash, strategy)));
      }
      const by = o.by ?? `cli:${userInfo().username}@${hostname()}`;
      // An optimized config is judged by its search wherever it ran: this database, else the paper/testnet ones beside it.
      let elsewhere: Awaited<ReturnType<typeof latestRunForConfig>> = null;
      for (const f of ['testnet.json', 'paper.json'].map((x) => join(dirname(file), x)).filter((f) => existsSync(f) && f !== file)) {
        elsewhere ??= await optimizeRunIn(f, id.hash);
      }
      const verdict = await withDb(config, async (pool) => {
        const [backtest, walk, other, optimizeRun] = await Promise.all([latestBacktest(pool, id.hash), latestWalkforward(pool, id.hash), latestBacktestOfStrategy(pool, strategy), latestRunForConfig(pool, id.hash)]);
        const g = evaluateGate({ target: o.to as 'testnet' | 'mainnet', hash: id.hash, gate: config.backtest.gate, trackGate: config.backtest.trackRecord, now: Date.now(), backtest, walkforward: walk, otherBacktest: other, trackRecords: tracks, optimizeRun: optimizeRun ?? elsewhere });
        const pid = await insertPromotion(pool, {
          configHash: id.hash, strategyHash: id.strategyHash, strategy, target: o.to as 'testnet' | 'mainnet', passed: g.passed, reasons: g.passed ? g.checks : g.reasons,
          backtestRunId: backtest?.id ?? null, walkforwardRunId: walk?.id ?? null, trackRecord: o.to === 'mainnet' ? tracks : null, requestedBy: by,
        }, Date.now());
        return { ...g, pid };
      });
      const head = `${basename(file)} (${strategy}, config ${id.hash.slice(0, 12)}) → ${o.to}`;
      for (const c of verdict.checks) process.stdout.write(`  ok   ${c}\n`);
      if (verdict.passed) {
        process.stdout.write(`PROMOTED ${head}: promotion #${verdict.pid} recorded in ${safeDbUrl(config.db.url)}\n`);
        return;
      }
      ctx.code = ExitCode.failure;
      process.stderr.write(`REFUSED ${head} (promotion request #${verdict.pid} recorded as refused):\n${verdict.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
    });
}
