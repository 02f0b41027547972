// Candles in MariaDB: idempotent batch upserts and ordered reads.
// Guarantees one row per (symbol, timeframe, open time); a replayed candle overwrites, never duplicates.
import type { Pool } from 'mariadb';
import type { Candle, Timeframe } from '../../protocol/index.js';

interface Row {
  symbol: string;
  tf: Timeframe;
  open_time: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  taker_buy_volume: string | null;
}

export const rowToCandle = (r: Row): Candle => ({
  symbol: r.symbol, tf: r.tf, openTime: r.open_time, open: Number(r.open), high: Number(r.high), low: Number(r.low),
  close: Number(r.close), volume: Number(r.volume), ...(r.taker_buy_volume !== null ? { takerBuyVolume: Number(r.taker_buy_volume) } : {}), closed: true,
});

export async function upsertCandles(pool: Pool, candles: Candle[], source: string): Promise<void> {
  if (!candles.length) return;
  const rows = candles.map((c) => [c.symbol, c.tf, c.openTime, c.open, c.high, c.low, c.close, c.volume, c.takerBuyVolume ?? null, source]);
  await pool.batch(
    `INSERT INTO candles (symbol, tf, open_time, open, high, low, close, volume, taker_buy_volume, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE open = VALUES(open), high = VALUES(high), low = VALUES(low), close = VALUES(close), volume = VALUES(volume), taker_buy_volume = VALUES(taker_buy_volume), source = VALUES(source)`,
    rows,
  );
}

export async function lastCandle(pool: Pool, symbol: string, tf: Timeframe): Promise<Candle | null> {
  const rows = await pool.query<Row[]>('SELECT * FROM candles WHERE symbol = ? AND tf = ? ORDER BY open_time DESC LIMIT 1', [symbol, tf]);
  return rows[0] ? rowToCandle(rows[0]) : null;
}

/** The most recent `n` candles, oldest first. */
export async function recentCandles(pool: Pool, symbol: string, tf: Timeframe, n: number): Promise<Candle[]> {
  const rows = await pool.query<Row[]>('SELECT * FROM (SELECT * FROM candles WHERE symbol = ? AND tf = ? ORDER BY open_time DESC LIMIT ?) t ORDER BY open_time', [symbol, tf, n]);
  return rows.map(rowToCandle);
}

export async function candlesBetween(pool: Pool, symbol: string, tf: Timeframe, from: number, to: number): Promise<Candle[]> {
  const rows = await pool.query<Row[]>('SELECT * FROM candles WHERE symbol = ? AND tf = ? AND open_time >= ? AND open_time < ? ORDER BY open_time', [symbol, tf, from, to]);
  return rows.map(rowToCandle);
}
