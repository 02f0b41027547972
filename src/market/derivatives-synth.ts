// Seeded synthetic derivatives data from a market's 1m candles: open interest that moves with price and volume,
// long/short ratios around 1, taker volume from the candles, funding from the trend, liquidations in bursts on large
// moves. Guarantees: every value is a pure function of (params, symbol, time, the candles before it) — the same
// candles and seed give the same data on every run and after any restart; nothing is read from after its time.
import type { Candle, DerivativesMetrics, FundingSettlement, Liquidation } from '../protocol/index.js';
import { nextFloat, nextGaussian, seedRng } from './rng.js';

const MINUTE = 60_000;
export const PERIOD_MS = 5 * MINUTE;
/** Candles a metrics value looks back over (the open-interest level follows the last day's volume). */
export const SYNTH_LOOKBACK_MIN = 1440;

export interface DerivSynthParams {
  seed: number;
  /** Open interest ≈ this many days of the market's typical volume. */
  oiDays: number;
  /** The market's typical 1m volume (base units): open interest's level; the last day's volume moves it around that. */
  refVolume: number;
  /** A 1m move (open to the extreme) beyond this many σ of the last hour's 1m returns sets off a liquidation burst. */
  liqMoveSigma: number;
  /** Forced liquidations of a burst total this share of the minute's traded notional (× how far the move went). */
  liqVolumeShare: number;
  /** Chance of a lone liquidation in a calm minute. */
  liqBackground: number;
  fundingIntervalMs: number;
  /** Funding's interest component per interval (Binance: 0.0001 = 0.01 %). */
  interestRate: number;
  /** Quantity step of the symbol (liquidation quantities are rounded to it). */
  qtyStep?: number;
}

const mix = (a: number, b: number): number => {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
};
const salt = (s: string): number => [...s].reduce((h, c) => mix(h, c.charCodeAt(0)), 0x5eed);
const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);
const round = (x: number, dp: number) => Number(x.toFixed(dp));

/** Smooth value noise in about [−1, 1] with features `scaleMin` minutes long: a pure function of (seed, key, t). */
export function valueNoise(seed: number, key: number, t: number, scaleMin: number): number {
  const x = t / (scaleMin * MINUTE);
  const i = Math.floor(x);
  const f = x - i;
  const at = (k: number) => clamp(nextGaussian(seedRng(mix(mix(seed, key), k))) / 2, -1.5, 1.5);
  const w = (1 - Math.cos(Math.PI * f)) / 2;
  return at(i) * (1 - w) + at(i + 1) * w;
}

