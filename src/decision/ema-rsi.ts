// The `ema_rsi` strategy: EMA cross confirmed by RSI, ATR stop and target, fixed-fractional size.
// Pure: the same snapshot, previous spread and account state always give the same decision.
import { decisionId } from '../domain/ids.js';
import type { Decision, Intent, PositionView, Snapshot, Verdict, Veto } from '../protocol/index.js';
import { sizePosition } from './sizing.js';

export interface EmaRsiParams {
  rsiLongMax: number;
  rsiShortMin: number;
  intentTtlSec: number;
  riskPerTrade: number;
  leverage: number;
  maxNotionalPctEquity: number;
  stopAtrMult: number;
  takeProfitAtrMult: number;
  maxSlippage: number;
}

export interface EvalState {
  /** emaFast − emaSlow at the previous full snapshot, per symbol. */
  prevSpread: number | null;
  position: PositionView | null;
  equity: number;
  paused: boolean;
  cooldownUntil: number;
}

const fmt = (x: number, dp = 6) => x.toFixed(dp).replace(/\.?0+$/, '');

export function evaluateEmaRsi(s: Snapshot, st: EvalState, p: EmaRsiParams): { decision: Decision; spread: number | null } {
  const { emaFast, emaSlow, rsi, atr } = s.ind;
  const id = decisionId(s.symbol, 'ema_rsi', s.ts);
  const base = { decisionId: id, symbol: s.symbol, ts: s.ts, strategy: 'ema_rsi' };
  if (emaFast == null || emaSlow == null || rsi == null || atr == null) {
    return { decision: { ...base, verdict: 'NEUTRAL', score: 0, vetoes: [{ code: 'warming', detail: 'indicators not warm' }], intent: null, reasoning: 'indicators are still warming up' }, spread: null };
  }
  const spread = emaFast - emaSlow;
  const crossedUp = st.prevSpread !== null && st.prevSpread <= 0 && spread > 0;
  const crossedDown = st.prevSpread !== null && st.prevSpread >= 0 && spread < 0;
  let verdict: Verdict = 'NEUTRAL';
  const vetoes: Veto[] = [];
  if (crossedUp) verdict = rsi < p.rsiLongMax ? 'BUY' : 'NEUTRAL';
  if (crossedDown) verdict = rsi > p.rsiShortMin ? 'SELL' : 'NEUTRAL';
  if (crossedUp && rsi >= p.rsiLongMax) vetoes.push({ code: 'rsi_overbought', detail: `RSI ${fmt(rsi, 2)} ≥ ${p.rsiLongMax}` });
  if (crossedDown && rsi <= p.rsiShortMin) vetoes.push({ code: 'rsi_oversold', detail: `RSI ${fmt(rsi, 2)} ≤ ${p.rsiShortMin}` });
  const score = Math.max(-1, Math.min(1, spread / atr));
  const why = [
    `EMA fast ${fmt(emaFast, 2)} vs slow ${fmt(emaSlow, 2)} (spread ${fmt(spread, 2)}, previous ${st.prevSpread === null ? 'none' : fmt(st.prevSpread, 2)})`,
    crossedUp ? 'crossed up' : crossedDown ? 'crossed down' : 'no cross',
    `RSI ${fmt(rsi, 2)}`, `ATR ${fmt(atr, 2)}`,
  ];
  let intent: Intent | null = null;
  if (verdict !== 'NEUTRAL') {
    if (st.position?.side) vetoes.push({ code: 'position_open', detail: `${st.position.side} ${st.position.qty} already open` });
    if (st.paused) vetoes.push({ code: 'operator_paused', detail: 'trading paused by the operator' });
    if (s.ts < st.cooldownUntil) vetoes.push({ code: 'cooldown', detail: `cooldown until ${new Date(st.cooldownUntil).toISOString()}` });
  }
  if (verdict !== 'NEUTRAL' && vetoes.length === 0) {
    const long = verdict === 'BUY';
    const stop = long ? s.price - p.stopAtrMult * atr : s.price + p.stopAtrMult * atr;
    const tp = long ? s.price + p.takeProfitAtrMult * atr : s.price - p.takeProfitAtrMult * atr;
    const size = sizePosition({ equity: st.equity, riskPerTrade: p.riskPerTrade, entry: s.price, stop, leverage: p.leverage, maxNotionalPctEquity: p.maxNotionalPctEquity });
    if (size.qty <= 0) vetoes.push({ code: 'size_zero', detail: 'computed size is zero' });
    else {
      intent = {
        decisionId: id, symbol: s.symbol, side: long ? 'long' : 'short',
        entry: { reference: fmt(s.price, 8), low: fmt(s.price * (1 - p.maxSlippage), 8), high: fmt(s.price * (1 + p.maxSlippage), 8) },
        stopLoss: fmt(stop, 8), takeProfits: [{ price: fmt(tp, 8), fraction: 1 }],
        qty: fmt(size.qty, 8), notional: fmt(size.notional, 2), maxSlippage: p.maxSlippage,
        expiresAt: s.ts + p.intentTtlSec * 1000, confidence: Math.abs(score), allowMarket: true,
      };
      why.push(`size ${fmt(size.qty, 6)} (${fmt(size.notional, 2)} notional, risk ${fmt(size.riskAmount, 2)}${size.capped ? ', capped' : ''}), stop ${fmt(stop, 2)}, target ${fmt(tp, 2)}`);
    }
  }
  if (vetoes.length) why.push(`vetoed: ${vetoes.map((v) => v.code).join(', ')}`);
  return { decision: { ...base, verdict, score, vetoes, intent, reasoning: why.join('; ') }, spread };
}
