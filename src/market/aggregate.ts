// Aggregates closed 1m candles into higher timeframes (5m, 15m, 1h, 4h), one bucket per timeframe.
// Guarantees: pure and deterministic; a higher-timeframe candle is emitted once, when its last minute
// arrives or when a later minute proves the bucket is over (gaps never merge two buckets).
import { bucketStart, TIMEFRAME_MS } from '../domain/timeframes.js';
import type { Candle, Timeframe } from '../protocol/index.js';

interface Partial_ {
  c: Candle;
  minutes: number;
}

export class CandleAggregator {
  private readonly open = new Map<string, Partial_>();
  private readonly lastMinute = new Map<string, number>();

  constructor(readonly timeframes: Exclude<Timeframe, '1m'>[]) {}

  /** Feeds one closed 1m candle; returns the higher-timeframe candles it closes, shortest first. */
  push(m: Candle): Candle[] {
    if (m.tf !== '1m' || !m.closed) return [];
    const last = this.lastMinute.get(m.symbol);
    if (last !== undefined && m.openTime <= last) return []; // replayed or out of order: ignored
    this.lastMinute.set(m.symbol, m.openTime);
    const out: Candle[] = [];
    for (const tf of this.timeframes) {
      const key = `${m.symbol}|${tf}`;
      const start = bucketStart(m.openTime, tf);
      let p = this.open.get(key);
      if (p && p.c.openTime !== start) {
        out.push({ ...p.c, closed: true }); // the bucket ended with a gap before its last minute
        p = undefined;
      }
      if (!p) {
        p = { c: { symbol: m.symbol, tf, openTime: start, open: m.open, high: m.high, low: m.low, close: m.close, volume: 0, closed: false }, minutes: 0 };
        if (m.takerBuyVolume !== undefined) p.c.takerBuyVolume = 0;
        this.open.set(key, p);
      }
      const c = p.c;
      if (m.high > c.high) c.high = m.high;
      if (m.low < c.low) c.low = m.low;
      c.close = m.close;
      c.volume += m.volume;
      if (c.takerBuyVolume !== undefined) c.takerBuyVolume += m.takerBuyVolume ?? 0;
      p.minutes++;
      if (m.openTime + 60_000 === start + TIMEFRAME_MS[tf]) {
        out.push({ ...c, closed: true });
        this.open.delete(key);
      }
    }
    return out;
  }

  /** The in-progress candle of a timeframe (closed: false), if any. */
  current(symbol: string, tf: Exclude<Timeframe, '1m'>): Candle | null {
    const p = this.open.get(`${symbol}|${tf}`);
    return p ? { ...p.c } : null;
  }
}
