// Binance's public archive files of derivatives data (data.binance.vision, futures/um): `metrics` (5-minute open
// interest, long/short ratios, taker volume) and `fundingRate`, as CSV or the .zip they are published in; and the writer
// that produces the same files (for generated test data). Guarantees: every row is validated (times, finite and positive
// values where they must be); any bad row fails the whole parse with its line number, so callers import all or nothing.
import { readFileSync } from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import { z } from 'zod';
import type { DerivativesMetrics, FundingSettlement } from '../protocol/index.js';
import { CsvError } from './csv.js';
import { PERIOD_MS } from './derivatives-synth.js';

export const METRICS_HEADER = ['create_time', 'symbol', 'sum_open_interest', 'sum_open_interest_value', 'count_toptrader_long_short_ratio', 'sum_toptrader_long_short_ratio', 'count_long_short_ratio', 'sum_taker_long_short_vol_ratio'] as const;
export const FUNDING_HEADER = ['calc_time', 'funding_interval_hours', 'last_funding_rate'] as const;

export type ArchiveKind = 'metrics' | 'funding';

/** The text of an archive file: a CSV, or the single CSV inside a .zip. */
export function readArchiveText(file: string): string {
  const bytes = readFileSync(file);
  if (!file.toLowerCase().endsWith('.zip')) return bytes.toString('utf8');
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(new Uint8Array(bytes));
  } catch (err) {
    throw new CsvError([{ line: 0, message: `not a readable zip archive: ${(err as Error).message}` }], file);
  }
  const csv = Object.keys(entries).filter((n) => n.toLowerCase().endsWith('.csv'));
  if (csv.length !== 1) throw new CsvError([{ line: 0, message: `expected one .csv inside the zip, found ${csv.length}` }], file);
  return strFromU8(entries[csv[0]!]!);
}

/** Binance's venue id of a unified perpetual symbol: BTC/USDT:USDT → BTCUSDT. */
export const venueIdOf = (symbol: string): string => symbol.split(':')[0]!.replace('/', '');

/** The unified symbol of a Binance USD-M id (BTCUSDT → BTC/USDT:USDT), or null for an unknown quote. */
export function symbolOfId(id: string): string | null {
  const m = /^([A-Z0-9]+?)(USDT|USDC|BUSD)$/.exec(id.trim().toUpperCase());
  return m ? `${m[1]}/${m[2]}:${m[2]}` : null;
}

/** Symbol and kind from an archive file name, e.g. BTCUSDT-metrics-2023-03-01.zip, BTCUSDT-fundingRate-2023-03.csv. */
export function guessArchive(file: string): { symbol?: string; kind?: ArchiveKind } {
  const base = file.split('/').pop()!;
  const m = /^([A-Za-z0-9]+)-(metrics|fundingRate)-/.exec(base);
  if (!m) return {};
  const symbol = symbolOfId(m[1]!);
  return { ...(symbol ? { symbol } : {}), kind: m[2] === 'metrics' ? 'metrics' : 'funding' };
}

const cell = z.string().trim();
const positive = cell.min(1, 'empty').refine((s) => /^[+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s) && Number.isFinite(Number(s)) && Number(s) > 0, 'must be a positive number').transform(Number);
/** A ratio may be missing in the archive (early days); when present it is a positive number. */
const ratio = cell.refine((s) => s === '' || (/^[+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s) && Number(s) > 0 && Number.isFinite(Number(s))), 'must be a positive number or empty').transform((s) => (s === '' ? null : Number(s)));
const createTime = cell.min(1, 'empty').transform((s, ctx) => {
  const t = /^\d{13}$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/.test(s) ? Date.parse(`${s.replace(' ', 'T')}Z`) : NaN;
  if (!Number.isFinite(t)) {
    ctx.addIssue({ code: 'custom', message: `not a time: ${JSON.stringify(s)} (expected YYYY-MM-DD HH:MM:SS UTC or epoch ms)` });
    return z.NEVER;
  }
  if (t % PERIOD_MS !== 0) {
    ctx.addIssue({ code: 'custom', message: `${new Date(t).toISOString()} is not on the 5-minute grid` });
    return z.NEVER;
  }
  return t;
});

const metricsRow = z.object({
  create_time: createTime,
  symbol: cell.regex(/^[A-Z0-9]+$/, 'expected a Binance symbol like BTCUSDT'),
  sum_open_interest: positive,
  sum_open_interest_value: positive,
  count_toptrader_long_short_ratio: ratio,
  sum_toptrader_long_short_ratio: ratio,
  count_long_short_ratio: ratio,
  sum_taker_long_short_vol_ratio: ratio,
});

const fundingRow = z.object({
  calc_time: cell.regex(/^\d{12,13}$/, 'expected epoch milliseconds').transform(Number),
  funding_interval_hours: cell.regex(/^\d{1,2}$/, 'expected whole hours').transform(Number).refine((h) => h >= 1 && h <= 24, 'must be 1 to 24 hours'),
  last_funding_rate: cell.min(1, 'empty').refine((s) => /^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s) && Number.isFinite(Number(s)), 'not a number').transform(Number)
    .refine((r) => Math.abs(r) <= 0.1, 'is beyond ±10 % per interval: not a funding rate'),
});

