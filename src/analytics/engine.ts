// The analytics engine for one symbol: incremental indicators updated per closed 1m candle → Snapshot.
// Guarantees O(1) work per candle and null for anything not yet warm.
import type { Candle, Snapshot } from '../protocol/index.js';
import { Atr } from './indicators/atr.js';
import { Ema } from './indicators/ema.js';
import { Rsi } from './indicators/rsi.js';
import { hourUtc, sessionAt } from './session.js';

export interface EngineParams {
  emaFast: number;
  emaSlow: number;
  rsiPeriod: number;
  atrPeriod: number;
}

export class SymbolEngine {
  private readonly emaFast: Ema;
  private readonly emaSlow: Ema;
  private readonly rsi: Rsi;
  private readonly atr: Atr;
  lastOpenTime = -1;
  seen = 0;

  constructor(readonly symbol: string, p: EngineParams) {
    this.emaFast = new Ema(p.emaFast);
    this.emaSlow = new Ema(p.emaSlow);
    this.rsi = new Rsi(p.rsiPeriod);
    this.atr = new Atr(p.atrPeriod);
  }

  get warm(): boolean {
    return this.emaSlow.value !== null && this.rsi.value !== null && this.atr.value !== null;
  }

  /** Feeds one closed 1m candle; candles at or before the last one seen are ignored (replays are harmless). */
  update(c: Candle): boolean {
    if (!c.closed || c.tf !== '1m' || c.openTime <= this.lastOpenTime) return false;
    this.lastOpenTime = c.openTime;
    this.seen++;
    this.emaFast.update(c.close);
    this.emaSlow.update(c.close);
    this.rsi.update(c.close);
    this.atr.update(c.high, c.low, c.close);
    return true;
  }

  snapshot(c: Candle, kind: Snapshot['kind']): Snapshot {
    const ts = c.openTime + 60_000;
    return {
      symbol: this.symbol, ts, kind, price: c.close,
      ind: { emaFast: this.emaFast.value, emaSlow: this.emaSlow.value, rsi: this.rsi.value, atr: this.atr.value },
      tf: {}, mtfAlignment: null, session: sessionAt(ts), hourUtc: hourUtc(ts), regime: null, micro: null, flow: null,
      ml: { available: false, reason: 'no model configured' },
    };
  }
}
