// Derivatives history into MariaDB: downloaded over the exchange gateway (paginated, resumable) or imported from
// Binance's archive files. Guarantees: a download resumes after the last complete period (and the last funding
// time) stored in its range; an import validates the whole file first and writes it in one transaction, and writing
// the same file again changes nothing.
import type { Pool } from 'mariadb';
import type { ExchangeGateway } from '../exchange/gateway.js';
import { inTx } from '../store/tx.js';
import { lastFundingTs, lastMetricsTs, upsertFunding, upsertMetrics } from '../store/repos/derivatives.js';
import { parseFundingCsv, parseMetricsCsv, type ArchiveKind } from './derivatives-archive.js';
import { PERIOD_MS } from './derivatives-synth.js';

export interface DerivativesDownloadResult {
  metrics: number;
  funding: number;
  dropped: number;
  /** Pages of statistics (five requests each) and of funding history. */
  metricsPages: number;
  fundingPages: number;
  resumedFrom: { metrics: number; funding: number };
  first: number | null;
  last: number | null;
}

/** Downloads [from, to) of 5-minute statistics and funding history, resuming after what is stored in that range. */
export async function downloadDerivatives(
  pool: Pool, gw: Pick<ExchangeGateway, 'fetchDerivativesMetrics' | 'fetchFundingHistory'>,
  o: { symbol: string; from: number; to: number; onPage?: (what: string, n: number, last: number) => void },
): Promise<DerivativesDownloadResult> {
  if (!gw.fetchDerivativesMetrics || !gw.fetchFundingHistory) throw new Error('this exchange gateway has no derivatives history');
  const from = Math.ceil(o.from / PERIOD_MS) * PERIOD_MS;
  const m0 = await lastMetricsTs(pool, o.symbol, from, o.to);
  const f0 = await lastFundingTs(pool, o.symbol, o.from, o.to);
  const res: DerivativesDownloadResult = { metrics: 0, funding: 0, dropped: 0, metricsPages: 0, fundingPages: 0, resumedFrom: { metrics: m0 !== null ? m0 + PERIOD_MS : from, funding: f0 !== null ? f0 + 1 : o.from }, first: null, last: null };
  // Statistics: pages of 500 periods; an empty page (no data that far back) moves on to the next.
  for (let cursor = res.resumedFrom.metrics; cursor < o.to;) {
    const page = await gw.fetchDerivativesMetrics(o.symbol, cursor, 500);
    res.metricsPages++;
    res.dropped += page.dropped;
    const rows = page.rows.filter((r) => r.ts >= cursor && r.ts < o.to);
    if (rows.length) {
      await upsertMetrics(pool, rows, 'download');
      res.metrics += rows.length;
      res.first ??= rows[0]!.ts;
      res.last = rows.at(-1)!.ts;
      o.onPage?.('metrics', res.metrics, res.last);
    }
    cursor = rows.length ? rows.at(-1)!.ts + PERIOD_MS : cursor + 500 * PERIOD_MS;
  }
  for (let cursor = res.resumedFrom.funding; cursor < o.to;) {
    const page = await gw.fetchFundingHistory(o.symbol, cursor, 1000);
    res.fundingPages++;
    res.dropped += page.dropped;
    const rows = page.rows.filter((r) => r.ts >= cursor && r.ts < o.to);
    if (!rows.length) break;
    await upsertFunding(pool, rows, 'download');
    res.funding += rows.length;
    o.onPage?.('funding', res.funding, rows.at(-1)!.ts);
    cursor = rows.at(-1)!.ts + 1;
    if (page.rows.length < 1000) break;
  }
  return res;
}

/** Parses a whole archive file (any bad row aborts with its line number), then writes it in one transaction. */
export async function importDerivatives(pool: Pool, text: string, o: { kind: ArchiveKind; symbol: string; file: string }): Promise<{ imported: number; first: number; last: number }> {
  if (o.kind === 'metrics') {
    const rows = parseMetricsCsv(text, o);
    await inTx(pool, (conn) => upsertMetrics(conn, rows, 'import'));
    return { imported: rows.length, first: rows[0]!.ts, last: rows.at(-1)!.ts };
  }
  const rows = parseFundingCsv(text, o);
  await inTx(pool, (conn) => upsertFunding(conn, rows, 'import'));
  return { imported: rows.length, first: rows[0]!.ts, last: rows.at(-1)!.ts };
}
