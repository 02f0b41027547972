// The decision engine: snapshot → strategy votes → gates → risk vetoes → sizing → intent, with the full reasoning.
// Pure: given the snapshot, the engine state and the config it always returns the same decision; nothing trades without a stop and a size within the caps.
import type { DecisionConfig, Preset, RiskConfig, Thresholds } from '../config/sections/decision.js';
import { decisionId } from '../domain/ids.js';
import { TIMEFRAME_MS } from '../domain/timeframes.js';
import type { Decision, DecisionDetail, Intent, Snapshot, Timeframe, Veto } from '../protocol/index.js';
import { applyGates } from './gates.js';
import { conditionsOf, learningSizing, type LearningState } from './learning.js';
import { activeBreakers, describeBreakers, riskVetoes, type RiskState } from './risk.js';
import { f, type Dir } from './signals/types.js';
import { notionalCap, shrunkWinRate, sizeKelly, sizePosition, strengthMultiplier } from './sizing.js';
import { evaluate } from './strategies.js';

export interface EngineConfig {
  strategy: string;
  preset: Preset;
  decision: Pick<DecisionConfig, 'hours' | 'signals' | 'cooldownSec' | 'intentTtlSec'> & { learning: { enabled: boolean } };
  /** The `risk` section with the preset's own numbers over it (effectiveRisk). */
  risk: RiskConfig;
  /** Taker fee per side (execution.takerFee): the round trip the cost-aware vetoes and the sizing count. */
  takerFee: number;
}

/** The `risk` section with the preset's own risk numbers (its seed's) over it. */
export const effectiveRisk = (risk: RiskConfig, preset: Preset): RiskConfig => ({ ...risk, ...(preset.risk ?? {}) });

/** The timeframe a preset decides on (and whose ATR its `atrTimeframe: "decision"` stops use): 1m without one. */
export const decisionTimeframe = (preset: Preset): Timeframe => preset.timeframe ?? '1m';

/** Whether a snapshot stamped `ts` (a 1m close) is also the close of the preset's decision timeframe. */
export const isDecisionClose = (preset: Preset, ts: number): boolean => ts % TIMEFRAME_MS[decisionTimeframe(preset)] === 0;

/** Fees on both sides plus the expected slippage on both sides, as a fraction of the entry. */
export const roundTripCost = (takerFee: number, r: Pick<RiskConfig, 'slippageEstimate'>): number => 2 * takerFee + 2 * r.slippageEstimate;

export interface EngineState {
  risk: RiskState;
  /** Equity used for sizing when no equity point has arrived yet. */
  fallbackEquity: number;
  prev: Snapshot | null;
  prevDir: { dir: Dir; ts: number } | null;
  learning: LearningState;
  /** Signal weight multipliers decided outside the learning loop (walk-forward demotes the ML signal); always applied. */
  overrides?: Record<string, number>;
}

export interface EngineResult {
  decision: Decision;
  /** The strategy's direction before gates (debounce state). */
  rawDir: Dir;
}

const EMA_RSI_THRESHOLDS: Thresholds = { strongBuy: 1, buy: 0.000001, sell: -0.000001, strongSell: -1 };
const trim = (x: number, dp: number) => {
  const s = x.toFixed(dp);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
};
/** Rounds down at `dp` decimals: a formatted quantity or notional never exceeds the computed one. */
const floorDp = (x: number, dp: number) => trim(Math.floor(x * 10 ** dp) / 10 ** dp, dp);

interface Levels {
  stop: number;
  targets: Array<{ price: number; fraction: number }>;
  stopDist: number;
  targetDist: number;
}

function levels(s: Snapshot, dir: 1 | -1, r: RiskConfig, preset: Preset): Levels | string {
  const price = s.price;
  let stopDist: number;
  let targetDist: number;
  if (r.stops === 'atr') {
    const tf = r.atrTimeframe === 'decision' ? decisionTimeframe(preset) : r.atrTimeframe;
    const atr = tf === '1m' ? s.ind.atr : (s.tf[tf]?.atr ?? null);
    if (atr === null || !(atr > 0)) return `ATR stops need the ${tf} ATR`;
    stopDist = r.stopAtrMult * atr;
    targetDist = r.takeProfitAtrMult * atr;
  } else {
    stopDist = r.stopPct * price;
    targetDist = r.takeProfitPct * price;
  }
  const stop = price - dir * stopDist;
  if (!(stop > 0)) return `stop ${f(stop, 2)} is not a positive price`;
  return { stop, stopDist, targetDist, targets: r.takeProfits.map((t) => ({ price: price + dir * t.at * targetDist, fraction: t.fraction })) };
}

