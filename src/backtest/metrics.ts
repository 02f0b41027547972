// Performance metrics of a backtest (or any trade list with a mark-to-market equity curve): win rate, profit factor,
// expectancy, drawdown, Sharpe, Sortino, Calmar, CAGR, exposure, holds, by hour and regime, rejected signals by veto.
// Pure and deterministic: every figure is a function of the trades and equity samples; definitions are in the comments.

/** One closed trade. Money is a decimal string as the venue computed it; `pnl` is net of fees and funding. */
export interface TradeRecord {
  id: number;
  decisionId: string | null;
  symbol: string;
  side: 'long' | 'short';
  entryTime: number;
  entryPrice: string;
  exitTime: number;
  exitPrice: string;
  /** Largest quantity held (base asset). */
  qty: string;
  stopLoss: string | null;
  takeProfit: string | null;
  fees: string;
  /** Funding received (+) or paid (−) while open. */
  funding: string;
  /** Price PnL before fees and funding. */
  grossPnl: string;
  /** grossPnl − fees + funding. */
  pnl: string;
  exitReason: string;
  /** Regime label of the entry decision's snapshot (UNKNOWN when it had none). */
  regime: string;
}

/** Mark-to-market equity at a clock time. */
export interface EquityPoint {
  ts: number;
  equity: number;
}

/** What the decision engine said about signals it did not act on. */
export interface SignalCounts {
  decisions: number;
  /** Decisions whose strategy verdict (before gates and vetoes) pointed a direction. */
  signals: number;
  /** Decisions that carried an intent. */
  intents: number;
  /** Signals that produced no intent, by veto reason code (a decision with two vetoes counts under both). */
  rejectedByVeto: Record<string, number>;
}

export interface Bucket {
  trades: number;
  wins: number;
  winRate: number | null;
  netPnl: number;
}

export interface Metrics {
  from: number;
  to: number;
  days: number;
  initialEquity: number;
  finalEquity: number;
  netPnl: number;
  /** finalEquity / initialEquity − 1. */
  totalReturn: number;
  trades: number;
  wins: number;
  losses: number;
  /** wins / trades (a trade with pnl exactly 0 is neither). Null without trades. */
  winRate: number | null;
  grossProfit: number;
  grossLoss: number;
  /** grossProfit / grossLoss; null when there is no loss (see profitFactorInfinite). */
  profitFactor: number | null;
  profitFactorInfinite: boolean;
  /** Mean net pnl per trade. */
  expectancy: number | null;
  avgWin: number | null;
  avgLoss: number | null;
  fees: number;
  funding: number;
  /** Largest fall from a running peak of the equity samples, as a fraction of the peak, and in money. */
  maxDrawdown: number;
  maxDrawdownAbs: number;
  /** Mean / sample standard deviation of daily returns (UTC days, end-of-day equity) × √365. */
  sharpe: number | null;
  /** Mean daily return / downside deviation √(Σ min(r, 0)² / n) × √365. */
  sortino: number | null;
  /** (final / initial)^(365 / days) − 1. */
  cagr: number | null;
  /** cagr / maxDrawdown. */
  calmar: number | null;
  /** Share of the period with a position open. */
  exposure: number;
  avgHoldMs: number | null;
  /** By UTC hour of entry, "00:00" … "23:00". */
  byHour: Record<string, Bucket>;
  byRegime: Record<string, Bucket>;
  byExitReason: Record<string, Bucket>;
  signals: SignalCounts;
}

export const DAY_MS = 86_400_000;
const ANNUAL = Math.sqrt(365);

const bucketOf = (ts: TradeRecord[]): Bucket => {
  const wins = ts.filter((t) => Number(t.pnl) > 0).length;
  return { trades: ts.length, wins, winRate: ts.length ? wins / ts.length : null, netPnl: ts.reduce((a, t) => a + Number(t.pnl), 0) };
};

function groupBy(trades: TradeRecord[], key: (t: TradeRecord) => string): Record<string, Bucket> {
  const groups = new Map<string, TradeRecord[]>();
  for (const t of trades) {
    const k = key(t);
    const g = groups.get(k);
    if (g) g.push(t);
    else groups.set(k, [t]);
  }
  return Object.fromEntries([...groups.keys()].sort().map((k) => [k, bucketOf(groups.get(k)!)]));
}

