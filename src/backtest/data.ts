// Candles for backtests, walk-forward and training: a CSV file (the shared `open_time,open,high,low,close,volume`
// format) or the candles table, plus the sha256 that identifies the replayed data. Guarantees a malformed or unordered
// file is refused whole with its line numbers (InputRejectedError), never half-used.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Pool } from 'mariadb';
import { InputRejectedError } from '../errors.js';
import type { Candle } from '../protocol/index.js';
import type { DerivativesHistory } from './derivatives-feed.js';
import { candlesBetween } from '../store/repos/candles.js';

export interface CandleData {
  candles: Candle[];
  /** Earlier candles that only warm the analytics engine up. */
  warmup: Candle[];
  source: string;
  sha256: string;
  /** Stored derivatives data of the period (open interest, ratios, funding, liquidations), when the database has any. */
  derivatives?: DerivativesHistory | null;
}

/** sha256 over the candles' numbers (not the file bytes): the same candles from a file or the table hash the same. */
export function candlesSha256(candles: Candle[]): string {
  const h = createHash('sha256');
  for (const c of candles) h.update(`${c.symbol},${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}\n`);
  return h.digest('hex');
}

export function parseCandles(text: string, symbol: string, file: string): Candle[] {
  const lines = text.split(/\r?\n/);
  while (lines.length && !lines.at(-1)!.trim()) lines.pop();
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const at = (n: string) => header.indexOf(n);
  const idx = { t: at('open_time'), o: at('open'), h: at('high'), l: at('low'), c: at('close'), v: at('volume') };
  if (Object.values(idx).some((i) => i < 0)) throw new InputRejectedError(`${file}: line 1 must be the header open_time,open,high,low,close,volume`);
  const problems: string[] = [];
  const out: Candle[] = [];
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split(',');
    const t = /^\d+$/.test(f[idx.t]?.trim() ?? '') ? Number(f[idx.t]) : Date.parse((f[idx.t] ?? '').trim().replace(' ', 'T'));
    const o = Number(f[idx.o]);
    const h = Number(f[idx.h]);
    const l = Number(f[idx.l]);
    const c = Number(f[idx.c]);
    const v = Number(f[idx.v]);
    const why = !Number.isFinite(t) ? 'open_time is not a time' : t % 60_000 ? 'open_time is not on a minute'
      : !(Number.isFinite(o) && Number.isFinite(h) && Number.isFinite(l) && Number.isFinite(c) && Number.isFinite(v)) ? 'a price or the volume is not a number'
      : !(l > 0) || h < Math.max(o, c, l) || l > Math.min(o, c) ? 'high/low do not contain open and close' : v < 0 ? 'volume is negative'
      : out.length && t <= out.at(-1)!.openTime ? 'not after the previous row' : null;
    if (why) {
      problems.push(`line ${i + 1}: ${why}`);
      if (problems.length >= 10) break;
      continue;
    }
    out.push({ symbol, tf: '1m', openTime: t, open: o, high: h, low: l, close: c, volume: v, closed: true });
  }
  if (problems.length) throw new InputRejectedError(`${file}: ${problems.length}${problems.length >= 10 ? '+' : ''} malformed row(s), nothing used:\n  ${problems.join('\n  ')}`);
  if (!out.length) throw new InputRejectedError(`${file}: no candles`);
  return out;
}

export function candlesFromFile(file: string, symbol: string, range: { from?: number; to?: number } = {}): CandleData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputRejectedError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const all = parseCandles(text, symbol, file);
  const candles = all.filter((c) => (range.from === undefined || c.openTime >= range.from) && (range.to === undefined || c.openTime < range.to));
  if (!candles.length) throw new InputRejectedError(`${file}: no candles between the given --from and --to`);
  return { candles, warmup: [], source: basename(file), sha256: candlesSha256(candles) };
}

/** `data` with the stored derivatives of its period, folded into its source name and sha256 (none stored: unchanged). */
export function withDerivatives(data: CandleData, derivatives: DerivativesHistory | null): CandleData {
  if (!derivatives) return { ...data, derivatives: null };
  const parts = [derivatives.metrics.length && `${derivatives.metrics.length} metrics rows`, derivatives.funding.length && `${derivatives.funding.length} funding rates`, derivatives.liquidations.length && `${derivatives.liquidations.length} liquidations`].filter(Boolean);
  return { ...data, derivatives, source: `${data.source} + derivatives (${parts.join(', ')})`, sha256: createHash('sha256').update(`${data.sha256}\n${derivatives.sha256}`).digest('hex') };
}

/** Candles of [from, to) from the table, and up to `warmupCandles` before `from` to warm the engine up (as the daemon does). */
export async function candlesFromDb(pool: Pool, symbol: string, from: number, to: number, warmupCandles: number): Promise<CandleData> {
  const candles = await candlesBetween(pool, symbol, '1m', from, to);
  if (!candles.length) throw new InputRejectedError(`the candles table has no 1m candles of ${symbol} between ${new Date(from).toISOString()} and ${new Date(to).toISOString()}: import or download them first (bosun data)`);
  const warmup = warmupCandles > 0 ? await candlesBetween(pool, symbol, '1m', from - warmupCandles * 60_000, from) : [];
  return { candles, warmup, source: 'candles table', sha256: candlesSha256([...warmup, ...candles]) };
}
