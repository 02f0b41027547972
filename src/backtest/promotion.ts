// The promotion gate (seed 002: PF > 1.10, WR > 55 %, drawdown in band): the latest backtest and walk-forward of the
// exact config hash must pass it; mainnet also needs a paper/testnet track record of the same strategy. Pure: it
// judges the records it is given and returns every reason it refuses, never only the first.
import type { BacktestConfig } from '../config/sections/backtest.js';
import type { BacktestRunRow, WalkforwardRow } from '../store/repos/backtest.js';
import type { WalkforwardReport } from './walkforward.js';

export interface TrackRecord {
  /** The config file whose database holds the record, and its mode. */
  source: string;
  mode: string;
  runs: number;
  /** Clock days the strategy ran (accelerated in paper). */
  days: number;
  trades: number;
  wins: number;
  grossProfit: number;
  grossLoss: number;
  netPnl: number;
}

export interface GateInput {
  target: 'testnet' | 'mainnet';
  hash: string;
  gate: BacktestConfig['gate'];
  trackGate: BacktestConfig['trackRecord'];
  now: number;
  backtest: BacktestRunRow | null;
  walkforward: WalkforwardRow | null;
  /** The latest backtest of the same strategy whatever its config (to say the config was edited). */
  otherBacktest: { id: number; config_hash: string } | null;
  trackRecords: TrackRecord[];
  /** The latest finished `bosun optimize` run whose best config is this config (null: not an optimized config, not checked). */
  optimizeRun?: { id: number; pbo: number | null; deflated_sharpe: number | null } | null;
}

export interface GateResult {
  passed: boolean;
  reasons: string[];
  /** What was checked and passed (shown with the verdict). */
  checks: string[];
}