/** End-of-day equity for each UTC day touched by [from, to]: the last sample at or before the day's end. */
export function dailyEquity(points: EquityPoint[], from: number, to: number, initial: number): number[] {
  const out: number[] = [];
  let k = 0;
  let last = initial;
  for (let end = Math.floor(from / DAY_MS) * DAY_MS + DAY_MS; ; end += DAY_MS) {
    const cut = Math.min(end, to);
    while (k < points.length && points[k]!.ts <= cut) last = points[k++]!.equity;
    out.push(last);
    if (end >= to) break;
  }
  return out;
}

export function drawdown(points: EquityPoint[], initial: number): { max: number; maxAbs: number } {
  let peak = initial;
  let max = 0;
  let maxAbs = 0;
  for (const p of points) {
    if (p.equity > peak) peak = p.equity;
    const dd = peak > 0 ? (peak - p.equity) / peak : 0;
    if (dd > max) max = dd;
    if (peak - p.equity > maxAbs) maxAbs = peak - p.equity;
  }
  return { max, maxAbs };
}

export interface MetricsInput {
  from: number;
  to: number;
  initialEquity: number;
  trades: TradeRecord[];
  /** Mark-to-market equity samples in time order (the engine takes one at every candle close). */
  equity: EquityPoint[];
  signals: SignalCounts;
}

export function computeMetrics(i: MetricsInput): Metrics {
  const { trades, initialEquity: initial } = i;
  const finalEquity = i.equity.length ? i.equity[i.equity.length - 1]!.equity : initial;
  const pnls = trades.map((t) => Number(t.pnl));
  const wins = pnls.filter((p) => p > 0);
  const losses = pnls.filter((p) => p < 0);
  const grossProfit = wins.reduce((a, p) => a + p, 0);
  const grossLoss = -losses.reduce((a, p) => a + p, 0);
  const days = (i.to - i.from) / DAY_MS;
  const dd = drawdown(i.equity, initial);
  const eod = dailyEquity(i.equity, i.from, i.to, initial);
  const rets = eod.map((e, k) => (k === 0 ? e / initial - 1 : e / eod[k - 1]! - 1));
  const mean = rets.length ? rets.reduce((a, r) => a + r, 0) / rets.length : 0;
  const sd = rets.length > 1 ? Math.sqrt(rets.reduce((a, r) => a + (r - mean) ** 2, 0) / (rets.length - 1)) : 0;
  const downside = rets.length ? Math.sqrt(rets.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / rets.length) : 0;
  const cagr = days > 0 && finalEquity > 0 ? (finalEquity / initial) ** (365 / days) - 1 : null;
  let inPosition = 0;
  let coveredTo = -Infinity;
  for (const t of [...trades].sort((a, b) => a.entryTime - b.entryTime)) {
    const start = Math.max(t.entryTime, coveredTo, i.from);
    const end = Math.min(t.exitTime, i.to);
    if (end > start) inPosition += end - start;
    coveredTo = Math.max(coveredTo, t.exitTime);
  }
  return {
    from: i.from, to: i.to, days, initialEquity: initial, finalEquity, netPnl: finalEquity - initial, totalReturn: finalEquity / initial - 1,
    trades: trades.length, wins: wins.length, losses: losses.length,
    winRate: trades.length ? wins.length / trades.length : null,
    grossProfit, grossLoss,
    profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
    profitFactorInfinite: grossLoss === 0 && grossProfit > 0,
    expectancy: trades.length ? pnls.reduce((a, p) => a + p, 0) / trades.length : null,
    avgWin: wins.length ? grossProfit / wins.length : null,
    avgLoss: losses.length ? -grossLoss / losses.length : null,
    fees: trades.reduce((a, t) => a + Number(t.fees), 0),
    funding: trades.reduce((a, t) => a + Number(t.funding), 0),
    maxDrawdown: dd.max, maxDrawdownAbs: dd.maxAbs,
    sharpe: sd > 0 ? (mean / sd) * ANNUAL : null,
    sortino: downside > 0 ? (mean / downside) * ANNUAL : null,
    cagr,
    calmar: cagr !== null && dd.max > 0 ? cagr / dd.max : null,
    exposure: i.to > i.from ? inPosition / (i.to - i.from) : 0,
    avgHoldMs: trades.length ? trades.reduce((a, t) => a + (t.exitTime - t.entryTime), 0) / trades.length : null,
    byHour: groupBy(trades, (t) => `${String(new Date(t.entryTime).getUTCHours()).padStart(2, '0')}:00`),
    byRegime: groupBy(trades, (t) => t.regime),
    byExitReason: groupBy(trades, (t) => t.exitReason),
    signals: i.signals,
  };
}
