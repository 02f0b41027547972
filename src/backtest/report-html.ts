// The backtest report as one self-contained HTML file: metrics, equity and drawdown charts drawn by uPlot (its
// script and stylesheet inlined, so the file works offline), breakdowns, rejected signals and every trade.
// Guarantees the same result renders to the same bytes, and no text from the data reaches the page unescaped.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Bucket } from './metrics.js';
import { panelLines } from './coverage.js';
import { bySymbol, holdText, metricRows } from './report-text.js';
import type { BacktestResult } from './result.js';

const require = createRequire(import.meta.url);
let assets: { js: string; css: string } | null = null;
/** uPlot's minified IIFE build and stylesheet, read once from node_modules. */
function uplot(): { js: string; css: string } {
  if (assets) return assets;
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  // Inlined as is: text that would end or re-open the element cannot be in it.
  if (/<\/script|<!--|<script/i.test(js) || /<\/style/i.test(css)) throw new Error('uPlot build cannot be inlined safely');
  return (assets = { js, css });
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`);

function table(head: string[], rows: string[][], numeric: boolean[] = []): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

const buckets = (b: Record<string, Bucket>, label: string): string =>
  Object.keys(b).length
    ? table([label, 'trades', 'win rate', 'net pnl'], Object.entries(b).map(([k, v]) => [k, String(v.trades), pct(v.winRate), v.netPnl.toFixed(2)]), [false, true, true, true])
    : '<p>no trades</p>';

export function renderHtml(r: BacktestResult): string {
  const { js, css } = uplot();
  const m = r.metrics;
  const rejected = Object.entries(m.signals.rejectedByVeto).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  // Several symbols: a symbol column and a breakdown by symbol (one symbol: the page as it always was).
  const several = r.data.series !== undefined;
  const trades = table(
    ['#', ...(several ? ['symbol'] : []), 'side', 'entry', 'entry price', 'exit', 'exit price', 'size', 'stop-loss', 'take-profit', 'fees', 'funding', 'pnl', 'exit reason', 'regime'],
    r.trades.map((t) => [String(t.id), ...(several ? [t.symbol] : []), t.side, iso(t.entryTime), t.entryPrice, iso(t.exitTime), t.exitPrice, t.qty, t.stopLoss ?? '-', t.takeProfit ?? '-', t.fees, t.funding, t.pnl, t.exitReason, t.regime]),
    [true, ...(several ? [false] : []), false, false, true, false, true, true, true, true, true, true, true, false, false],
  );
  const title = `bosun backtest · ${r.config.strategy} · ${r.data.symbol}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>${css}</style>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .meta { color: #666; } .chart { margin: 12px 0; }
.panel { margin: 4px 0; } .scroll { max-width: 100%; max-height: 480px; overflow: auto; border: 1px solid #ddd; }
.scroll table { margin: 0; } .scroll thead th { position: sticky; top: 0; background: #fff; } .scroll td, .scroll th { white-space: nowrap; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">data ${esc(r.data.source)} (${r.data.candles} candles, sha256 ${esc(r.data.sha256.slice(0, 16))}…) · config ${esc(r.config.hash.slice(0, 16))}… · strategy hash ${esc(r.config.strategyHash.slice(0, 16))}…</p>
${r.panel ? panelLines(r.panel).map((l) => `<p class="panel">${esc(l)}</p>`).join('\n') : ''}
${table(['metric', 'value'], metricRows(m))}
<h2>Equity</h2><div id="equity" class="chart"></div>
<h2>Drawdown</h2><div id="drawdown" class="chart"></div>
${several ? `<h2>By symbol</h2>${buckets(bySymbol(r), 'symbol')}\n` : ''}<h2>By entry hour (UTC)</h2>${buckets(m.byHour, 'hour')}
<h2>By regime at entry</h2>${buckets(m.byRegime, 'regime')}
<h2>By exit reason</h2>${buckets(m.byExitReason, 'exit reason')}
<h2>Rejected signals by veto</h2>${rejected.length ? table(['veto', 'signals'], rejected.map(([k, n]) => [k, String(n)]), [false, true]) : '<p>none</p>'}
<h2>Trades (${r.trades.length}; average hold ${esc(holdText(m.avgHoldMs))})</h2>
<div class="scroll">${trades}</div>
<script type="application/json" id="series">${scriptJson({ equity: r.equity, drawdown: r.drawdown })}</script>
<script>${js}</script>
<script>
(function () {
  var d = JSON.parse(document.getElementById('series').textContent);
  var width = Math.max(480, Math.min(1200, document.body.clientWidth - 48));
  var xs = d.equity.map(function (p) { return p[0] / 1000; });
  // The value axis is as wide as its longest label (10,000.00 is never clipped to 0,000).
  function axis(dp) {
    return { values: function (u, vals) { return vals.map(function (v) { return v == null ? '' : v.toLocaleString('en-US', { minimumFractionDigits: dp, maximumFractionDigits: dp }); }); },
      size: function (u, values) { var n = 0; (values || []).forEach(function (s) { n = Math.max(n, String(s).length); }); return 24 + 8 * n; } };
  }
  new uPlot({ width: width, height: 320, scales: { x: { time: true } }, axes: [{}, axis(0)], series: [{}, { label: 'equity', stroke: '#1f6fb4', width: 1.5 }] },
    [xs, d.equity.map(function (p) { return p[1]; })], document.getElementById('equity'));
  new uPlot({ width: width, height: 220, scales: { x: { time: true } }, axes: [{}, axis(1)], series: [{}, { label: 'drawdown %', stroke: '#c0392b', fill: 'rgba(192,57,43,0.15)', width: 1 }] },
    [d.drawdown.map(function (p) { return p[0] / 1000; }), d.drawdown.map(function (p) { return -100 * p[1]; })], document.getElementById('drawdown'));
})();
</script>
</body>
</html>
`;
}