const DAY = 86_400_000;
const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(2)} %`);
const pf = (gp: number, gl: number) => (gl > 0 ? gp / gl : gp > 0 ? Infinity : 0);
const pfText = (x: number) => (x === Infinity ? '∞' : x.toFixed(3));

function judge(what: string, r: { trades: number; pf: number; wr: number | null; dd: number | null }, g: BacktestConfig['gate'], out: GateResult): void {
  const fail = (s: string) => out.reasons.push(`${what}: ${s}`);
  const ok = (s: string) => out.checks.push(`${what}: ${s}`);
  if (r.trades < g.minTrades) fail(`${r.trades} trades, fewer than the ${g.minTrades} the gate needs to judge`);
  else ok(`${r.trades} trades ≥ ${g.minTrades}`);
  if (!(r.pf > g.minProfitFactor)) fail(`profit factor ${pfText(r.pf)} ≤ ${g.minProfitFactor}`);
  else ok(`profit factor ${pfText(r.pf)} > ${g.minProfitFactor}`);
  if (!(r.wr !== null && r.wr > g.minWinRate)) fail(`win rate ${pct(r.wr)} ≤ ${pct(g.minWinRate)}`);
  else ok(`win rate ${pct(r.wr)} > ${pct(g.minWinRate)}`);
  if (r.dd !== null) {
    if (r.dd > g.maxDrawdown) fail(`max drawdown ${pct(r.dd)} > ${pct(g.maxDrawdown)}`);
    else ok(`max drawdown ${pct(r.dd)} ≤ ${pct(g.maxDrawdown)}`);
  }
}

export function evaluateGate(i: GateInput): GateResult {
  const out: GateResult = { passed: false, reasons: [], checks: [] };
  const h = i.hash.slice(0, 12);
  const maxAge = i.gate.maxAgeDays * DAY;
  if (!i.backtest) {
    out.reasons.push(i.otherBacktest && i.otherBacktest.config_hash !== i.hash
      ? `no backtest of this config (hash ${h}): the latest backtest of its strategy, #${i.otherBacktest.id}, ran config ${i.otherBacktest.config_hash.slice(0, 12)} — the config was edited since; run \`bosun backtest\` (and \`bosun walkforward\`) on it again`
      : `no backtest of this config (hash ${h}): run \`bosun backtest\` with it first`);
  } else {
    const b = i.backtest;
    if (i.now - Number(b.created_at) > maxAge) out.reasons.push(`backtest #${b.id} is ${((i.now - Number(b.created_at)) / DAY).toFixed(1)} days old, older than ${i.gate.maxAgeDays} days: run it again`);
    const m = b.metrics;
    judge(`backtest #${b.id}`, { trades: m.trades, pf: m.profitFactorInfinite ? Infinity : m.profitFactor ?? 0, wr: m.winRate, dd: m.maxDrawdown }, i.gate, out);
  }
  if (!i.walkforward) out.reasons.push(`no walk-forward of this config (hash ${h}): run \`bosun walkforward\` with it first`);
  else {
    const w = i.walkforward;
    if (i.now - Number(w.created_at) > maxAge) out.reasons.push(`walk-forward #${w.id} is ${((i.now - Number(w.created_at)) / DAY).toFixed(1)} days old, older than ${i.gate.maxAgeDays} days: run it again`);
    const rep = w.report as WalkforwardReport;
    const windows = rep.windows.filter((x) => x.strategy);
    if (!windows.length) out.reasons.push(`walk-forward #${w.id} has no out-of-sample strategy metrics: run it without --no-strategy-metrics`);
    else {
      let trades = 0;
      let wins = 0;
      let gp = 0;
      let gl = 0;
      let dd = 0;
      for (const x of windows) {
        trades += x.strategy!.trades;
        wins += x.strategy!.wins;
        gp += x.strategy!.grossProfit;
        gl += x.strategy!.grossLoss;
        dd = Math.max(dd, x.strategy!.maxDrawdown);
      }
      judge(`walk-forward #${w.id} out of sample (${windows.length} windows)`, { trades, pf: pf(gp, gl), wr: trades ? wins / trades : null, dd }, i.gate, out);
    }
    out.checks.push(`walk-forward #${w.id}: ML signal ${w.demoted ? `demoted (×${w.ml_multiplier})` : 'kept (×1)'}`);
  }
  if (i.optimizeRun) {
    // A config chosen by a search must not be the luck of many tries (Deflated Sharpe) nor an overfit choice (PBO).
    const r = i.optimizeRun;
    const what = `optimize run #${r.id} (this config is its best trial)`;
    if (i.gate.maxPbo !== null) {
      if (r.pbo === null) out.reasons.push(`${what}: no PBO (too few complete trials to compute it), the gate needs PBO ≤ ${i.gate.maxPbo}`);
      else if (r.pbo > i.gate.maxPbo) out.reasons.push(`${what}: probability of backtest overfitting ${r.pbo.toFixed(3)} > ${i.gate.maxPbo}`);
      else out.checks.push(`${what}: PBO ${r.pbo.toFixed(3)} ≤ ${i.gate.maxPbo}`);
    }
    if (i.gate.minDeflatedSharpe !== null) {
      if (r.deflated_sharpe === null) out.reasons.push(`${what}: no deflated Sharpe ratio, the gate needs ≥ ${i.gate.minDeflatedSharpe}`);
      else if (r.deflated_sharpe < i.gate.minDeflatedSharpe) out.reasons.push(`${what}: deflated Sharpe ratio ${r.deflated_sharpe.toFixed(3)} < ${i.gate.minDeflatedSharpe}`);
      else out.checks.push(`${what}: deflated Sharpe ratio ${r.deflated_sharpe.toFixed(3)} ≥ ${i.gate.minDeflatedSharpe}`);
    }
  }
  if (i.target === 'mainnet') {
    const t = i.trackGate;
    const runs = i.trackRecords.reduce((a, r) => a + r.runs, 0);
    const days = i.trackRecords.reduce((a, r) => a + r.days, 0);
    const trades = i.trackRecords.reduce((a, r) => a + r.trades, 0);
    const wins = i.trackRecords.reduce((a, r) => a + r.wins, 0);
    const gp = i.trackRecords.reduce((a, r) => a + r.grossProfit, 0);
    const gl = i.trackRecords.reduce((a, r) => a + r.grossLoss, 0);
    const where = i.trackRecords.map((r) => `${r.mode} (${r.source})`).join(', ') || 'no paper/testnet database';
    if (!runs) out.reasons.push(`mainnet needs a paper/testnet track record of this strategy; ${where} has none: run it there first`);
    else {
      if (days < t.minDays) out.reasons.push(`track record: ${days.toFixed(1)} days in ${where}, fewer than the ${t.minDays} mainnet needs`);
      else out.checks.push(`track record: ${days.toFixed(1)} days ≥ ${t.minDays}`);
      if (trades < t.minTrades) out.reasons.push(`track record: ${trades} closed trades recorded, fewer than ${t.minTrades}`);
      else out.checks.push(`track record: ${trades} closed trades ≥ ${t.minTrades}`);
      if (t.mustPassGate && trades >= t.minTrades) {
        const p = pf(gp, gl);
        const wr = trades ? wins / trades : null;
        if (!(p > i.gate.minProfitFactor)) out.reasons.push(`track record: profit factor ${pfText(p)} ≤ ${i.gate.minProfitFactor}`);
        else out.checks.push(`track record: profit factor ${pfText(p)} > ${i.gate.minProfitFactor}`);
        if (!(wr !== null && wr > i.gate.minWinRate)) out.reasons.push(`track record: win rate ${pct(wr)} ≤ ${pct(i.gate.minWinRate)}`);
        else out.checks.push(`track record: win rate ${pct(wr)} > ${pct(i.gate.minWinRate)}`);
      }
    }
  }
  out.passed = out.reasons.length === 0;
  return out;
}
