// Signals on the 1m indicators (seed 004's IMBA set, VWAP, EMA cross): pure functions of the snapshot.
// Guarantees each one reads only named `Indicators` keys and is "unavailable" while any of them is null.
import type { SignalParams } from '../../config/sections/decision.js';
import type { Snapshot } from '../../protocol/index.js';
import { f, na, none, sign, vote, type SignalFn } from './types.js';

const num = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const missing = (s: Snapshot, keys: string[]): string | null => {
  const m = keys.filter((k) => !num(s.ind[k]));
  return m.length ? `needs ${m.join(', ')}` : null;
};

/** RSI beyond its bands votes for a return (seed 004 rsi_mr). */
export const rsiMr: SignalFn<SignalParams['rsi_mr']> = (s, _prev, p) => {
  const rsi = s.ind.rsi;
  if (!num(rsi)) return na('needs rsi');
  if (rsi < p.oversold) return vote(1, (p.oversold - rsi) / p.fullAt, `RSI ${f(rsi, 1)} < ${p.oversold}`);
  if (rsi > p.overbought) return vote(-1, (rsi - p.overbought) / p.fullAt, `RSI ${f(rsi, 1)} > ${p.overbought}`);
  return none(`RSI ${f(rsi, 1)} inside ${p.oversold}–${p.overbought}`);
};

/** A move since the previous snapshot of at least `minMove` ATR per √minute (seed 004 atr_momentum). */
export const atrMomentum: SignalFn<SignalParams['atr_momentum']> = (s, prev, p) => {
  const atr = s.ind.atr;
  if (!num(atr) || atr <= 0) return na('needs atr');
  if (!prev || prev.ts >= s.ts) return na('needs a previous snapshot');
  const move = (s.price - prev.price) / (atr * Math.sqrt((s.ts - prev.ts) / 60_000));
  if (Math.abs(move) < p.minMove) return none(`move ${f(move, 2)} ATR/√min below ${p.minMove}`);
  return vote(sign(move), Math.abs(move) / p.fullMove, `move ${f(move, 2)} ATR/√min`);
};

/** Fast and slow EMA pinched together, price breaking away from them (seed 004 ema_pinch). */
export const emaPinch: SignalFn<SignalParams['ema_pinch']> = (s, _prev, p) => {
  const why = missing(s, ['emaFast', 'emaSlow', 'atr']);
  if (why) return na(why);
  const { emaFast, emaSlow, atr } = s.ind as { emaFast: number; emaSlow: number; atr: number };
  if (atr <= 0) return na('needs atr > 0');
  const spread = Math.abs(emaFast - emaSlow) / atr;
  if (spread > p.maxSpreadAtr) return none(`EMA spread ${f(spread, 2)} ATR: no pinch`);
  const ext = (s.price - emaFast) / atr;
  if (Math.abs(ext) < p.breakAtr) return none(`pinch (${f(spread, 2)} ATR), price ${f(ext, 2)} ATR from the fast EMA: no break`);
  return vote(sign(ext), Math.abs(ext) / (3 * p.breakAtr), `pinch (${f(spread, 2)} ATR) broken by ${f(ext, 2)} ATR`);
};

const squeezed = (s: Snapshot): boolean | null => {
  const { bbUpper, bbLower, keltnerUpper, keltnerLower } = s.ind;
  if (!num(bbUpper) || !num(bbLower) || !num(keltnerUpper) || !num(keltnerLower)) return null;
  return bbUpper < keltnerUpper && bbLower > keltnerLower;
};

/** Bollinger bands inside Keltner (squeeze), then price out of a band (seed 004 bb_squeeze). */
export const bbSqueeze: SignalFn<SignalParams['bb_squeeze']> = (s, prev, p) => {
  const why = missing(s, ['bbUpper', 'bbLower', 'keltnerUpper', 'keltnerLower', 'atr']);
  if (why) return na(why);
  const { bbUpper, bbLower, atr } = s.ind as { bbUpper: number; bbLower: number; atr: number };
  const now = squeezed(s)!;
  const before = prev ? squeezed(prev) === true : false;
  if (!now && !before) return none('no squeeze');
  if (s.price > bbUpper) return vote(1, (s.price - bbUpper) / atr / p.fullAtr, `squeeze broken up by ${f((s.price - bbUpper) / atr, 2)} ATR`);
  if (s.price < bbLower) return vote(-1, (bbLower - s.price) / atr / p.fullAtr, `squeeze broken down by ${f((bbLower - s.price) / atr, 2)} ATR`);
  return none('squeeze, no break yet');
};

const vwapOf = (s: Snapshot): number | null => (num(s.ind.vwapSession) ? s.ind.vwapSession : num(s.ind.vwapRolling) ? s.ind.vwapRolling : null);

