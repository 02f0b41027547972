// What `bosun backtest|walkforward|train|promote` share: the config (with a --strategy override), the database of
// the config's mode, the candles (--data [SYMBOL=]FILE, repeatable for backtests | --from/--to). Guarantees a bad flag
// names itself and the fix.
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
  /** `FILE` or `SYMBOL=FILE`; several (backtest) each name their symbol. */
  data?: string | string[];
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

const PERPETUAL = /^[A-Z0-9]+\/[A-Z0-9]+:[A-Z0-9]+$/;

export interface DataSpec {
  /** The symbol named by `SYMBOL=FILE`, or null for a plain `FILE`. */
  symbol: string | null;
  file: string;
}

/** `--data` values: `FILE` or `SYMBOL=FILE` (the symbol a perpetual like ETH/USDT:USDT). */
export function dataSpecs(data: string | string[] | undefined): DataSpec[] {
  return (data === undefined ? [] : Array.isArray(data) ? data : [data]).map((d) => {
    const eq = d.indexOf('=');
    const head = eq > 0 ? d.slice(0, eq) : '';
    if (PERPETUAL.test(head)) return { symbol: head, file: d.slice(eq + 1) };
    if (/^[A-Za-z0-9]+\/[A-Za-z0-9]+(:[A-Za-z0-9]+)?$/.test(head)) throw new UsageError(`--data ${d}: expected SYMBOL=FILE with a perpetual like ETH/USDT:USDT, or a file`);
    return { symbol: null, file: d };
  });
}

/** The one symbol of train/walk-forward: named by --data SYMBOL=FILE, else --symbol, else the config's first. */
export function symbolFor(config: Config, o: DataFlags): string {
  const specs = dataSpecs(o.data);
  if (specs.length > 1) throw new UsageError('one --data only here (several symbols are for bosun backtest)');
  const named = specs[0]?.symbol ?? null;
  if (named && o.symbol && named !== o.symbol) throw new UsageError(`--data names ${named} but --symbol says ${o.symbol}: give one`);
  const s = named ?? o.symbol ?? config.symbols[0]!;
  if (!PERPETUAL.test(s)) throw new UsageError(`--symbol ${s}: expected a perpetual like BTC/USDT:USDT`);
  return s;
}

/**
 * The symbols of a backtest and the file of each (null: the candles table). Several --data each name their symbol
 * (`--data BTC/USDT:USDT=btc.csv --data ETH/USDT:USDT=eth.csv`); one plain `--data FILE` is the symbol of symbolFor; without
 * --data, --symbol or else every symbol of the config.
 */
export function symbolsFor(config: Config, o: DataFlags): Array<{ symbol: string; file: string | null }> {
  const specs = dataSpecs(o.data);
  if (specs.length <= 1) {
    const symbols = specs.length || o.symbol ? [symbolFor(config, o)] : config.symbols;
    return symbols.map((symbol) => ({ symbol, file: specs[0]?.file ?? null }));
  }
  const plain = specs.find((d) => d.symbol === null);
  if (plain) throw new UsageError(`--data ${plain.file}: with several --data, name each one's symbol (--data BTC/USDT:USDT=${plain.file})`);
  if (o.symbol) throw new UsageError('--symbol goes with one --data; several name their symbols (--data SYMBOL=FILE)');
  const twice = specs.find((d, k) => specs.findIndex((x) => x.symbol === d.symbol) !== k);
  if (twice) throw new UsageError(`--data: ${twice.symbol} is given twice`);
  return specs.map((d) => ({ symbol: d.symbol!, file: d.file }));
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
  return loadSymbol(o, config, symbol, dataSpecs(o.data)[0]?.file ?? null, pool);
}

/** loadData for each symbol of symbolsFor, in that order. */
export async function loadSeries(o: DataFlags, config: Config, pool: Pool): Promise<Array<CandleData & { symbol: string }>> {
  const out: Array<CandleData & { symbol: string }> = [];
  for (const { symbol, file } of symbolsFor(config, o)) out.push({ ...(await loadSymbol(o, config, symbol, file, pool)), symbol });
  return out;
}

async function loadSymbol(o: DataFlags, config: Config, symbol: string, file: string | null, pool: Pool): Promise<CandleData> {
  const from = o.from === undefined ? undefined : parseTime('--from', o.from);
  const to = o.to === undefined ? undefined : parseTime('--to', o.to);
  if (from !== undefined && to !== undefined && to <= from) throw new UsageError('--to must be after --from');
  let d: CandleData;
  if (file !== null) d = candlesFromFile(file, symbol, { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  else {
    if (from === undefined || to === undefined) throw new UsageError('give --data FILE.csv (or SYMBOL=FILE.csv), or --from and --to to read the candles table');
    d = await candlesFromDb(pool, symbol, from, to, config.analytics.warmupCandles);
    if (!d.candles.length) throw new InputRejectedError('no candles');
  }
  const a = config.analytics.derivatives;
  const first = (d.warmup[0] ?? d.candles[0]!).openTime;
  // Up to and including the last candle's close: a row stamped then is visible to the last snapshot.
  const end = d.candles.at(-1)!.openTime + 60_000;
  return withDerivatives(d, await derivativesFromDb(pool, symbol, first, end + 1, (a.oiWindowSec + 2 * a.maxAgeSec) * 1000));
}
