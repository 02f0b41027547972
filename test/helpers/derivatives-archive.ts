// Realistic derivatives history for tests, written as Binance publishes it (data.binance.vision, futures/um): one
// `metrics` file per UTC day and one `fundingRate` file per month, generated from a candle series by the seeded
// generator the simulated venue uses. Guarantees the same candles and seed give the same files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatFundingCsv, formatMetricsCsv, venueIdOf } from '../../src/market/derivatives-archive.js';
import { synthDerivativesHistory, type DerivSynthParams } from '../../src/market/derivatives-synth.js';
import type { Candle } from '../../src/protocol/index.js';

const DAY = 86_400_000;

export interface ArchiveFiles {
  metrics: string[];
  funding: string[];
  rows: { metrics: number; funding: number };
}

/** Generator parameters for a candle series: open interest scaled to its median 1m volume. */
export function archiveParams(candles: Candle[], seed = 2023): DerivSynthParams {
  const vols = candles.map((c) => c.volume).sort((a, b) => a - b);
  return { seed, oiDays: 0.3, refVolume: vols[vols.length >> 1]!, liqMoveSigma: 3, liqVolumeShare: 0.05, liqBackground: 0.05, fundingIntervalMs: 8 * 3_600_000, interestRate: 0.0001 };
}

/** Writes the archive files of `candles` into `dir`: BTCUSDT-metrics-2023-03-01.csv …, BTCUSDT-fundingRate-2023-03.csv. */
export function writeArchive(dir: string, candles: Candle[], p: DerivSynthParams = archiveParams(candles)): ArchiveFiles {
  mkdirSync(dir, { recursive: true });
  const symbol = candles[0]!.symbol;
  const id = venueIdOf(symbol);
  const h = synthDerivativesHistory(p, symbol, candles);
  const out: ArchiveFiles = { metrics: [], funding: [], rows: { metrics: h.metrics.length, funding: h.funding.length } };
  const byDay = new Map<number, typeof h.metrics>();
  for (const m of h.metrics) {
    // A day's file holds 00:00 … 23:55 of that day.
    const day = Math.floor(m.ts / DAY) * DAY;
    byDay.set(day, [...(byDay.get(day) ?? []), m]);
  }
  for (const [day, rows] of byDay) {
    const file = join(dir, `${id}-metrics-${new Date(day).toISOString().slice(0, 10)}.csv`);
    writeFileSync(file, formatMetricsCsv(rows));
    out.metrics.push(file);
  }
  const byMonth = new Map<string, typeof h.funding>();
  for (const f of h.funding) {
    const month = new Date(f.ts).toISOString().slice(0, 7);
    byMonth.set(month, [...(byMonth.get(month) ?? []), f]);
  }
  for (const [month, rows] of byMonth) {
    const file = join(dir, `${id}-fundingRate-${month}.csv`);
    writeFileSync(file, formatFundingCsv(rows));
    out.funding.push(file);
  }
  return out;
}
