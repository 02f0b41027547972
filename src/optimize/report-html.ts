// The optimize report as one self-contained HTML file: the verdict (best trial, DSR, PBO), the trial scatter (objective
// by trial, pruned ones at their first-window value), parameter importance, and the walk-forward out-of-sample equity
// drawn by uPlot (inlined). Guarantees the same report renders to the same bytes; data text is escaped.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { WindowMetrics } from './evaluate.js';
import type { OptimizeReport } from './run.js';

const require = createRequire(import.meta.url);
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
const iso = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
const num = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(2)} %`);

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n')}\n</tbody></table>`;
}

const mrow = (label: string, m: WindowMetrics): string[] => [label, `${iso(m.from)} → ${iso(m.to)}`, pct(m.totalReturn), num(m.sharpe, 2), num(m.sortino, 2), pct(m.maxDrawdown), String(m.trades), pct(m.winRate), num(m.profitFactor, 2)];
const MHEAD = ['', 'period', 'return', 'sharpe', 'sortino', 'max dd', 'trades', 'win rate', 'PF'];

export function renderOptimizeHtml(r: OptimizeReport): string {
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  if (/<\/script|<!--|<script/i.test(js) || /<\/style/i.test(css)) throw new Error('uPlot build cannot be inlined safely');
  const title = `bosun optimize · ${r.strategy} · ${r.symbol} · ${r.objective}`;
  const b = r.best;
  const imp = Object.entries(r.importance).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  const scatter = {
    x: r.trialList.map((t) => t.number),
    complete: r.trialList.map((t) => (t.state === 'complete' ? t.value : null)),
    pruned: r.trialList.map((t) => (t.state === 'pruned' ? t.firstWindow : null)),
  };
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
.meta { color: #666; } .chart { margin: 12px 0; } .bar { color: #1f6fb4; font-family: monospace; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">data ${esc(r.data.source)} (${r.data.candles} candles, ${esc(iso(r.data.from))} → ${esc(iso(r.data.to))}) · ${r.trials.total} trials (${r.trials.complete} complete, ${r.trials.pruned} pruned, ${r.trials.failed} failed) · sampler ${esc(r.sampler.kind)} · seed ${r.seed}${r.run.id !== null ? ` · run #${r.run.id}` : ''}</p>
${table(['', ''], [
    ['best trial', b ? `#${b.number}: ${r.objective} ${num(b.value)}` : 'none completed'],
    ['Deflated Sharpe Ratio', `${num(r.deflatedSharpe)}${r.dsr ? ` (hourly Sharpe ${num(r.dsr.sharpe, 4)} vs expected best of ${r.dsr.trials} lucky trials ${num(r.dsr.sr0, 4)})` : ''}`],
    ['PBO (CSCV)', `${num(r.pbo)}${r.cscv ? ` over ${r.cscv.combinations} splits of ${r.cscv.partitions} partitions` : ''}`],
    ['best config', r.bestConfig ? `${r.bestConfig.file ?? '(not written)'} · hash ${r.bestConfig.hash.slice(0, 16)}…` : 'none'],
  ])}
${b ? `<h2>Best parameters</h2>${table(['parameter', 'value'], Object.entries(b.params).map(([k, v]) => [k, String(v)]))}
<h2>In sample and per walk-forward window (best trial)</h2>${table(MHEAD, [mrow('whole period (in sample)', b.inSample), ...b.windows.flatMap((w) => [mrow(`window ${w.window} train`, w.train), mrow(`window ${w.window} test`, w.test)])])}` : ''}
<h2>Out of sample (walk-forward: each test window traded by the trial best on its training window)</h2>
${table([...MHEAD, 'trial'], [...r.oos.windows.map((w) => [...mrow(`window ${w.window} test`, w.test), `#${w.trial}`]), ...(r.oos.pooled ? [[...mrow('pooled', r.oos.pooled), '']] : [])])}
<div id="oos" class="chart"></div>
<h2>Trials</h2><div id="scatter" class="chart"></div>
<h2>Parameter importance (share of the objective's variance explained)</h2>
${table(['parameter', 'importance', ''], imp.map(([k, v]) => [k, pct(v), '█'.repeat(Math.round(v * 40))]))}
<script type="application/json" id="series">${scriptJson({ oos: r.oos.equity, scatter })}</script>
<script>${js}</script>
<script>
(function () {
  var d = JSON.parse(document.getElementById('series').textContent);
  var width = Math.max(480, Math.min(1200, document.body.clientWidth - 48));
  if (d.oos.length) new uPlot({ width: width, height: 300, scales: { x: { time: true } }, series: [{}, { label: 'OOS equity', stroke: '#1f6fb4', width: 1.5 }] },
    [d.oos.map(function (p) { return p[0] / 1000; }), d.oos.map(function (p) { return p[1]; })], document.getElementById('oos'));
  var dots = function (c) { return { stroke: c, width: 0, paths: function () { return null; }, points: { show: true, size: 6, fill: c } }; };
  new uPlot({ width: width, height: 300, scales: { x: { time: false } }, series: [{ label: 'trial' }, Object.assign({ label: 'objective (complete)' }, dots('#1f6fb4')), Object.assign({ label: 'first window (pruned)' }, dots('#c0392b'))] },
    [d.scatter.x, d.scatter.complete, d.scatter.pruned], document.getElementById('scatter'));
})();
</script>
</body>
</html>
`;
}
