// The risk manager's state and rules: drawdown breakers, emergency stop, post-loss cooldown, trade and position caps.
// Pure: every function takes the state and the clock time and returns what changed; the host persists it.
import type { RiskConfig } from '../config/sections/decision.js';
import type { EquityPoint, PositionEvent, PositionView, Regime, Side, Veto } from '../protocol/index.js';
import { f } from './signals/types.js';

export type BreakerCode = 'daily_drawdown' | 'weekly_drawdown' | 'emergency_stop';

export interface Breaker {
  code: BreakerCode;
  firedAt: number;
  /** End of its period; null: in force until an operator resumes. */
  until: number | null;
  reason: string;
  flatten: boolean;
}

export interface Baseline {
  /** Start of the period the baseline belongs to. */
  start: number;
  equity: number;
}

export interface RiskState {
  breakers: Breaker[];
  /** Equity the emergency stop measures from (the first equity seen, or the equity at an operator resume). */
  reference: number | null;
  /** Set by an operator resume: within the same day/week the drawdown is measured from the equity at resume. */
  baselines: { day: Baseline | null; week: Baseline | null };
  equity: number | null;
  lossStreak: number;
  lossCooldownUntil: number;
  /** Per symbol, when its last intent went out (the cooldown spaces entries on one symbol, not across the portfolio). */
  lastIntentAt: Record<string, number>;
  tradesDay: { day: number; count: number };
  /** Closed trades and wins (bounded Kelly's win probability). */
  closed: { trades: number; wins: number };
  positions: Record<string, PositionView>;
  /** Intents sent and not yet seen as a position: symbol → expiry. */
  pending: Record<string, number>;
  /** Last regime per symbol (BTC gate for altcoin longs). */
  regimes: Record<string, Regime | null>;
  paused: boolean;
}

export const DAY = 86_400_000;
export const dayStart = (ts: number): number => ts - (((ts % DAY) + DAY) % DAY);
/** Monday 00:00 UTC of the ISO week containing `ts`. */
export const weekStart = (ts: number): number => dayStart(ts) - ((new Date(ts).getUTCDay() + 6) % 7) * DAY;

export const emptyRisk = (): RiskState => ({
  breakers: [], reference: null, baselines: { day: null, week: null }, equity: null, lossStreak: 0, lossCooldownUntil: 0,
  lastIntentAt: {}, tradesDay: { day: 0, count: 0 }, closed: { trades: 0, wins: 0 }, positions: {}, pending: {}, regimes: {}, paused: false,
});

export const inForce = (b: Breaker, now: number): boolean => b.until === null || b.until > now;
export const activeBreakers = (st: RiskState, now: number): Breaker[] => st.breakers.filter((b) => inForce(b, now));
const iso = (t: number) => new Date(t).toISOString();

export interface EquityOutcome {
  fired: Breaker[];
  /** Set when the account reference is seen for the first time (to persist). */
  reference: number | null;
  drawdown: { day: number; week: number; account: number | null };
}

/** Checks the breakers against an equity point. A breaker already in force is not fired again. */
export function checkEquity(st: RiskState, e: EquityPoint, cfg: RiskConfig, now: number): EquityOutcome {
  const equity = Number(e.equity);
  const dStart = dayStart(now);
  const wStart = weekStart(now);
  const dayBase = st.baselines.day?.start === dStart ? st.baselines.day.equity : equity - Number(e.dayPnl);
  const weekBase = st.baselines.week?.start === wStart ? st.baselines.week.equity : equity - Number(e.weekPnl);
  const reference = st.reference ?? equity;
  const dd = (base: number) => (base > 0 ? (equity - base) / base : 0);
  const drawdown = { day: dd(dayBase), week: dd(weekBase), account: dd(reference) };
  const fired: Breaker[] = [];
  const active = new Set(activeBreakers(st, now).map((b) => b.code));
  if (drawdown.day <= -cfg.dailyDrawdown && !active.has('daily_drawdown')) {
    fired.push({ code: 'daily_drawdown', firedAt: now, until: dStart + DAY, flatten: false, reason: `day drawdown ${f(drawdown.day * 100, 2)} % ≤ −${f(cfg.dailyDrawdown * 100, 2)} % (equity ${f(equity, 2)} from ${f(dayBase, 2)}); no new entries until ${iso(dStart + DAY)}` });
  }
  if (drawdown.week <= -cfg.weeklyDrawdown && !active.has('weekly_drawdown')) {
    fired.push({ code: 'weekly_drawdown', firedAt: now, until: wStart + 7 * DAY, flatten: false, reason: `week drawdown ${f(drawdown.week * 100, 2)} % ≤ −${f(cfg.weeklyDrawdown * 100, 2)} % (equity ${f(equity, 2)} from ${f(weekBase, 2)}); no new entries until ${iso(wStart + 7 * DAY)}` });
  }
  if (drawdown.account <= -cfg.emergencyDrawdown && !active.has('emergency_stop')) {
    fired.push({ code: 'emergency_stop', firedAt: now, until: null, flatten: true, reason: `account drawdown ${f(drawdown.account * 100, 2)} % ≤ −${f(cfg.emergencyDrawdown * 100, 2)} % (equity ${f(equity, 2)} from reference ${f(reference, 2)}): halt and flatten until an operator resumes` });
  }
  return { fired, reference: st.reference === null ? equity : null, drawdown };
}

/** Breakers whose period has ended (to be cleared as `period_end`). */
export const expiredBreakers = (st: RiskState, now: number): Breaker[] => st.breakers.filter((b) => !inForce(b, now));

