// `bosun data download [--derivatives]` (paginated, resumable, via the exchange gateway) and `bosun data import FILE
// [--kind candles|metrics|funding]` (candle CSVs, Binance's derivatives archive files). Guarantees: a download can be
// interrupted and re-run without gaps or duplicates; a bad row is reported with its line number and nothing is
// imported; importing the same file twice changes nothing.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ScaledClock, WallClock, type Clock } from '../../clock/clock.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { TIMEFRAME_MS, TIMEFRAMES } from '../../domain/timeframes.js';
import { DataError } from '../../errors.js';
import { fetchVenueClock } from '../../daemon/venue-link.js';
import { createLogger } from '../../log/logger.js';
import { CsvError } from '../../market/csv.js';
import { guessArchive, readArchiveText, type ArchiveKind } from '../../market/derivatives-archive.js';
import { downloadDerivatives, importDerivatives } from '../../market/derivatives-download.js';
import { downloadCandles, guessFromFileName, importCandles } from '../../market/download.js';
import type { Timeframe } from '../../protocol/index.js';
import { prepareDatabase } from '../../store/migrate.js';
import { createPool, safeDbUrl } from '../../store/pool.js';
import { progressBar, type Progress } from '../progress.js';
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
    .description('download candles into the candles table, or with --derivatives the 5-minute statistics and funding history (paginated; re-run to resume)')
    .requiredOption('-s, --symbol <symbol>', 'unified symbol, e.g. BTC/USDT:USDT')
    .option('--tf <tf>', 'timeframe', '1m')
    .requiredOption('--from <time>', 'first candle (ISO 8601 or epoch ms)')
    .option('--to <time>', 'end, exclusive (default: now)')
    .option('--derivatives', 'open interest, long/short ratios, taker volume (derivatives_metrics) and funding history (funding_rates) instead of candles; Binance keeps 30 days of statistics (older: bosun data import of the archive files)')
    .option('-c, --config <file>', 'config file (exchange environment and database)')
    .action(async (o: { symbol: string; tf: string; from: string; to?: string; derivatives?: boolean; config?: string }) => {
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
      // On a terminal a bar per series (done / total minutes of the period, rate, ETA); piped, nothing until the summary.
      const from = time(o.from);
      const to = o.to ? time(o.to) : clock.now();
      const span = Math.max(1, Math.ceil((to - from) / 60_000));
      const bars = new Map<string, Progress>();
      const pageDone = (what: string, unit: string, last: number, stepMs: number) => {
        if (!bars.has(what)) {
          for (const b of bars.values()) b.stop();
          bars.set(what, progressBar(`${o.symbol} ${what}`, unit, Math.ceil(span * 60_000 / stepMs)));
        }
        bars.get(what)!.update(Math.min(Math.ceil(span * 60_000 / stepMs), Math.max(0, Math.floor((last - from) / stepMs) + 1)));
      };
      const stopBars = () => { for (const b of bars.values()) b.stop(); };
      if (o.derivatives) {
        try {
          const r = await withDb(config, (pool) =>
            downloadDerivatives(pool, gw, { symbol: o.symbol, from, to, onPage: (what, _n, last) => pageDone(what, what === 'funding' ? 'hours' : 'periods', last, what === 'funding' ? 3_600_000 : 300_000) }),
          ).finally(stopBars);
          process.stdout.write(`${o.symbol} derivatives: ${r.metrics} metrics rows (${iso(r.first)} → ${iso(r.last)}, ${r.metricsPages} pages, started at ${iso(r.resumedFrom.metrics)}), ${r.funding} funding rates (${r.fundingPages} pages, started at ${iso(r.resumedFrom.funding)})${r.dropped ? `, ${r.dropped} invalid values dropped` : ''} into ${safeDbUrl(config.db.url)}\n`);
        } finally {
          await gw.close();
        }
        ctx.code = 0;
        return;
      }
      try {
        const tf = tfOf(o.tf);
        const r = await withDb(config, (pool) =>
          downloadCandles(pool, gw, {
            symbol: o.symbol, tf, from, to: o.to ? to : null,
            onPage: (_n, last) => pageDone(`${tf} candles`, 'candles', last, TIMEFRAME_MS[tf]),
          }),
        ).finally(stopBars);
        process.stdout.write(`${o.symbol} ${o.tf}: ${r.fetched} candles downloaded (${iso(r.first)} → ${iso(r.last)}, ${r.pages} requests, started at ${iso(r.resumedFrom)}) into ${safeDbUrl(config.db.url)}\n`);
      } finally {
        await gw.close();
      }
      ctx.code = 0;
    });
  data
    .command('import <file>')
    .description('import a candle CSV (Binance kline dump or open_time,open,high,low,close,volume), or a Binance metrics / fundingRate archive file (.csv or .zip); all or nothing')
    .option('-s, --symbol <symbol>', 'unified symbol (default: from the file name, e.g. btcusdt-… → BTC/USDT:USDT)')
    .option('--tf <tf>', 'timeframe of a candle file (default: from the file name, else 1m)')
    .option('--kind <kind>', 'candles, metrics (create_time,symbol,sum_open_interest,…) or funding (calc_time,funding_interval_hours,last_funding_rate); default: from the file name, else candles')
    .option('-c, --config <file>', 'config file (database)')
    .action(async (file: string, o: { symbol?: string; tf?: string; kind?: string; config?: string }) => {
      const { config } = loadConfig(configOf(o.config));
      const archive = guessArchive(file);
      const kind = o.kind ?? archive.kind ?? 'candles';
      if (kind !== 'candles' && kind !== 'metrics' && kind !== 'funding') throw new DataError(`--kind ${kind}: use candles, metrics or funding`);
      if (kind !== 'candles') {
        const symbol = o.symbol ?? archive.symbol ?? guessFromFileName(file).symbol;
        if (!symbol) throw new DataError(`cannot tell the symbol from ${file}: pass --symbol BTC/USDT:USDT`);
        try {
          const text = readArchiveText(file);
          const r = await withDb(config, (pool) => importDerivatives(pool, text, { kind: kind as ArchiveKind, symbol, file }));
          process.stdout.write(`${symbol} ${kind}: ${r.imported} rows imported (${iso(r.first)} → ${iso(r.last)}) into ${safeDbUrl(config.db.url)}\n`);
        } catch (err) {
          if (err instanceof CsvError) throw new DataError(err.message);
          if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') throw new DataError(`cannot read ${file}: ${(err as Error).message}`);
          throw err;
        }
        ctx.code = 0;
        return;
      }
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
