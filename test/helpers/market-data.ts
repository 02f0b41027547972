// Reference market data for tests: the shared real candles and trades (../shared/data), and generated candles.
// Guarantees a null (with the reason to print) when the shared data is absent, so tests can skip clearly.
import { existsSync, readFileSync } from 'node:fs';
import { synthCandle, type SynthParams } from '../../src/market/synthetic.js';
import { fromRoot } from '../../src/paths.js';
import type { Candle, Trade } from '../../src/protocol/index.js';

export const SHARED_DATA = fromRoot('..', 'shared', 'data');
export const BTC_FILE = `${SHARED_DATA}/btcusdt-1m-2023-03-01_21.csv`;
export const ETH_TRADES_FILE = `${SHARED_DATA}/ethusdt-trades-2023-02-02.csv`;
export const BTC = 'BTC/USDT:USDT';

export const missing = (file: string): string | null => (existsSync(file) ? null : `skip: ${file} is absent (../shared/data is not mounted)`);

/** The shared month of BTC/USDT 1m candles, or null when ../shared/data is absent. */
export function loadBtcCandles(): Candle[] | null {
  if (missing(BTC_FILE)) return null;
  const lines = readFileSync(BTC_FILE, 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const [t, o, h, lo, c, v] = l.split(',');
    return { symbol: BTC, tf: '1m', openTime: Date.parse(t!.replace(' ', 'T')), open: +o!, high: +h!, low: +lo!, close: +c!, volume: +v!, closed: true };
  });
}

/** The 1,000 shared ETH/USDT trades (aggressor side known), or null when ../shared/data is absent. */
export function loadEthTrades(): Trade[] | null {
  if (missing(ETH_TRADES_FILE)) return null;
  const lines = readFileSync(ETH_TRADES_FILE, 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const f = l.split(',');
    return { id: f[2]!, ts: Number(f[1]), side: f[4] as 'buy' | 'sell', price: Number(f[5]), qty: Number(f[6]) };
  });
}

export const SYNTH: SynthParams = { seed: 11, startPrice: 30000, volatility: 0.0012, regimeMinutes: 240, baseVolume: 25 };

/** `n` generated 1m candles from the seeded synthetic market (all four regimes occur within a few days). */
export function synthCandles(n: number, start = Date.UTC(2026, 0, 5), p: SynthParams = SYNTH, symbol = BTC): Candle[] {
  const out: Candle[] = [];
  let prev = p.startPrice;
  for (let i = 0; i < n; i++) {
    const c = synthCandle(p, symbol, start + i * 60_000, prev);
    out.push(c);
    prev = c.close;
  }
  return out;
}

export interface CompanionParams {
  symbol: string;
  /** Price level relative to the source (ETH/BTC ≈ 0.065). */
  scale: number;
  seed: number;
  /** Share of the source's minute return the companion follows (default 0.8). */
  beta?: number;
  /** Standard deviation of its own minute log-return (default 0.0004, about BTC's own in March 2023: correlation ≈ 0.6). */
  noise?: number;
  /** Price decimals (default 2, the ETH tick). */
  decimals?: number;
  /** Volume factor (default 1 / scale: the same turnover in quote currency). */
  volumeScale?: number;
}

/** mulberry32: a small seeded uniform generator on [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A second market derived from real candles (for several-symbol tests when only BTC history is shared): the same minutes,
 * the price at `scale`, each minute's log-return `beta` × the source's plus a seeded independent normal part, so it
 * correlates as altcoins do without moving in lockstep; the source's wicks (relative to its body) and volume carry over.
 * Deterministic for the same candles and params; OHLC consistent (low ≤ open, close ≤ high) after rounding.
 */
export function companionCandles(source: Candle[], p: CompanionParams): Candle[] {
  const rnd = mulberry32(p.seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const beta = p.beta ?? 0.8;
  const noise = p.noise ?? 0.0004;
  const k = 10 ** (p.decimals ?? 2);
  const round = (x: number) => Math.round(x * k) / k;
  const vol = p.volumeScale ?? 1 / p.scale;
  const out: Candle[] = [];
  let price = source.length ? source[0]!.open * p.scale : 0;
  let prevClose = source[0]?.open ?? 0;
  for (const c of source) {
    const open = round(price);
    // The source's gap from its previous close and its body, both as log-returns, followed by beta plus own noise.
    const gap = Math.log(c.open / prevClose);
    const body = Math.log(c.close / c.open);
    price = price * Math.exp(beta * (gap + body) + noise * normal());
    const close = round(price);
    const up = c.high / Math.max(c.open, c.close) - 1;
    const down = 1 - c.low / Math.min(c.open, c.close);
    const high = Math.max(round(Math.max(open, close) * (1 + up)), open, close);
    const low = Math.min(round(Math.min(open, close) * (1 - down)), open, close);
    out.push({ symbol: p.symbol, tf: '1m', openTime: c.openTime, open, high, low, close, volume: Math.round(c.volume * vol * (0.7 + 0.6 * rnd()) * 1000) / 1000, closed: true });
    prevClose = c.close;
  }
  return out;
}

/** Candles in the CSV format `bosun backtest --data` and `data import` read (open_time in epoch ms). */
export function candleCsv(candles: Candle[]): string {
  return `open_time,open,high,low,close,volume\n${candles.map((c) => `${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`;
}
