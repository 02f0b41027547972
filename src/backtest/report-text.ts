// The backtest report as a plain-text table for the terminal: the panel's coverage (and why nothing traded) first, then
// headline metrics, breakdowns, rejected signals.
// Guarantees every metric shows, with "n/a" where it is undefined (no trades, no loss, a single day).
import { panelLines } from './coverage.js';
import type { Bucket, Metrics } from './metrics.js';
import type { BacktestResult } from './result.js';

const num = (v: number | null, dp = 2): string => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(dp));
const pct = (v: number | null, dp = 2): string => (v === null || !Number.isFinite(v) ? 'n/a' : `${(v * 100).toFixed(dp)} %`);
const iso = (t: number) => new Date(t).toISOString().replace(':00.000Z', 'Z');
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
export const holdText = (ms: number | null): string => (ms === null ? 'n/a' : ms < 3_600_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 3_600_000).toFixed(2)} h`);
export const pfText = (m: Pick<Metrics, 'profitFactor' | 'profitFactorInfinite'>): string => (m.profitFactorInfinite ? '∞ (no loss)' : num(m.profitFactor, 3));

export function metricRows(m: Metrics): Array<[string, string]> {
  return [
    ['period', `${iso(m.from)} → ${iso(m.to)} (${m.days.toFixed(2)} days)`],
    ['equity', `${num(m.initialEquity)} → ${num(m.finalEquity)} (net ${num(m.netPnl)}, ${pct(m.totalReturn)})`],
    ['trades', `${m.trades} (${m.wins} won, ${m.losses} lost)`],
    ['win rate', pct(m.winRate)],
    ['profit factor', pfText(m)],
    ['expectancy', `${num(m.expectancy)} per trade (avg win ${num(m.avgWin)}, avg loss ${num(m.avgLoss)})`],
    ['fees / funding', `${num(m.fees)} / ${num(m.funding)}`],
    ['max drawdown', `${pct(m.maxDrawdown)} (${num(m.maxDrawdownAbs)})`],
    ['sharpe', num(m.sharpe, 3)],
    ['sortino', num(m.sortino, 3)],
    ['calmar', num(m.calmar, 3)],
    ['CAGR', pct(m.cagr)],
    ['exposure', pct(m.exposure)],
    ['average hold', holdText(m.avgHoldMs)],
    ['signals', `${m.signals.decisions} decisions, ${m.signals.signals} directional, ${m.signals.intents} intents`],
  ];
}

function bucketTable(title: string, b: Record<string, Bucket>): string[] {
  const keys = Object.keys(b);
  if (!keys.length) return [`${title}: no trades`];
  const out = [`${title}:`, `  ${pad('', 14)} ${lpad('trades', 7)} ${lpad('win rate', 9)} ${lpad('net pnl', 12)}`];
  for (const k of keys) out.push(`  ${pad(k, 14)} ${lpad(String(b[k]!.trades), 7)} ${lpad(pct(b[k]!.winRate, 1), 9)} ${lpad(num(b[k]!.netPnl), 12)}`);
  return out;
}

/** The trades of each symbol of a several-symbol run, in the order the symbols were given. */
export function bySymbol(r: BacktestResult): Record<string, Bucket> {
  return Object.fromEntries(r.data.series!.map((d) => {
    const ts = r.trades.filter((t) => t.symbol === d.symbol);
    const wins = ts.filter((t) => Number(t.pnl) > 0).length;
    return [d.symbol, { trades: ts.length, wins, winRate: ts.length ? wins / ts.length : null, netPnl: ts.reduce((a, t) => a + Number(t.pnl), 0) }];
  }));
}

export function renderTable(r: BacktestResult): string {
  const m = r.metrics;
  const lines = [`backtest ${r.config.strategy} on ${r.data.symbol} · ${r.data.source} (${r.data.candles} candles) · config ${r.config.hash.slice(0, 12)}`];
  if (r.panel) lines.push(...panelLines(r.panel).map((l) => `  ${l}`));
  lines.push('');
  for (const [k, v] of metricRows(m)) lines.push(`  ${pad(k, 16)} ${v}`);
  if (r.data.series) lines.push('', ...bucketTable('by symbol', bySymbol(r)));
  lines.push('', ...bucketTable('by entry hour (UTC)', m.byHour), '', ...bucketTable('by regime at entry', m.byRegime), '', ...bucketTable('by exit reason', m.byExitReason), '');
  const rej = Object.entries(m.signals.rejectedByVeto).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  lines.push(rej.length ? 'rejected signals by veto:' : 'rejected signals by veto: none');
  for (const [code, n] of rej) lines.push(`  ${pad(code, 22)} ${lpad(String(n), 7)}`);
  return `${lines.join('\n')}\n`;
}
