// Derivatives data in MariaDB: 5-minute metrics rows, live open-interest samples, settled funding, forced liquidations.
// Guarantees idempotence (the same rows written twice change nothing; a metrics column another source lacks is kept) and
// reads that never return a row stamped after the time asked about.
import type { Pool, PoolConnection } from 'mariadb';
import type { DerivativesMetrics, FundingSettlement, Liquidation, OpenInterestSample } from '../../protocol/index.js';

type Db = Pool | PoolConnection;
const CHUNK = 5000;

async function batch(db: Db, sql: string, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await db.batch(sql, rows.slice(i, i + CHUNK));
}

/** A float as its shortest exact decimal text (what the file or the exchange said), for DECIMAL columns. */
const dec8 = (x: number | null): string | null => (x === null ? null : String(x));

/** Upserts metrics rows; a column the new row lacks (null) keeps the stored value (the live feed merges five endpoints). */
export async function upsertMetrics(db: Db, rows: DerivativesMetrics[], source: string): Promise<void> {
  if (!rows.length) return;
  await batch(db,
    `INSERT INTO derivatives_metrics (symbol, ts, open_interest, open_interest_value, top_account_ratio, top_position_ratio, long_short_ratio, taker_buy_sell_ratio, source)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE open_interest = COALESCE(VALUES(open_interest), open_interest), open_interest_value = COALESCE(VALUES(open_interest_value), open_interest_value),
       top_account_ratio = COALESCE(VALUES(top_account_ratio), top_account_ratio), top_position_ratio = COALESCE(VALUES(top_position_ratio), top_position_ratio),
       long_short_ratio = COALESCE(VALUES(long_short_ratio), long_short_ratio), taker_buy_sell_ratio = COALESCE(VALUES(taker_buy_sell_ratio), taker_buy_sell_ratio)`,
    rows.map((r) => [r.symbol, r.ts, dec8(r.openInterest), dec8(r.openInterestValue), r.topTraderAccountRatio, r.topTraderPositionRatio, r.longShortRatio, r.takerBuySellRatio, source]),
  );
}

export async function upsertFunding(db: Db, rows: FundingSettlement[], source: string): Promise<void> {
  if (!rows.length) return;
  await batch(db,
    `INSERT INTO funding_rates (symbol, funding_time, rate, interval_hours, mark_price, source) VALUES (?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE rate = VALUES(rate), interval_hours = COALESCE(VALUES(interval_hours), interval_hours), mark_price = COALESCE(VALUES(mark_price), mark_price)`,
    rows.map((r) => [r.symbol, r.ts, String(r.rate), r.intervalHours, r.markPrice === null ? null : String(r.markPrice), source]),
  );
}

export async function insertOpenInterest(db: Db, rows: OpenInterestSample[], source: string): Promise<void> {
  if (!rows.length) return;
  await batch(db, 'INSERT IGNORE INTO open_interest (symbol, ts, open_interest, source) VALUES (?, ?, ?, ?)', rows.map((r) => [r.symbol, r.ts, String(r.openInterest), source]));
}

export async function insertLiquidations(db: Db, rows: Liquidation[], source: string): Promise<void> {
  if (!rows.length) return;
  await batch(db,
    'INSERT IGNORE INTO liquidations (symbol, ts, side, price, avg_price, qty, notional, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    rows.map((r) => [r.symbol, r.ts, r.side, String(r.price), String(r.avgPrice), String(r.qty), r.notional, source]),
  );
}

interface MetricsRow {
  symbol: string; ts: number; open_interest: string | null; open_interest_value: string | null;
  top_account_ratio: number | null; top_position_ratio: number | null; long_short_ratio: number | null; taker_buy_sell_ratio: number | null;
}
const n = (v: string | number | null): number | null => (v === null ? null : Number(v));
const toMetrics = (r: MetricsRow): DerivativesMetrics => ({
  symbol: r.symbol, ts: Number(r.ts), openInterest: n(r.open_interest), openInterestValue: n(r.open_interest_value),
  topTraderAccountRatio: n(r.top_account_ratio), topTraderPositionRatio: n(r.top_position_ratio), longShortRatio: n(r.long_short_ratio), takerBuySellRatio: n(r.taker_buy_sell_ratio),
});

/** Metrics rows stamped in [from, to), oldest first. */
export async function metricsBetween(db: Db, symbol: string, from: number, to: number): Promise<DerivativesMetrics[]> {
  return (await db.query<MetricsRow[]>('SELECT * FROM derivatives_metrics WHERE symbol = ? AND ts >= ? AND ts < ? ORDER BY ts', [symbol, from, to])).map(toMetrics);
}

export async function fundingBetween(db: Db, symbol: string, from: number, to: number): Promise<FundingSettlement[]> {
  const rows = await db.query<Array<{ symbol: string; funding_time: number; rate: string; interval_hours: number | null; mark_price: string | null }>>(
    'SELECT symbol, funding_time, rate, interval_hours, mark_price FROM funding_rates WHERE symbol = ? AND funding_time >= ? AND funding_time < ? ORDER BY funding_time', [symbol, from, to]);
  return rows.map((r) => ({ symbol: r.symbol, ts: Number(r.funding_time), rate: Number(r.rate), intervalHours: r.interval_hours, markPrice: n(r.mark_price) }));
}

export async function liquidationsBetween(db: Db, symbol: string, from: number, to: number): Promise<Liquidation[]> {
  const rows = await db.query<Array<{ symbol: string; ts: number; side: 'buy' | 'sell'; price: string; avg_price: string; qty: string; notional: number }>>(
    'SELECT symbol, ts, side, price, avg_price, qty, notional FROM liquidations WHERE symbol = ? AND ts >= ? AND ts < ? ORDER BY ts, id', [symbol, from, to]);
  return rows.map((r) => ({ symbol: r.symbol, ts: Number(r.ts), side: r.side, price: Number(r.price), avgPrice: Number(r.avg_price), qty: Number(r.qty), notional: Number(r.notional) }));
}

export async function openInterestBetween(db: Db, symbol: string, from: number, to: number): Promise<OpenInterestSample[]> {
  const rows = await db.query<Array<{ symbol: string; ts: number; open_interest: string }>>('SELECT symbol, ts, open_interest FROM open_interest WHERE symbol = ? AND ts >= ? AND ts < ? ORDER BY ts', [symbol, from, to]);
  return rows.map((r) => ({ symbol: r.symbol, ts: Number(r.ts), openInterest: Number(r.open_interest) }));
}

/** Latest stamp stored per kind (a download resumes after it). */
export async function lastMetricsTs(db: Db, symbol: string, from: number, to: number): Promise<number | null> {
  const [r] = await db.query<Array<{ t: number | null }>>('SELECT MAX(ts) AS t FROM derivatives_metrics WHERE symbol = ? AND ts >= ? AND ts < ? AND open_interest IS NOT NULL AND long_short_ratio IS NOT NULL AND top_position_ratio IS NOT NULL AND taker_buy_sell_ratio IS NOT NULL', [symbol, from, to]);
  return r?.t === null || r?.t === undefined ? null : Number(r.t);
}

export async function lastFundingTs(db: Db, symbol: string, from: number, to: number): Promise<number | null> {
  const [r] = await db.query<Array<{ t: number | null }>>('SELECT MAX(funding_time) AS t FROM funding_rates WHERE symbol = ? AND funding_time >= ? AND funding_time < ?', [symbol, from, to]);
  return r?.t === null || r?.t === undefined ? null : Number(r.t);
}
