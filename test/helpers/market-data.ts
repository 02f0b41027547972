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