function table(text: string, header: readonly string[], file: string): { rows: Array<{ line: number; cells: Record<string, string> }> } {
  const lines = text.split(/\r?\n/);
  while (lines.length && lines.at(-1)!.trim() === '') lines.pop();
  if (!lines.length) throw new CsvError([{ line: 1, message: 'the file is empty' }], file);
  const got = lines[0]!.replace(/^\uFEFF/, '').split(',').map((h) => h.trim().toLowerCase());
  const missing = header.filter((h) => !got.includes(h));
  if (missing.length) throw new CsvError([{ line: 1, message: `the header must be ${header.join(',')} (missing ${missing.join(', ')})` }], file);
  const rows: Array<{ line: number; cells: Record<string, string> }> = [];
  for (let i = 1; i < lines.length; i++) {
    const parts = lines[i]!.split(',');
    rows.push({ line: i + 1, cells: Object.fromEntries(header.map((h) => [h, parts[got.indexOf(h)] ?? ''])) });
  }
  return { rows };
}

const describe = (e: z.ZodError) => e.issues.map((x) => `${x.path.join('.') || 'row'}: ${x.message}`).join('; ');

/**
 * A metrics archive file's rows for `symbol` (every row must be that symbol's), in time order. An empty line, a bad
 * value, a time off the 5-minute grid or not after the previous row fails the parse with the line number.
 */
export function parseMetricsCsv(text: string, o: { symbol: string; file: string }): DerivativesMetrics[] {
  const { rows } = table(text, METRICS_HEADER, o.file);
  const want = venueIdOf(o.symbol);
  const problems: Array<{ line: number; message: string }> = [];
  const out: DerivativesMetrics[] = [];
  for (const { line, cells } of rows) {
    if (Object.values(cells).every((c) => c.trim() === '')) {
      problems.push({ line, message: 'empty line' });
      continue;
    }
    const r = metricsRow.safeParse(cells);
    if (!r.success) {
      problems.push({ line, message: describe(r.error) });
      continue;
    }
    const d = r.data;
    if (d.symbol !== want) {
      problems.push({ line, message: `symbol ${d.symbol} is not ${want}` });
      continue;
    }
    const prev = out.at(-1);
    if (prev && d.create_time <= prev.ts) {
      problems.push({ line, message: `create_time ${new Date(d.create_time).toISOString()} is not after the previous row's` });
      continue;
    }
    out.push({
      symbol: o.symbol, ts: d.create_time, openInterest: d.sum_open_interest, openInterestValue: d.sum_open_interest_value,
      topTraderAccountRatio: d.count_toptrader_long_short_ratio, topTraderPositionRatio: d.sum_toptrader_long_short_ratio,
      longShortRatio: d.count_long_short_ratio, takerBuySellRatio: d.sum_taker_long_short_vol_ratio,
    });
  }
  if (problems.length) throw new CsvError(problems, o.file);
  if (!out.length) throw new CsvError([{ line: 2, message: 'no rows' }], o.file);
  return out;
}

/** A fundingRate archive file's settlements for `symbol`, in time order; any bad row fails the parse with its line. */
export function parseFundingCsv(text: string, o: { symbol: string; file: string }): FundingSettlement[] {
  const { rows } = table(text, FUNDING_HEADER, o.file);
  const problems: Array<{ line: number; message: string }> = [];
  const out: FundingSettlement[] = [];
  for (const { line, cells } of rows) {
    if (Object.values(cells).every((c) => c.trim() === '')) {
      problems.push({ line, message: 'empty line' });
      continue;
    }
    const r = fundingRow.safeParse(cells);
    if (!r.success) {
      problems.push({ line, message: describe(r.error) });
      continue;
    }
    const d = r.data;
    const prev = out.at(-1);
    if (prev && d.calc_time <= prev.ts) {
      problems.push({ line, message: `calc_time ${d.calc_time} is not after the previous row's` });
      continue;
    }
    out.push({ symbol: o.symbol, ts: d.calc_time, rate: d.last_funding_rate, intervalHours: d.funding_interval_hours, markPrice: null });
  }
  if (problems.length) throw new CsvError(problems, o.file);
  if (!out.length) throw new CsvError([{ line: 2, message: 'no rows' }], o.file);
  return out;
}

const fmtTime = (t: number) => new Date(t).toISOString().slice(0, 19).replace('T', ' ');
const opt = (x: number | null) => (x === null ? '' : String(x));

/** A metrics archive file as Binance publishes it (rows must have open interest and its value). */
export function formatMetricsCsv(rows: DerivativesMetrics[]): string {
  const lines = [METRICS_HEADER.join(',')];
  for (const r of rows) {
    if (r.openInterest === null || r.openInterestValue === null) throw new RangeError(`metrics row ${r.ts} lacks open interest`);
    lines.push([fmtTime(r.ts), venueIdOf(r.symbol), r.openInterest.toFixed(8), r.openInterestValue.toFixed(8), opt(r.topTraderAccountRatio), opt(r.topTraderPositionRatio), opt(r.longShortRatio), opt(r.takerBuySellRatio)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** A fundingRate archive file as Binance publishes it. */
export function formatFundingCsv(rows: FundingSettlement[]): string {
  return `${[FUNDING_HEADER.join(','), ...rows.map((r) => `${r.ts},${r.intervalHours ?? 8},${r.rate.toFixed(8)}`)].join('\n')}\n`;
}