/** Price above VWAP is bullish, below bearish (seed 001 vwap; seed 003 "above = bullish"). */
export const vwap: SignalFn<SignalParams['vwap']> = (s, _prev, p) => {
  const ref = vwapOf(s);
  const atr = s.ind.atr;
  if (ref === null) return na('needs vwapSession or vwapRolling');
  if (!num(atr) || atr <= 0) return na('needs atr');
  const d = (s.price - ref) / atr;
  return vote(sign(d), Math.abs(d) / p.fullAtr, `price ${f(d, 2)} ATR from VWAP`);
};

/** In an EMA trend, price back near VWAP: join the trend (seed 004 vwap_pullback). */
export const vwapPullback: SignalFn<SignalParams['vwap_pullback']> = (s, _prev, p) => {
  const why = missing(s, ['emaFast', 'emaSlow', 'atr']);
  if (why) return na(why);
  const ref = vwapOf(s);
  if (ref === null) return na('needs vwapSession or vwapRolling');
  const { emaFast, emaSlow, atr } = s.ind as { emaFast: number; emaSlow: number; atr: number };
  const trend = sign(emaFast - emaSlow);
  const dist = Math.abs(s.price - ref) / atr;
  if (trend === 0 || dist > p.nearAtr) return none(`trend ${trend}, ${f(dist, 2)} ATR from VWAP: no pullback`);
  return vote(trend, 1 - 0.5 * (dist / p.nearAtr), `pullback to VWAP (${f(dist, 2)} ATR) in a ${trend > 0 ? 'rising' : 'falling'} EMA trend`);
};

/** Price outside the VWAP bands votes for the return to VWAP (seed 004 vwap_bands_mr). */
export const vwapBandsMr: SignalFn<SignalParams['vwap_bands_mr']> = (s, _prev, p) => {
  const why = missing(s, ['vwapSessionUpper', 'vwapSessionLower', 'atr']);
  if (why) return na(why);
  const { vwapSessionUpper: up, vwapSessionLower: lo, atr } = s.ind as { vwapSessionUpper: number; vwapSessionLower: number; atr: number };
  if (s.price > up) return vote(-1, (s.price - up) / atr / p.fullAtr, `${f((s.price - up) / atr, 2)} ATR above the upper VWAP band`);
  if (s.price < lo) return vote(1, (lo - s.price) / atr / p.fullAtr, `${f((lo - s.price) / atr, 2)} ATR below the lower VWAP band`);
  return none('inside the VWAP bands');
};

/** Price through the previous snapshot's Donchian channel (seed 004 breakout_retest: the breakout leg). */
export const breakoutRetest: SignalFn<SignalParams['breakout_retest']> = (s, prev, p) => {
  if (!num(s.ind.atr) || s.ind.atr <= 0) return na('needs atr');
  if (!prev || !num(prev.ind.donchianHigh) || !num(prev.ind.donchianLow)) return na('needs the previous donchianHigh/donchianLow');
  const atr = s.ind.atr;
  if (s.price > prev.ind.donchianHigh) return vote(1, (s.price - prev.ind.donchianHigh) / atr / p.fullAtr, 'broke above the Donchian high');
  if (s.price < prev.ind.donchianLow) return vote(-1, (prev.ind.donchianLow - s.price) / atr / p.fullAtr, 'broke below the Donchian low');
  return none('inside the Donchian channel');
};

/** Far from the volume point of control: vote for the return to it (seed 004 volume_profile; needs `poc`). */
export const volumeProfile: SignalFn<SignalParams['volume_profile']> = (s, _prev, p) => {
  const why = missing(s, ['poc', 'atr']);
  if (why) return na(why);
  const d = (s.price - (s.ind.poc as number)) / (s.ind.atr as number);
  if (Math.abs(d) < p.minAtr) return none(`${f(d, 2)} ATR from the POC`);
  return vote(sign(-d), Math.abs(d) / p.fullAtr, `${f(d, 2)} ATR from the POC`);
};

/** The fast EMA crossing the slow one since the previous snapshot (strategy ema_rsi). */
export const emaCross: SignalFn<SignalParams['ema_cross']> = (s, prev) => {
  const why = missing(s, ['emaFast', 'emaSlow']);
  if (why) return na(why);
  if (!prev || !num(prev.ind.emaFast) || !num(prev.ind.emaSlow)) return na('needs the previous EMAs');
  const now = (s.ind.emaFast as number) - (s.ind.emaSlow as number);
  const before = prev.ind.emaFast - prev.ind.emaSlow;
  if (before <= 0 && now > 0) return vote(1, 1, `crossed up (spread ${f(before, 2)} → ${f(now, 2)})`);
  if (before >= 0 && now < 0) return vote(-1, 1, `crossed down (spread ${f(before, 2)} → ${f(now, 2)})`);
  return none(`no cross (spread ${f(before, 2)} → ${f(now, 2)})`);
};
