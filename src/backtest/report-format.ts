// How a backtest result's numbers are written for people and files: money to cents, prices to the symbol's tick,
// quantities to its lot step (text, JSON and HTML all read the result this makes). Ratios keep 6 significant decimals.
// Guarantees the same result formats to the same bytes, and no number is printed with more digits than it has meaning.
import { dec, roundToStep } from '../domain/decimal.js';
import type { Bucket, Metrics, TradeRecord } from './metrics.js';

export interface Precision {
  /** The symbol's price tick, e.g. "0.1". */
  tick: string;
  /** The symbol's quantity step, e.g. "0.001". */
  step: string;
}

const CENT = '0.01';
/** `v` rounded to `step` and written with the step's decimals ("23374" at tick 0.1 → "23374.0"). */
export const toStep = (v: string | number, step: string): string => roundToStep(v, step).toFixed(decimalsOf(step));
export const money = (v: string | number): string => toStep(v, CENT);
export const cents = (v: number): number => Number(money(v));
const ratio = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? v : Number(v.toFixed(6)));
/** Decimal places of a step ("0.001" → 3, "1" → 0). */
export const decimalsOf = (step: string): number => (step.includes('.') ? step.split('.')[1]!.replace(/0+$/, '').length : 0);

/** Prices to the tick, quantity to the step, money to cents. */
export function formatTrade(t: TradeRecord, p: Precision): TradeRecord {
  const px = (v: string) => toStep(v, p.tick);
  const [grossPnl, fees, funding] = [money(t.grossPnl), money(t.fees), money(t.funding)];
  return {
    ...t,
    entryPrice: px(t.entryPrice), exitPrice: px(t.exitPrice), qty: toStep(t.qty, p.step),
    stopLoss: t.stopLoss === null ? null : px(t.stopLoss), takeProfit: t.takeProfit === null ? null : px(t.takeProfit),
    // pnl = gross − fees + funding holds to the cent as written.
    fees, funding, grossPnl, pnl: money(dec(grossPnl).sub(fees).add(funding).toString()),
  };
}

const bucket = (b: Bucket): Bucket => ({ ...b, netPnl: cents(b.netPnl), winRate: ratio(b.winRate) });
const buckets = (r: Record<string, Bucket>): Record<string, Bucket> => Object.fromEntries(Object.entries(r).map(([k, b]) => [k, bucket(b)]));

/** Money fields to cents, ratios to 6 decimals. */
export function formatMetrics(m: Metrics): Metrics {
  const opt = (v: number | null) => (v === null ? null : cents(v));
  return {
    ...m,
    days: Number(m.days.toFixed(6)), initialEquity: cents(m.initialEquity), finalEquity: cents(m.finalEquity), netPnl: cents(m.netPnl),
    totalReturn: ratio(m.totalReturn)!, winRate: ratio(m.winRate), grossProfit: cents(m.grossProfit), grossLoss: cents(m.grossLoss),
    profitFactor: ratio(m.profitFactor), expectancy: opt(m.expectancy), avgWin: opt(m.avgWin), avgLoss: opt(m.avgLoss),
    fees: cents(m.fees), funding: cents(m.funding), maxDrawdown: ratio(m.maxDrawdown)!, maxDrawdownAbs: cents(m.maxDrawdownAbs),
    sharpe: ratio(m.sharpe), sortino: ratio(m.sortino), cagr: ratio(m.cagr), calmar: ratio(m.calmar), exposure: ratio(m.exposure)!,
    avgHoldMs: m.avgHoldMs === null ? null : Math.round(m.avgHoldMs),
    byHour: buckets(m.byHour), byRegime: buckets(m.byRegime), byExitReason: buckets(m.byExitReason),
  };
}

/** An equity series point to cents; a drawdown fraction to 6 decimals. */
export const equityPoint = ([t, e]: [number, number]): [number, number] => [t, cents(e)];
export const drawdownPoint = ([t, d]: [number, number]): [number, number] => [t, ratio(d)!];
