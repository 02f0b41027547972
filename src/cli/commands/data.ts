// `bosun data download` (paginated, resumable, via the exchange gateway) and `bosun data import FILE.csv`.
// Guarantees: a download can be interrupted and re-run without gaps or duplicates; a bad CSV row is reported with
// its line number and nothing is imported.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ScaledClock, WallClock, type Clock } from '../../clock/clock.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { TIMEFRAMES } from '../../domain/timeframes.js';
import { DataError } from '../../errors.js';
import { fetchVenueClock } from '../../daemon/venue-link.js';
import { createLogger } from '../../log/logger.js';
import { CsvError } from '../../market/csv.js';
import { downloadCandles, guessFromFileName, importCandles } from '../../market/download.js';
import type { Timeframe } from '../../protocol/index.js';
import { prepareDatabase } from '../../store/migrate.js';
import { createPool, safeDbUrl } from '../../store/pool.js';
import { configOf, type CliContext } from '../shared.js';

const time = (s: string): number => {
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new DataError(`not a time: ${s} (use ISO 8601, e.g. 2024-01-01T00:00Z, or epoch ms)`);
  return t;
};
const tfOf = (s: string): Timeframe => {
  if (!(TIMEFRAMES as string[]).includes(s)) throw new DataError(`unknown timeframe ${s}: use one of ${TIMEFRAMES.join(', ')}`);
  return s as Timeframe;
};
const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());

async function withDb<T>(config: Config, fn: (pool: ReturnType<typeof createPool>) => Promise<T>): Promise<T> {
  await prepareDatabase(config.db.url, config.mode, config.db.connectTimeoutMs);
  const pool = createPool({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export function register(program: Command, ctx: CliContext): void {
  const data = program.command('data').description('market data: download over the exchange API, import CSV files');
  data
    .command('download')
    .description('download candles into the candles table (paginated; re-run to resume)')
    .requiredOption('-s, --symbol <symbol>', 'unified symbol, e.g. BTC/USDT:USDT')
    .option('--tf <tf>', 'timeframe', '1m')
    .requiredOption('--from <time>', 'first candle (ISO 8601 or epoch ms)')
    .option('--to <time>', 'end, exclusive (default: now)')
    .option('-c, --config <file>', 'config file (exchange environment and database)')
    .action(async (o: { symbol: string; tf: string; from: string; to?: string; config?: string }) => {
      const { config } = loadConfig(configOf(o.config));
      const log = createLogger({ level: 'warn', name: 'data', sync: true });
      // Paper candles carry the venue's simulated time: closed-ness is judged on the venue's clock.
      let clock: Clock = new WallClock();
      if (config.mode === 'paper') {
        if (!config.exchange.url) throw new DataError('paper mode downloads from a running venue: start `bosun venue` and set exchange.url (or BOSUN_VENUE_URL)');
        const c = await fetchVenueClock(config.exchange.url, 3);
        clock = new ScaledClock({ simStart: c.simStart, wallStart: c.wallStart, speed: c.speed });
      }
      // ccxt is large: loaded only by the command that needs it, so other commands start fast.
      const { gatewayFromConfig } = await import('../../exchange/from-config.js');
      const gw = gatewayFromConfig(config, { now: () => clock.now(), log, private: false });
      try {
        const r = await withDb(config, (pool) =>
          downloadCandles(pool, gw, {
            symbol: o.symbol, tf: tfOf(o.tf), from: time(o.from), to: o.to ? time(o.to) : null,
            onPage: (n, last) => process.stderr.write(`  ${n} candles, up to ${iso(last)}\n`),
          }),
        );
        process.stdout.write(`${o.symbol} ${o.tf}: ${r.fetched} candles downloaded (${iso(r.first)} → ${iso(r.last)}, ${r.pages} requests, started at ${iso(r.resumedFrom)}) into ${safeDbUrl(config.db.url)}\n`);
      } finally {
        await gw.close();
      }
      ctx.code = 0;
    });
  data
    .command('import <file>')
    .description('import a candle CSV (Binance kline dump or open_time,open,high,low,close,volume); all or nothing')
    .option('-s, --symbol <symbol>', 'unified symbol (default: from the file name, e.g. btcusdt-… → BTC/USDT:USDT)')
    .option('--tf <tf>', 'timeframe (default: from the file name, else 1m)')
    .option('-c, --config <file>', 'config file (database)')
    .action(async (file: string, o: { symbol?: string; tf?: string; config?: string }) => {
      const { config } = loadConfig(configOf(o.config));
      const guess = guessFromFileName(file);
      const symbol = o.symbol ?? guess.symbol;
      if (!symbol) throw new DataError(`cannot tell the symbol from ${file}: pass --symbol BTC/USDT:USDT`);
      const tf = tfOf(o.tf ?? guess.tf ?? '1m');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new DataError(`cannot read ${file}: ${(err as Error).message}`);
      }
      try {
        const r = await withDb(config, (pool) => importCandles(pool, text, { symbol, tf, file }));
        process.stdout.write(`${symbol} ${tf}: ${r.imported} candles imported (${iso(r.first)} → ${iso(r.last)}) into ${safeDbUrl(config.db.url)}\n`);
      } catch (err) {
        if (err instanceof CsvError) throw new DataError(err.message);
        throw err;
      }
      ctx.code = 0;
    });
}