/** Learning multipliers × overrides, per source. */
export function weightMultipliers(learned: Record<string, number>, overrides: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { ...learned };
  for (const [k, m] of Object.entries(overrides)) out[k] = (out[k] ?? 1) * m;
  return out;
}

export function decide(s: Snapshot, st: EngineState, cfg: EngineConfig): EngineResult {
  const now = s.ts;
  const { preset, risk: rc } = cfg;
  const hours = cfg.decision.hours;
  const r = evaluate(preset, s, st.prev, cfg.decision.signals, hours, weightMultipliers(cfg.decision.learning.enabled ? st.learning.weights : {}, st.overrides ?? {}));
  const g = applyGates({ s, r, gates: preset.gates, hours, prevDir: st.prevDir });
  const vetoes: Veto[] = [...r.vetoes, ...g.vetoes];
  const verdict = g.neutralise ? 'NEUTRAL' : r.verdict;
  const dir = g.neutralise ? 0 : r.dir;
  const th = preset.kind === 'ema_rsi' ? EMA_RSI_THRESHOLDS : preset.thresholds;
  const conditions = conditionsOf(s, r.dir, r.score, th, g.grade);
  const why: string[] = [];
  const avail = r.votes.filter((v) => !v.unavailable);
  const missing = r.votes.filter((v) => v.unavailable);
  why.push(`${cfg.strategy} (${preset.kind}): ${r.verdict}${verdict !== r.verdict ? ` → ${verdict}` : ''}, score ${f(r.score, 4)}`);
  why.push(...r.notes);
  why.push(`coverage ${f(r.coverage * 100, 1)} % (${avail.length} of ${r.votes.length} sources could vote${missing.length ? `; unavailable, weight left out: ${missing.map((v) => v.source).join(', ')}` : ''})`);
  const top = avail.filter((v) => v.contribution !== 0).sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)).slice(0, 5);
  if (top.length) why.push(`votes: ${top.map((v) => `${v.source} ${v.direction! > 0 ? '+' : '−'}${f(Math.abs(v.contribution), 3)} (${v.note})`).join('; ')}`);
  why.push(`agreement ${r.agreement.agree} for, ${r.agreement.oppose} against, of ${r.agreement.of}`);
  const halted = activeBreakers(st.risk, now);
  if (halted.length) why.push(`halted: ${describeBreakers(halted)}`);

  let intent: Intent | null = null;
  let sizing: DecisionDetail['sizing'] = null;
  if (dir !== 0) {
    const side = dir > 0 ? 'long' : 'short';
    vetoes.push(...riskVetoes(st.risk, { symbol: s.symbol, side, now, cooldownSec: cfg.decision.cooldownSec }, rc));
    const learn = cfg.decision.learning.enabled ? learningSizing(conditions, st.learning) : { skip: null, mult: 1, matched: [] };
    if (learn.skip) vetoes.push({ code: 'learning_skip', detail: `pattern ${learn.skip} says skip` });
    const lv = levels(s, dir, rc, preset);
    const cost = roundTripCost(cfg.takerFee, rc);
    if (typeof lv === 'string') vetoes.push({ code: 'no_stop', detail: lv });
    else {
      const stopFrac = lv.stopDist / s.price;
      if (rc.minStopCostMultiple !== null && stopFrac < rc.minStopCostMultiple * cost) {
        vetoes.push({ code: 'stop_within_costs', detail: `stop ${f(stopFrac * 100, 3)} % from entry is within ${rc.minStopCostMultiple} × the round trip ${f(cost * 100, 3)} % (fees and slippage, both sides)` });
      }
      const first = Math.min(...lv.targets.map((t) => Math.abs(t.price - s.price))) / s.price;
      const rr = (first - cost) / (stopFrac + cost);
      if (rc.minRewardRisk !== null && rr < rc.minRewardRisk) {
        vetoes.push({ code: 'reward_risk_low', detail: `first target ${f(first * 100, 3)} % gives reward:risk ${f(rr, 2)} after the round trip ${f(cost * 100, 3)} % (${rc.minRewardRisk} needed)` });
      }
    }
    if (typeof lv !== 'string' && !vetoes.length) {
      const equity = st.risk.equity ?? st.fallbackEquity;
      const cap = notionalCap(equity, rc.maxNotionalPctEquity, rc.leverage);
      let notional: number;
      if (rc.sizing === 'kelly') {
        const p = shrunkWinRate(st.risk.closed.wins, st.risk.closed.trades, rc.kelly.priorWinRate, rc.kelly.priorTrades);
        const b = (lv.targetDist * Math.max(...rc.takeProfits.map((t) => t.at))) / lv.stopDist;
        const k = sizeKelly({ equity, entry: s.price, b, p, min: rc.kelly.min, max: rc.kelly.max, leverage: rc.leverage, maxNotionalPctEquity: rc.maxNotionalPctEquity });
        if (!k) {
          vetoes.push({ code: 'kelly_no_edge', detail: `Kelly f = (b·p − q)/b ≤ 0 with b ${f(b, 3)}, p ${f(p, 3)}` });
          notional = 0;
        } else {
          notional = k.notional;
          sizing = { mode: 'kelly', b, p, fRaw: k.fRaw, f: k.f };
        }
      } else {
        const sm = rc.strengthSizing ? strengthMultiplier(r.strength) : 1;
        const sz = sizePosition({ equity, riskPerTrade: rc.riskPerTrade, entry: s.price, stop: lv.stop, leverage: rc.leverage, maxNotionalPctEquity: rc.maxNotionalPctEquity, strengthMult: sm, costPct: cost });
        notional = sz.notional;
        sizing = { mode: 'fixed_fractional', riskAmount: sz.riskAmount, strengthMult: sm };
      }
      if (learn.mult !== 1 && notional > 0) {
        notional *= learn.mult;
        sizing = { ...sizing, learningMult: learn.mult, learningPatterns: learn.matched.join(', ') };
      }
      const capped = notional > cap;
      if (capped) notional = cap;
      const qty = floorDp(notional / s.price, 8);
      if (sizing) sizing = { ...sizing, equity, notional, cap, capped: capped ? 'yes' : 'no', stopDistance: lv.stopDist, riskAtStop: Number(qty) * (lv.stopDist + cost * s.price), roundTripCost: cost };
      if (!vetoes.length && (!(Number(qty) > 0) || notional < rc.minNotional)) {
        vetoes.push({ code: 'size_zero', detail: `notional ${f(notional, 2)} below the minimum ${rc.minNotional}` });
      }
      if (!vetoes.length) {
        intent = {
          decisionId: decisionId(s.symbol, cfg.strategy, s.ts), symbol: s.symbol, side,
          entry: { reference: trim(s.price, 8), low: trim(s.price * (1 - rc.maxSlippage), 8), high: trim(s.price * (1 + rc.maxSlippage), 8) },
          stopLoss: trim(lv.stop, 8),
          takeProfits: lv.targets.map((t) => ({ price: trim(t.price, 8), fraction: t.fraction })),
          qty, notional: floorDp(Number(qty) * s.price, 2), maxSlippage: rc.maxSlippage,
          expiresAt: s.ts + cfg.decision.intentTtlSec * 1000, confidence: r.confidence, allowMarket: true,
        };
        why.push(`size ${qty} (${intent.notional} notional of cap ${f(cap, 2)}${capped ? ', capped' : ''}; ${sizing?.mode === 'kelly' ? `Kelly f ${f(Number(sizing.f), 4)}` : `risk ${f(Number(sizing?.riskAmount ?? 0), 2)} × strength ${f(Number(sizing?.strengthMult ?? 1), 3)}`}${learn.mult !== 1 ? ` × learning ${f(learn.mult, 3)}` : ''}), entry ${intent.entry.low}–${intent.entry.high}, stop ${intent.stopLoss}, take-profit ${intent.takeProfits.map((t) => `${t.price} (${t.fraction})`).join(', ')}, expires ${new Date(intent.expiresAt).toISOString()}`);
      }
    }
  } else if (r.verdict === 'NEUTRAL') why.push('no entry: the verdict is NEUTRAL');
  why.push(`gates: ${g.log.join('; ')}`);
  if (vetoes.length) why.push(`vetoed: ${vetoes.map((v) => `${v.code} (${v.detail})`).join('; ')}`);
  const detail: DecisionDetail = { votes: r.votes, coverage: r.coverage, agreement: r.agreement, rawVerdict: r.verdict, conditions, gates: g.log, sizing };
  const decision: Decision = {
    decisionId: decisionId(s.symbol, cfg.strategy, s.ts), symbol: s.symbol, ts: s.ts, strategy: cfg.strategy,
    verdict, score: r.score, vetoes, intent, reasoning: why.join('; '), detail,
  };
  return { decision, rawDir: r.dir };
}
