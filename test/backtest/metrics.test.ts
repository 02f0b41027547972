// Report metrics checked against a hand computation on a small synthetic trade list, and the report's three faces:
// the table, the JSON result and the self-contained HTML whose uPlot charts draw offline (in jsdom, no network).
import { JSDOM, VirtualConsole } from 'jsdom';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeMetrics, type EquityPoint, type TradeRecord } from '../../src/backtest/metrics.js';
import { renderHtml } from '../../src/backtest/report-html.js';
import { renderTable } from '../../src/backtest/report-text.js';
import type { BacktestResult } from '../../src/backtest/result.js';

const T = (d: number, h: number, m = 0) => Date.UTC(2024, 0, d, h, m);
const trade = (id: number, side: 'long' | 'short', entry: number, exit: number, gross: number, fees: number, funding: number, reason: string, regime: string): TradeRecord => ({
  id, decisionId: `BTCUSDTUSDT-x-${entry}`, symbol: 'BTC/USDT:USDT', side, entryTime: entry, entryPrice: '100', exitTime: exit, exitPrice: '101', qty: '1',
  stopLoss: '99', takeProfit: '103', fees: String(fees), funding: String(funding), grossPnl: String(gross), pnl: String(gross - fees + funding), exitReason: reason, regime,
});

// Four trades over three UTC days, from 1000.
const trades = [
  trade(1, 'long', T(1, 10), T(1, 12), 64, 4, 0, 'take_profit', 'TRENDING_UP'), // +60
  trade(2, 'short', T(2, 3), T(2, 4, 30), -27, 3, 0, 'stop_loss', 'RANGING'), // −30
  trade(3, 'long', T(3, 10), T(3, 14), 22, 2.5, 0.5, 'take_profit', 'TRENDING_UP'), // +20
  trade(4, 'long', T(3, 20), T(3, 21), -8, 2, 0, 'stop_loss', 'RANGING'), // −10
];
// Mark-to-market equity: a peak of 1080 inside trade 1, a trough of 1000 inside trade 2.
const equity: EquityPoint[] = [
  { ts: T(1, 0), equity: 1000 }, { ts: T(1, 11), equity: 1080 }, { ts: T(1, 12), equity: 1060 },
  { ts: T(2, 3, 30), equity: 1000 }, { ts: T(2, 4, 30), equity: 1030 },
  { ts: T(3, 14), equity: 1050 }, { ts: T(3, 21), equity: 1040 },
];
const signals = { decisions: 100, signals: 9, intents: 4, rejectedByVeto: { hour_blocked: 3, cooldown: 2 } };
const m = computeMetrics({ from: T(1, 0), to: T(4, 0), initialEquity: 1000, trades, equity, signals });
const near = (a: number | null, b: number, what: string, eps = 1e-9) => assert.ok(a !== null && Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('counts, win rate, profit factor, expectancy, fees and funding by hand', () => {
  assert.is(m.trades, 4);
  assert.is(m.wins, 2);
  assert.is(m.losses, 2);
  near(m.winRate, 2 / 4, 'win rate');
  near(m.grossProfit, 60 + 20, 'gross profit');
  near(m.grossLoss, 30 + 10, 'gross loss');
  near(m.profitFactor, 80 / 40, 'profit factor');
  assert.is(m.profitFactorInfinite, false);
  near(m.expectancy, (60 - 30 + 20 - 10) / 4, 'expectancy');
  near(m.avgWin, 40, 'average win');
  near(m.avgLoss, -20, 'average loss');
  near(m.fees, 4 + 3 + 2.5 + 2, 'fees');
  near(m.funding, 0.5, 'funding');
  near(m.netPnl, 40, 'net pnl');
  near(m.totalReturn, 0.04, 'return');
});

test('drawdown, Sharpe, Sortino, CAGR, Calmar, exposure and hold by hand', () => {
  // Peak 1080 → trough 1000.
  near(m.maxDrawdown, 80 / 1080, 'max drawdown');
  near(m.maxDrawdownAbs, 80, 'max drawdown (money)');
  // End-of-day equity 1060, 1030, 1040: daily returns 0.06, −0.0283018867924528, 0.0097087378640777.
  const r = [1060 / 1000 - 1, 1030 / 1060 - 1, 1040 / 1030 - 1];
  const mean = 0.013802283690541631;
  near((r[0]! + r[1]! + r[2]!) / 3, mean, 'mean daily return');
  const sd = 0.044293042804167466; // √(Σ(r − mean)² / 2)
  const down = 0.01634010195819695; // √(r₂² / 3)
  near(m.sharpe, (mean / sd) * Math.sqrt(365), 'sharpe');
  near(m.sharpe, 5.953356169750817, 'sharpe (number)');
  near(m.sortino, (mean / down) * Math.sqrt(365), 'sortino');
  near(m.sortino, 16.137736492087626, 'sortino (number)');
  near(m.days, 3, 'days');
  near(m.cagr, 1.04 ** (365 / 3) - 1, 'CAGR');
  near(m.calmar, (1.04 ** (365 / 3) - 1) / (80 / 1080), 'calmar');
  // 2 h + 1.5 h + 4 h + 1 h in position over 72 h.
  near(m.exposure, 8.5 / 72, 'exposure');
  near(m.avgHoldMs, (8.5 / 4) * 3_600_000, 'average hold');
});

test('breakdowns by entry hour, regime and exit reason; rejected signals by veto', () => {
  assert.equal(Object.keys(m.byHour), ['03:00', '10:00', '20:00']);
  assert.equal(m.byHour['10:00'], { trades: 2, wins: 2, winRate: 1, netPnl: 80 });
  assert.equal(m.byHour['03:00'], { trades: 1, wins: 0, winRate: 0, netPnl: -30 });
  assert.equal(m.byRegime, { RANGING: { trades: 2, wins: 0, winRate: 0, netPnl: -40 }, TRENDING_UP: { trades: 2, wins: 2, winRate: 1, netPnl: 80 } });
  assert.equal(m.byExitReason.stop_loss, { trades: 2, wins: 0, winRate: 0, netPnl: -40 });
  assert.equal(m.signals.rejectedByVeto, { hour_blocked: 3, cooldown: 2 });
});

test('degenerate cases: no trades, no loss, flat equity give n/a, never NaN or Infinity', () => {
  const none = computeMetrics({ from: T(1, 0), to: T(2, 0), initialEquity: 1000, trades: [], equity: [{ ts: T(2, 0), equity: 1000 }], signals });
  assert.is(none.winRate, null);
  assert.is(none.profitFactor, null);
  assert.is(none.expectancy, null);
  assert.is(none.sharpe, null);
  assert.is(none.sortino, null);
  assert.is(none.calmar, null);
  assert.is(none.maxDrawdown, 0);
  const onlyWin = computeMetrics({ from: T(1, 0), to: T(2, 0), initialEquity: 1000, trades: [trades[0]!], equity: [{ ts: T(1, 12), equity: 1060 }], signals });
  assert.is(onlyWin.profitFactor, null);
  assert.is(onlyWin.profitFactorInfinite, true);
  const json = JSON.stringify([none, onlyWin]);
  assert.not.match(json, /NaN|Infinity/);
  assert.match(renderTable(result(onlyWin)), /profit factor +∞ \(no loss\)/);
});

function result(metrics = m): BacktestResult {
  return {
    kind: 'bosun.backtest', version: 1,
    config: { hash: 'a'.repeat(64), strategyHash: 'b'.repeat(64), strategy: 'voting13', overrides: {} },
    data: { symbol: 'BTC/USDT:USDT', source: 'synthetic <trades>.csv', sha256: 'c'.repeat(64), from: T(1, 0), to: T(4, 0), candles: 4320 },
    metrics, trades,
    equity: equity.map((p) => [p.ts, p.equity]),
    drawdown: equity.map((p, i) => [p.ts, (Math.max(1000, ...equity.slice(0, i + 1).map((x) => x.equity)) - p.equity) / Math.max(1000, ...equity.slice(0, i + 1).map((x) => x.equity))]),
  };
}

test('table: every headline metric, the breakdowns and the vetoes', () => {
  const t = renderTable(result());
  for (const line of ['win rate         50.00 %', 'profit factor    2.000', 'max drawdown     7.41 % (80.00)', 'sharpe           5.953', 'sortino          16.138', 'exposure         11.81 %', 'average hold     2.13 h']) {
    assert.ok(t.includes(line), `table has "${line}":\n${t}`);
  }
  assert.match(t, /by regime at entry:[\s\S]*TRENDING_UP +2 +100\.0 % +80\.00/);
  assert.match(t, /rejected signals by veto:\n  hour_blocked +3\n  cooldown +2/);
});

test('HTML: self-contained (uPlot inlined, nothing fetched), text escaped, both charts drawn offline', async () => {
  const r = result();
  const html = renderHtml(r);
  assert.not.match(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!github\.com\/leeoniya)/, 'no external resource');
  assert.ok(html.includes('synthetic &lt;trades&gt;.csv'), 'data text is escaped');
  assert.is(renderHtml(r), html, 'same result, same bytes');
  const errors: string[] = [];
  const vc = new VirtualConsole();
  vc.on('jsdomError', (e) => errors.push(e.message));
  let drawn = 0;
  const dom = new JSDOM(html, {
    runScripts: 'dangerously', virtualConsole: vc, pretendToBeVisual: true,
    beforeParse(w) {
      // jsdom has no canvas: a 2D context that counts draw calls is enough to run the chart code.
      (w.HTMLCanvasElement.prototype as unknown as { getContext: () => unknown }).getContext = () => new Proxy({} as Record<string | symbol, unknown>, {
        get: (t, k) => (k in t ? t[k] : k === 'measureText' ? () => ({ width: 10 }) : () => void drawn++),
        set: (t, k, v) => ((t[k] = v), true),
      });
      (w as unknown as { Path2D: unknown }).Path2D = class { moveTo() {} lineTo() {} rect() {} arc() {} closePath() {} bezierCurveTo() {} };
      (w as unknown as { matchMedia: unknown }).matchMedia = () => ({ matches: false, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {} });
    },
  });
  await new Promise((res) => setTimeout(res, 100));
  const d = dom.window.document;
  assert.equal(errors, [], 'the page runs without errors');
  assert.is(d.querySelectorAll('#equity .uplot, #drawdown .uplot').length, 2, 'two uPlot charts');
  assert.ok(drawn > 20, `the charts drew (${drawn} canvas calls)`);
  assert.equal([...d.querySelectorAll('.u-legend th')].map((x) => x.textContent?.trim()).filter((x) => x !== 'Time'), ['equity', 'drawdown %']);
  const series = JSON.parse(d.getElementById('series')!.textContent!) as { equity: unknown; drawdown: unknown };
  assert.equal(series.equity, r.equity);
  assert.equal(series.drawdown, r.drawdown);
  assert.is(d.querySelectorAll('table')[d.querySelectorAll('table').length - 1]!.querySelectorAll('tbody tr').length, trades.length, 'every trade listed');
  dom.window.close();
});

test.run();
