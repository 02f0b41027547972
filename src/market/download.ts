// Candle download and import into the candles table: paginated and resumable over any ExchangeGateway, and
// all-or-nothing from CSV files. Guarantees: a download resumes after the last stored candle of its range and stores
// only closed candles; an import validates every row first and writes them in one transaction.
import type { Pool } from 'mariadb';
import { TIMEFRAME_MS } from '../domain/timeframes.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { Candle, Timeframe } from '../protocol/index.js';
import { inTx } from '../store/tx.js';
import { parseCandleCsv } from './csv.js';

const UPSERT = `INSERT INTO candles (symbol, tf, open_time, open, high, low, close, volume, taker_buy_volume, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON DUPLICATE KEY UPDATE open = VALUES(open), high = VALUES(high), low = VALUES(low), close = VALUES(close), volume = VALUES(volume), taker_buy_volume = VALUES(taker_buy_volume), source = VALUES(source)`;
const row = (c: Candle, source: string) => [c.symbol, c.tf, c.openTime, c.open, c.high, c.low, c.close, c.volume, c.takerBuyVolume ?? null, source];

export interface DownloadResult {
  fetched: number;
  pages: number;
  resumedFrom: number;
  first: number | null;
  last: number | null;
}

/** Downloads [from, to) (to = now if null), resuming after the last candle already stored in that range. */
export async function downloadCandles(
  pool: Pool, gw: ExchangeGateway, o: { symbol: string; tf: Timeframe; from: number; to: number | null; pageSize?: number; onPage?: (n: number, last: number) => void },
): Promise<DownloadResult> {
  const tfMs = TIMEFRAME_MS[o.tf];
  const from = Math.ceil(o.from / tfMs) * tfMs;
  const [stored] = await pool.query<Array<{ t: number | null }>>('SELECT MAX(open_time) AS t FROM candles WHERE symbol = ? AND tf = ? AND open_time >= ? AND open_time < ?', [o.symbol, o.tf, from, o.to ?? Number.MAX_SAFE_INTEGER]);
  let cursor = stored?.t !== null && stored?.t !== undefined ? Number(stored.t) + tfMs : from;
  const res: DownloadResult = { fetched: 0, pages: 0, resumedFrom: cursor, first: null, last: null };
  for (;;) {
    if (o.to !== null && cursor >= o.to) break;
    const page = (await gw.fetchOhlcv(o.symbol, o.tf, cursor, o.pageSize ?? 1500)).filter((c) => c.closed && c.openTime >= cursor && (o.to === null || c.openTime < o.to));
    res.pages++;
    if (!page.length) break;
    await pool.batch(UPSERT, page.map((c) => row(c, 'download')));
    res.fetched += page.length;
    res.first ??= page[0]!.openTime;
    res.last = page.at(-1)!.openTime;
    cursor = res.last + tfMs;
    o.onPage?.(res.fetched, res.last);
  }
  return res;
}

/** Parses the whole file (any bad row aborts with its line number), then writes every candle in one transaction. */
export async function importCandles(pool: Pool, text: string, o: { symbol: string; tf: Timeframe; file: string }): Promise<{ imported: number; first: number; last: number }> {
  const candles = parseCandleCsv(text, o);
  await inTx(pool, async (conn) => {
    for (let i = 0; i < candles.length; i += 5000) await conn.batch(UPSERT, candles.slice(i, i + 5000).map((c) => row(c, 'import')));
  });
  return { imported: candles.length, first: candles[0]!.openTime, last: candles.at(-1)!.openTime };
}

/** Symbol and timeframe from a file name like `btcusdt-1m-2023-03-01_21.csv` or `BTCUSDT-5m-2024-01.csv`. */
export function guessFromFileName(file: string): { symbol?: string; tf?: Timeframe } {
  const base = file.split('/').pop()!.toUpperCase();
  const m = /^([A-Z0-9]+?)(USDT|USDC|BUSD)[-_]/.exec(base);
  const tf = /[-_](1M|5M|15M|1H|4H)[-_.]/.exec(base)?.[1]?.toLowerCase() as Timeframe | undefined;
  return { ...(m ? { symbol: `${m[1]}/${m[2]}:${m[2]}` } : {}), ...(tf ? { tf } : {}) };
}
