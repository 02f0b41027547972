// Parses candle CSV files: Binance kline dumps (data.binance.vision, with or without header, ms or µs times) and the
// `open_time,open,high,low,close,volume` format with ISO times of ../shared/data. Guarantees: every row is validated;
// any malformed row makes the whole parse fail with its line number (callers import all or nothing).
import { z } from 'zod';
import { TIMEFRAME_MS } from '../domain/timeframes.js';
import type { Candle, Timeframe } from '../protocol/index.js';

export class CsvError extends Error {
  constructor(readonly problems: Array<{ line: number; message: string }>, readonly file: string) {
    super(`${file}: ${problems.length} malformed row${problems.length === 1 ? '' : 's'}:\n${problems.slice(0, 10).map((p) => `  line ${p.line}: ${p.message}`).join('\n')}${problems.length > 10 ? `\n  … and ${problems.length - 10} more` : ''}\nnothing was imported`);
    this.name = 'CsvError';
  }
}

const num = z.string().trim().min(1, 'empty').refine((s) => s !== '' && Number.isFinite(Number(s)), 'not a number').transform(Number);
const time = z.string().trim().min(1, 'empty').transform((s, ctx) => {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n > 1e14 ? Math.floor(n / 1000) : n; // microseconds (Binance spot dumps since 2025) → ms
  }
  const t = Date.parse(s.replace(' ', 'T'));
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: `not a time: ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return t;
});

const row = z
  .object({ openTime: time, open: num, high: num, low: num, close: num, volume: num, takerBuyVolume: num.optional() })
  .superRefine((r, ctx) => {
    if (r.open <= 0 || r.close <= 0 || r.low <= 0) ctx.addIssue({ code: 'custom', message: 'prices must be positive' });
    if (r.high < Math.max(r.open, r.close, r.low)) ctx.addIssue({ code: 'custom', message: `high ${r.high} is below open/close/low` });
    if (r.low > Math.min(r.open, r.close)) ctx.addIssue({ code: 'custom', message: `low ${r.low} is above open/close` });
    if (r.volume < 0) ctx.addIssue({ code: 'custom', message: 'volume is negative' });
  });

export interface ParseOptions {
  symbol: string;
  tf: Timeframe;
  file?: string;
}

/** Columns by header name, or Binance's fixed kline layout when the file has no header. */
function layout(header: string[]): { hasHeader: boolean; idx: Record<string, number> } {
  const h = header.map((x) => x.trim().toLowerCase());
  if (h.includes('open') && h.includes('close')) {
    const at = (n: string) => h.indexOf(n);
    return { hasHeader: true, idx: { openTime: at('open_time') >= 0 ? at('open_time') : at('timestamp'), open: at('open'), high: at('high'), low: at('low'), close: at('close'), volume: at('volume'), takerBuyVolume: at('taker_buy_volume') } };
  }
  return { hasHeader: false, idx: { openTime: 0, open: 1, high: 2, low: 3, close: 4, volume: 5, takerBuyVolume: header.length >= 10 ? 9 : -1 } };
}

export function parseCandleCsv(text: string, o: ParseOptions): Candle[] {
  const file = o.file ?? 'csv';
  const lines = text.split(/\r?\n/);
  while (lines.length && lines.at(-1)!.trim() === '') lines.pop();
  if (!lines.length) throw new CsvError([{ line: 1, message: 'the file is empty' }], file);
  const { hasHeader, idx } = layout(lines[0]!.split(','));
  if (idx.openTime! < 0 || idx.open! < 0 || idx.volume! < 0) throw new CsvError([{ line: 1, message: 'header lacks open_time/open/high/low/close/volume' }], file);
  const tfMs = TIMEFRAME_MS[o.tf];
  const problems: Array<{ line: number; message: string }> = [];
  const out: Candle[] = [];
  for (let i = hasHeader ? 1 : 0; i < lines.length; i++) {
    const line = i + 1;
    if (!lines[i]!.trim()) {
      problems.push({ line, message: 'empty line' });
      continue;
    }
    const cells = lines[i]!.split(',');
    const pick = (k: string) => (idx[k]! >= 0 ? cells[idx[k]!] : undefined);
    const r = row.safeParse({ openTime: pick('openTime') ?? '', open: pick('open') ?? '', high: pick('high') ?? '', low: pick('low') ?? '', close: pick('close') ?? '', volume: pick('volume') ?? '', ...(idx.takerBuyVolume! >= 0 ? { takerBuyVolume: pick('takerBuyVolume') ?? '' } : {}) });
    if (!r.success) {
      problems.push({ line, message: r.error.issues.map((x) => `${x.path.join('.') || 'row'}: ${x.message}`).join('; ') });
      continue;
    }
    const c = r.data;
    if (c.openTime % tfMs !== 0) {
      problems.push({ line, message: `open time ${new Date(c.openTime).toISOString()} is not on a ${o.tf} boundary` });
      continue;
    }
    const prev = out.at(-1);
    if (prev && c.openTime <= prev.openTime) {
      problems.push({ line, message: `open time ${new Date(c.openTime).toISOString()} is not after the previous row's` });
      continue;
    }
    out.push({ symbol: o.symbol, tf: o.tf, openTime: c.openTime, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, ...(c.takerBuyVolume !== undefined ? { takerBuyVolume: c.takerBuyVolume } : {}), closed: true });
  }
  if (problems.length) throw new CsvError(problems, file);
  return out;
}