/** Candles closed by `t` (close time ≤ t), oldest first: a binary search over a sorted series. */
export function closedBy(candles: Candle[], t: number): number {
  let lo = 0;
  let hi = candles.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (candles[mid]!.openTime + MINUTE <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Geometric mean of the 1m volumes in [from, to) (each floored at `floor`): a level robust to one spike. */
function geoMean(candles: Candle[], from: number, to: number, floor: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += Math.log(Math.max(floor, candles[i]!.volume));
  return to > from ? Math.exp(s / (to - from)) : 0;
}

interface Window {
  close: number;
  /** log returns over 5 minutes, 1 hour, 4 hours and 8 hours (0 where the window is shorter). */
  r5m: number;
  r1h: number;
  r4h: number;
  r8h: number;
  /** σ of 1m log returns over the last hour (floored). */
  sigma1: number;
  /** Geometric mean 1m volume over the last day and the last hour. */
  vDay: number;
  vHour: number;
  /** Taker buy / sell over the last `periodMin` minutes, when the candles carry taker-buy volume. */
  taker: number | null;
}

function windowAt(candles: Candle[], end: number, periodMin: number, refVolume: number, volumes = true): Window | null {
  if (end <= 0) return null;
  const last = candles[end - 1]!;
  const back = (m: number) => candles[Math.max(0, end - 1 - m)]!.close;
  const ln = Math.log;
  let s2 = 0;
  let n = 0;
  for (let i = Math.max(1, end - 60); i < end; i++) {
    const r = ln(candles[i]!.close / candles[i - 1]!.close);
    s2 += r * r;
    n++;
  }
  const sigma1 = Math.max(1e-4, n ? Math.sqrt(s2 / n) : 0);
  const vDay = volumes ? geoMean(candles, Math.max(0, end - SYNTH_LOOKBACK_MIN), end, refVolume * 1e-3) : 0;
  const vHour = volumes ? geoMean(candles, Math.max(0, end - 60), end, refVolume * 1e-3) : 0;
  let buy = 0;
  let vol = 0;
  let known = true;
  for (let i = Math.max(0, end - periodMin); i < end; i++) {
    const c = candles[i]!;
    if (c.takerBuyVolume === undefined) known = false;
    buy += c.takerBuyVolume ?? 0;
    vol += c.volume;
  }
  const taker = known && vol > buy && buy > 0 ? buy / (vol - buy) : null;
  return { close: last.close, r5m: ln(last.close / back(5)), r1h: ln(last.close / back(60)), r4h: ln(last.close / back(240)), r8h: ln(last.close / back(480)), sigma1, vDay, vHour, taker };
}

/** The metrics row stamped `t` (a period end) from the candles closed by then; null without any. */
export function synthMetricsAt(p: DerivSynthParams, symbol: string, candles: Candle[], t: number, periodMs = PERIOD_MS): DerivativesMetrics | null {
  const w = windowAt(candles, closedBy(candles, t), Math.max(1, Math.round(periodMs / MINUTE)), p.refVolume);
  if (!w || !(w.vDay > 0) || !(w.vHour > 0)) return null;
  const k = salt(symbol);
  const n = (key: number, scale: number) => valueNoise(p.seed, mix(k, key), t, scale);
  // Open interest: the market's level, loosely following the day's activity, a slow drift, more in an up-trend and in a
  // busy hour, flushed by a hard hour (liquidations close positions).
  const flush = Math.max(0, Math.abs(w.r1h) - 3 * w.sigma1 * Math.sqrt(60));
  const logOi = Math.log(p.oiDays * 1440 * p.refVolume) + 0.15 * clamp(Math.log(w.vDay / p.refVolume), -2, 2) + 0.1 * n(1, 2880) + 0.01 * n(2, 90)
    + 0.01 * clamp(Math.log(w.vHour / w.vDay), -1, 1) + 0.5 * w.r4h - 1.5 * flush;
  const oi = round(Math.exp(logOi), 3);
  // The crowd (all accounts) leans long and buys dips; top traders' accounts a little; their positions follow the trend.
  const lsr = Math.exp(clamp(0.15 + 0.18 * n(3, 360) - 4 * w.r4h, -1, 1.2));
  const topAcc = Math.exp(clamp(0.1 + 0.15 * n(4, 480) - 2 * w.r4h, -1, 1.2));
  const topPos = Math.exp(clamp(0.05 + 0.2 * n(5, 720) + 3 * w.r4h, -1, 1.2));
  // Taker buy/sell: from the candles' taker-buy volume when they have it, else from the period's move.
  const taker = w.taker ?? Math.exp(clamp(0.25 * (w.r5m / (w.sigma1 * Math.sqrt(5))) + 0.05 * n(6, 30), -1, 1));
  return {
    symbol, ts: t, openInterest: oi, openInterestValue: round(oi * w.close, 4),
    topTraderAccountRatio: round(topAcc, 4), topTraderPositionRatio: round(topPos, 4), longShortRatio: round(lsr, 4), takerBuySellRatio: round(taker, 4),
  };
}

/** Open interest at any time `t` (the live value between two periods). */
export function synthOpenInterestAt(p: DerivSynthParams, symbol: string, candles: Candle[], t: number): number | null {
  return synthMetricsAt(p, symbol, candles, t)?.openInterest ?? null;
}

/** The funding settled at `t` (a funding time): the interest term plus the premium an 8-hour trend builds. */
export function synthFundingAt(p: DerivSynthParams, symbol: string, candles: Candle[], t: number): FundingSettlement | null {
  const w = windowAt(candles, closedBy(candles, t), 1, p.refVolume, false);
  if (!w) return null;
  const rate = clamp(p.interestRate + 0.01 * w.r8h + 0.00008 * valueNoise(p.seed, mix(salt(symbol), 7), t, 2880), -0.003, 0.003);
  return { symbol, ts: t, rate: round(rate, 8), intervalHours: Math.round(p.fundingIntervalMs / 3_600_000), markPrice: w.close };
}

/**
 * The forced liquidations during the 1m candle `c` (given the candles before it): a burst when the bar's move from its
 * open to an extreme exceeds `liqMoveSigma` σ — longs (sell orders) on the way down, shorts (buy orders) on the way up,
 * more and larger the further it goes — else now and then a lone one. Times inside the minute, oldest first, at most
 * one per second (Binance's stream pushes the latest of each second).
 */
export function synthLiquidations(p: DerivSynthParams, symbol: string, c: Candle, before: Candle[]): Liquidation[] {
  const rng = seedRng(mix(mix(p.seed, salt(symbol)), mix(Math.floor(c.openTime / MINUTE), 0x11d)));
  let s2 = 0;
  let n = 0;
  for (let i = Math.max(1, before.length - 60); i < before.length; i++) {
    const r = Math.log(before[i]!.close / before[i - 1]!.close);
    s2 += r * r;
    n++;
  }
  const sigma = Math.max(1e-4, n ? Math.sqrt(s2 / n) : 0);
  const down = Math.log(c.open / c.low) / sigma;
  const up = Math.log(c.high / c.open) / sigma;
  const minuteUsd = c.volume * c.close;
  const events: Array<{ side: 'buy' | 'sell'; usd: number }> = [];
  for (const [side, z] of [['sell', down], ['buy', up]] as const) {
    const excess = z - p.liqMoveSigma;
    if (excess <= 0) continue;
    const count = Math.min(25, 1 + Math.floor(excess * 2 + nextFloat(rng) * 3));
    const total = Math.min(0.5, p.liqVolumeShare * (1 + excess)) * minuteUsd;
    for (let i = 0; i < count; i++) events.push({ side, usd: (total / count) * Math.exp(0.6 * nextGaussian(rng) - 0.18) });
  }
  if (!events.length && nextFloat(rng) < p.liqBackground) events.push({ side: nextFloat(rng) < 0.5 ? 'sell' : 'buy', usd: 0.4 * p.liqVolumeShare * minuteUsd * Math.exp(0.6 * nextGaussian(rng) - 0.18) });
  if (!events.length || !(minuteUsd > 0)) return [];
  const step = p.qtyStep ?? 0.001;
  const secs = new Set<number>();
  const out: Liquidation[] = [];
  for (const e of events.slice(0, 59)) {
    let s = 1 + Math.floor(nextFloat(rng) * 59);
    while (secs.has(s)) s = (s % 59) + 1;
    secs.add(s);
    const notional = e.usd;
    // Liquidated longs sell between the open and the low, shorts buy between the open and the high.
    const extreme = e.side === 'sell' ? c.low : c.high;
    const price = c.open + (extreme - c.open) * (0.5 + 0.5 * nextFloat(rng));
    const qty = Math.round(notional / price / step) * step;
    if (!(qty > 0)) continue;
    const avg = price * (1 + (e.side === 'sell' ? -1 : 1) * 0.0002 * nextFloat(rng));
    const q = Number(qty.toFixed(8));
    const px = round(price, 2);
    const ap = round(avg, 2);
    out.push({ symbol, ts: c.openTime + s * 1000 - 1, side: e.side, price: px, avgPrice: ap, qty: q, notional: round(ap * q, 8) });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/** Period ends in [from, to] (inclusive) on a `periodMs` grid. */
export function periodStamps(from: number, to: number, periodMs: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(from / periodMs) * periodMs; t <= to; t += periodMs) out.push(t);
  return out;
}

/** Whole derivatives history for a candle series: every 5-minute row, every funding settlement, every liquidation. */
export function synthDerivativesHistory(p: DerivSynthParams, symbol: string, candles: Candle[]): { metrics: DerivativesMetrics[]; funding: FundingSettlement[]; liquidations: Liquidation[] } {
  if (!candles.length) return { metrics: [], funding: [], liquidations: [] };
  const first = candles[0]!.openTime + MINUTE;
  const last = candles.at(-1)!.openTime + MINUTE;
  const metrics = periodStamps(first, last, PERIOD_MS).map((t) => synthMetricsAt(p, symbol, candles, t)).filter((m): m is DerivativesMetrics => m !== null);
  const funding = periodStamps(first, last, p.fundingIntervalMs).map((t) => synthFundingAt(p, symbol, candles, t)).filter((f): f is FundingSettlement => f !== null);
  const liquidations: Liquidation[] = [];
  for (let i = 0; i < candles.length; i++) liquidations.push(...synthLiquidations(p, symbol, candles[i]!, candles.slice(Math.max(0, i - 61), i)));
  return { metrics, funding, liquidations };
}
