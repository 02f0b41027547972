// Where the simulated venue's market comes from: the seeded synthetic generator, or a replay of stored candles
// (a CSV file per symbol, or the candles table of a database). Guarantees: a source is a pure lookup — the same
// (symbol, open time, previous close) always gives the same candle, so a restarted venue replays the same market.
import { readFileSync } from 'node:fs';
import type { Pool } from 'mariadb';
import { startPriceOf, synthCandle, type SynthParams } from '../../market/synthetic.js';
import { parseCandleCsv } from '../../market/csv.js';
import type { Candle } from '../../protocol/index.js';
import { candlesBetween } from '../../store/repos/candles.js';

const MINUTE = 60_000;

export interface MarketSource {
  readonly kind: 'synthetic' | 'replay';
  /** The closed 1m candle opening at `openTime`, or null when the source has none (replay gap or end). */
  candle(symbol: string, openTime: number, prevClose: number | null): Candle | null;
  /** Where a fresh venue's clock starts, leaving `historyMinutes` of market before it. */
  start(wallNow: number, historyMinutes: number): number;
  /** Last minute with data (replay), or null (synthetic never ends). */
  readonly end: number | null;
}

export function syntheticSource(p: SynthParams): MarketSource {
  return {
    kind: 'synthetic',
    end: null,
    candle: (symbol, openTime, prevClose) => synthCandle(p, symbol, openTime, prevClose ?? startPriceOf(p, symbol)),
    start: (wallNow) => Math.floor(wallNow / MINUTE) * MINUTE,
  };
}

export function replaySource(bySymbol: Record<string, Candle[]>): MarketSource {
  const maps = new Map(Object.entries(bySymbol).map(([s, cs]) => [s, new Map(cs.map((c) => [c.openTime, { ...c, symbol: s, tf: '1m' as const, closed: true }]))]));
  const firsts = Object.values(bySymbol).map((cs) => cs[0]?.openTime).filter((t): t is number => t !== undefined);
  const lasts = Object.values(bySymbol).map((cs) => cs.at(-1)?.openTime).filter((t): t is number => t !== undefined);
  if (!firsts.length) throw new Error('replay: no candles to replay');
  return {
    kind: 'replay',
    end: Math.max(...lasts),
    candle: (symbol, openTime) => maps.get(symbol)?.get(openTime) ?? null,
    start: (_wallNow, historyMinutes) => Math.min(...firsts) + historyMinutes * MINUTE,
  };
}

/** One CSV file per symbol (formats of `bosun data import`). */
export function replayFromCsv(files: Record<string, string>): MarketSource {
  const by: Record<string, Candle[]> = {};
  for (const [symbol, file] of Object.entries(files)) by[symbol] = parseCandleCsv(readFileSync(file, 'utf8'), { symbol, tf: '1m', file });
  return replaySource(by);
}

/** The 1m candles of a database's candles table (e.g. filled by `bosun data download` or `data import`). */
export async function replayFromDb(pool: Pool, symbols: string[]): Promise<MarketSource> {
  const by: Record<string, Candle[]> = {};
  for (const s of symbols) by[s] = await candlesBetween(pool, s, '1m', 0, Number.MAX_SAFE_INTEGER);
  return replaySource(by);
}