/** An operator resume: every breaker is cleared and the drawdowns restart from the equity now. */
export function resumeBaselines(st: RiskState, now: number): Pick<RiskState, 'baselines' | 'reference'> {
  if (st.equity === null) return { baselines: st.baselines, reference: st.reference };
  return { baselines: { day: { start: dayStart(now), equity: st.equity }, week: { start: weekStart(now), equity: st.equity } }, reference: st.equity };
}

export const netPnl = (e: PositionEvent): number => Number(e.realizedPnl ?? 0) - Number(e.fees ?? 0);

/** A closed trade: a loss extends the streak and starts the escalating cooldown (30/60/120 min); a win resets it. */
export function onClosed(st: RiskState, e: PositionEvent, cfg: RiskConfig, now: number): Pick<RiskState, 'lossStreak' | 'lossCooldownUntil' | 'closed'> {
  const pnl = netPnl(e);
  const closed = { trades: st.closed.trades + 1, wins: st.closed.wins + (pnl > 0 ? 1 : 0) };
  if (pnl >= 0) return { lossStreak: 0, lossCooldownUntil: st.lossCooldownUntil, closed };
  const streak = st.lossStreak + 1;
  return { lossStreak: streak, lossCooldownUntil: Math.max(st.lossCooldownUntil, now + lossCooldownMs(streak, cfg)), closed };
}

export const lossCooldownMs = (streak: number, cfg: RiskConfig): number =>
  streak <= 0 ? 0 : cfg.lossCooldownMin[Math.min(streak, cfg.lossCooldownMin.length) - 1]! * 60_000;

const sectorOf = (symbol: string, cfg: RiskConfig) => cfg.sectors[symbol] ?? symbol;

/** Symbols holding a position or an unexpired intent. */
export function exposure(st: RiskState, now: number): string[] {
  const open = Object.values(st.positions).filter((p) => p.side !== null).map((p) => p.symbol);
  const pend = Object.entries(st.pending).filter(([sym, exp]) => exp > now && !open.includes(sym)).map(([sym]) => sym);
  return [...open, ...pend];
}

export interface RiskCheckInput {
  symbol: string;
  side: Side;
  now: number;
  cooldownSec: number;
}

/** Every risk veto for a new entry, each with its reason code. */
export function riskVetoes(st: RiskState, i: RiskCheckInput, cfg: RiskConfig): Veto[] {
  const v: Veto[] = [];
  const { now, symbol, side } = i;
  if (st.paused) v.push({ code: 'operator_paused', detail: 'trading paused by the operator' });
  for (const b of activeBreakers(st, now)) v.push({ code: b.code, detail: b.reason });
  const pos = st.positions[symbol];
  if (pos?.side) v.push({ code: 'position_open', detail: `${pos.side} ${pos.qty} ${symbol} already open` });
  else if ((st.pending[symbol] ?? 0) > now) v.push({ code: 'intent_pending', detail: `an intent for ${symbol} is pending until ${iso(st.pending[symbol]!)}` });
  const last = st.lastIntentAt[symbol];
  if (last !== undefined && now < last + i.cooldownSec * 1000) {
    v.push({ code: 'cooldown', detail: `cooldown after the last ${symbol} intent until ${iso(last + i.cooldownSec * 1000)}` });
  }
  if (now < st.lossCooldownUntil) {
    v.push({ code: 'loss_cooldown', detail: `${st.lossStreak} consecutive loss(es): cooldown ${lossCooldownMs(st.lossStreak, cfg) / 60_000} min until ${iso(st.lossCooldownUntil)}` });
  }
  const today = st.tradesDay.day === dayStart(now) ? st.tradesDay.count : 0;
  if (today >= cfg.maxTradesPerDay) v.push({ code: 'max_trades_day', detail: `${today} entries today, at most ${cfg.maxTradesPerDay}` });
  const held = exposure(st, now).filter((s) => s !== symbol);
  if (held.length >= cfg.maxPositions) v.push({ code: 'max_positions', detail: `${held.length} positions or pending entries (${held.join(', ')}), at most ${cfg.maxPositions}` });
  const sector = sectorOf(symbol, cfg);
  const inSector = held.filter((s) => sectorOf(s, cfg) === sector);
  if (inSector.length >= cfg.maxPerSector) v.push({ code: 'sector_cap', detail: `${inSector.length} in sector ${sector} (${inSector.join(', ')}), at most ${cfg.maxPerSector}` });
  const btc = cfg.btcRegimeGate;
  if (btc.enabled && side === 'long' && symbol !== btc.btcSymbol && st.regimes[btc.btcSymbol] === 'TRENDING_DOWN') {
    v.push({ code: 'btc_regime_down', detail: `${btc.btcSymbol} regime is TRENDING_DOWN: no altcoin longs` });
  }
  return v;
}

/** After an intent: spacing, the day's count and the pending slot. */
export function afterIntent(st: RiskState, symbol: string, now: number, expiresAt: number): Pick<RiskState, 'lastIntentAt' | 'tradesDay' | 'pending'> {
  const day = dayStart(now);
  const count = st.tradesDay.day === day ? st.tradesDay.count + 1 : 1;
  return { lastIntentAt: { ...st.lastIntentAt, [symbol]: now }, tradesDay: { day, count }, pending: { ...st.pending, [symbol]: expiresAt } };
}

export const describeBreakers = (bs: Breaker[]): string =>
  bs.map((b) => `${b.code} (${b.until === null ? 'until an operator resumes' : `until ${iso(b.until)}`})`).join(', ');
