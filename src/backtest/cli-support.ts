// What `bosun backtest|walkforward|train|promote` share: the config (with a --strategy override), the database of
// the config's mode, the candles (--data FILE | --from/--to). Guarantees a bad flag names itself and the fix.
import type { Pool } from 'mariadb';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { BosunError, ExitCode, InputRejectedError } from '../errors.js';
import { prepareDatabase } from '../store/migrate.js';
import { createPool } from '../store/pool.js';
import { configOf } from '../cli/shared.js';
import { fromRoot } from '../paths.js';
import { candlesFromDb, candlesFromFile, withDerivatives, type CandleData } from './data.js';
import { derivativesFromDb } from './derivatives-feed.js';

export class UsageError extends BosunError {
  override readonly exitCode = ExitCode.usage;
}

export interface DataFlags {
  config?: string;
  strategy?: string;
  symbol?: string;
  data?: string;
  from?: string;
  to?: string;
}

export const parseTime = (flag: string, s: string): number => {
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new UsageError(`${flag} ${s}: not a time (use ISO 8601, e.g. 2023-03-01T00:00Z, or epoch ms)`);
  return t;
};

/**
 * The config file (default: $BOSUN_CONFIG, else config/backtest.json — the seeds' presets as config/default.json sets
 * them, recorded in their own database `bosun_backtest`, never paper's lively settings), with `--strategy` replacing
 * decision.strategy (it must name a preset).
 */
export function configFor(o: DataFlags): { config: Config; file: string } {
  const file = o.config === undefined && !process.env.BOSUN_CONFIG ? fromRoot('config', 'backtest.json') : configOf(o.config);
  const { config } = loadConfig(file);
  if (o.strategy === undefined) return { config, file };
  if (!config.decision.presets[o.strategy]) throw new UsageError(`--strategy ${o.strategy}: no such preset in ${file}; use one of ${Object.keys(config.decision.presets).join(', ')}`);
  return { config: { ...config, decision: { ...config.decision, strategy: o.strategy } }, file };
}

export function symbolFor(config: Config, o: DataFlags): string {
  const s = o.symbol ?? config.symbols[0]!;
  if (!/^[A-Z0-9]+\/[A-Z0-9]+:[A-Z0-9]+$/.test(s)) throw new UsageError(`--symbol ${s}: expected a perpetual like BTC/USDT:USDT`);
  return s;
}

/** Runs `fn` with a pool on the config's database (created and migrated if needed, mode checked). */
export async function withDb<T>(config: Config, fn: (pool: Pool) => Promise<T>): Promise<T> {
  await prepareDatabase(config.db.url, config.mode, config.db.connectTimeoutMs);
  const pool = createPool({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/**
 * Candles from --data FILE (optionally cut by --from/--to) or the candles table between --from and --to, with the
 * derivatives data the database holds for that period (what the flow view needs before its first bar, too).
 */
export async function loadData(o: DataFlags, config: Config, symbol: string, pool: Pool): Promise<CandleData> {
  const from = o.from === undefined ? undefined : parseTime('--from', o.from);
  const to = o.to === undefined ? undefined : parseTime('--to', o.to);
  if (from !== undefined && to !== undefined && to <= from) throw new UsageError('--to must be after --from');
  let d: CandleData;
  if (o.data) d = candlesFromFile(o.data, symbol, { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  else {
    if (from === undefined || to === undefined) throw new UsageError('give --data FILE.csv, or --from and --to to read the candles table');
    d = await candlesFromDb(pool, symbol, from, to, config.analytics.warmupCandles);
    if (!d.candles.length) throw new InputRejectedError('no candles');
  }
  const a = config.analytics.derivatives;
  const first = (d.warmup[0] ?? d.candles[0]!).openTime;
  // Up to and including the last candle's close: a row stamped then is visible to the last snapshot.
  const end = d.candles.at(-1)!.openTime + 60_000;
  return withDerivatives(d, await derivativesFromDb(pool, symbol, first, end + 1, (a.oiWindowSec + 2 * a.maxAgeSec) * 1000));
}
