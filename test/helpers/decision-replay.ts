// Replays 1m candles through the real analytics and decision machines in process, with a simple paper fill model.
// Guarantees every decision the machine emits is returned in order; fills at the intent's reference, exits at stop or target.
import { createActor } from 'xstate';
import { analyticsMachine } from '../../machines/analytics.machine.js';
import { decisionMachine, type DecisionInput } from '../../machines/decision.machine.js';
import { engineParams } from '../../src/analytics/params.js';
import { SimClock } from '../../src/clock/clock.js';
import type { Config } from '../../src/config/schema.js';
import { engineConfig } from '../../src/decision/host-effects.js';
import { emptyLearning } from '../../src/decision/learning.js';
import { dayStart, emptyRisk, weekStart } from '../../src/decision/risk.js';
import type { Candle, Decision, Intent, PositionEvent, Snapshot } from '../../src/protocol/index.js';

export interface ReplayTrade {
  intent: Intent;
  entry: number;
  exit: number;
  qty: number;
  pnl: number;
  reason: 'stop_loss' | 'take_profit' | 'end';
}

export interface ReplayOptions {
  config: Config;
  candles: Candle[];
  /** Effects for the decision machine (default: none). */
  actions?: Parameters<typeof decisionMachine.provide>[0]['actions'];
  equity?: number;
  fee?: number;
  /** Clock-minutes between equity points sent to the engine (the reconciler's role). */
  equityEveryMin?: number;
  onDecision?: (d: Decision) => void;
  /** Full snapshots by close time, from `analyticsSnapshots` (computed here when absent). */
  snapshots?: Map<number, Snapshot>;
}

export interface ReplayResult {
  decisions: Decision[];
  trades: ReplayTrade[];
  equity: number;
  snapshots: number;
}

/** Parses the shared Binance candle CSV (`open_time,open,high,low,close,volume`). */
export function parseCandleCsv(text: string, symbol: string): Candle[] {
  const out: Candle[] = [];
  for (const line of text.split('\n').slice(1)) {
    if (!line.trim()) continue;
    const [t, o, h, l, c, v] = line.split(',');
    out.push({ symbol, tf: '1m', openTime: Date.parse(t!.replace(' ', 'T')), open: +o!, high: +h!, low: +l!, close: +c!, volume: +v!, closed: true });
  }
  return out;
}

/** Full snapshots of the real analytics machine over the candles, by close time. */
export function analyticsSnapshots(config: Config, candles: Candle[]): Map<number, Snapshot> {
  const clock = new SimClock(candles[0]!.openTime);
  const out = new Map<number, Snapshot>();
  const input = { symbols: [candles[0]!.symbol], params: engineParams(config.analytics), fullSnapshotSec: config.analytics.fullSnapshotSec, ml: { kind: 'none' as const, reason: 'replay without a model' }, catchUpMs: null };
  const analytics = createActor(analyticsMachine, { clock, input });
  analytics.on('analytics.snapshot', (e) => {
    const s = e.payload as Snapshot;
    if (s.kind === 'full') out.set(s.ts, s);
  });
  analytics.start();
  for (const c of candles) {
    clock.advanceTo(c.openTime + 60_000);
    analytics.send({ type: 'analytics.candle', candle: c });
  }
  analytics.stop();
  return out;
}

export function replayDecisions(o: ReplayOptions): ReplayResult {
  const { config, candles } = o;
  const symbol = candles[0]!.symbol;
  const fee = o.fee ?? config.execution.takerFee;
  const clock = new SimClock(candles[0]!.openTime);
  let equity = o.equity ?? config.execution.paperStartingBalance;
  const input: DecisionInput = {
    cfg: engineConfig(config), now: () => clock.now(), fallbackEquity: equity, risk: emptyRisk(), prev: {}, prevDir: {}, decidedTs: {}, learning: emptyLearning(),
  };
  const decision = createActor(o.actions ? decisionMachine.provide({ actions: o.actions }) : decisionMachine, { clock, input });
  const snaps = o.snapshots ?? analyticsSnapshots(config, candles);
  const decisions: Decision[] = [];
  const trades: ReplayTrade[] = [];
  type Open = { intent: Intent; entry: number; qty: number; id: number };
  let open = null as Open | null;
  let snapshots = 0;
  let positionId = 0;
  const marks = { day: { start: -1, equity }, week: { start: -1, equity } };
  decision.on('decision.made', (e) => {
    const d = e.payload;
    decisions.push(d);
    o.onDecision?.(d);
    if (d.intent && !open) {
      open = { intent: d.intent, entry: Number(d.intent.entry.reference), qty: Number(d.intent.qty), id: ++positionId };
      decision.send({ type: 'decision.position', position: { symbol, positionId: open.id, side: d.intent.side, qty: d.intent.qty, entryPrice: d.intent.entry.reference, stopLoss: d.intent.stopLoss, takeProfit: d.intent.takeProfits[0]!.price, unrealizedPnl: '0' } });
    }
  });
  decision.start();
  const close = (exit: number, reason: ReplayTrade['reason']) => {
    const p = open!;
    const dir = p.intent.side === 'long' ? 1 : -1;
    const fees = (p.entry + exit) * p.qty * fee;
    const gross = dir * (exit - p.entry) * p.qty;
    equity += gross - fees;
    trades.push({ intent: p.intent, entry: p.entry, exit, qty: p.qty, pnl: gross - fees, reason });
    const ev: PositionEvent = { positionId: p.id, symbol, side: p.intent.side, qty: String(p.qty), entryPrice: String(p.entry), exitPrice: String(exit), realizedPnl: String(gross), fees: String(fees), reason, decisionId: p.intent.decisionId };
    open = null;
    decision.send({ type: 'decision.position', position: { symbol, positionId: null, side: null, qty: '0', entryPrice: null, stopLoss: null, takeProfit: null, unrealizedPnl: '0' } });
    decision.send({ type: 'decision.closed', event: ev });
  };
  const every = (o.equityEveryMin ?? 60) * 60_000;
  for (const c of candles) {
    const t = c.openTime + 60_000;
    clock.advanceTo(t);
    if (open) {
      const p = open;
      const stop = Number(p.intent.stopLoss);
      const tp = Number(p.intent.takeProfits[0]!.price);
      const long = p.intent.side === 'long';
      // A candle that touches both is counted as a stop (conservative).
      if (long ? c.low <= stop : c.high >= stop) close(stop, 'stop_loss');
      else if (long ? c.high >= tp : c.low <= tp) close(tp, 'take_profit');
    }
    if (t % every === 0) {
      if (marks.day.start !== dayStart(t)) marks.day = { start: dayStart(t), equity };
      if (marks.week.start !== weekStart(t)) marks.week = { start: weekStart(t), equity };
      const upnl = open ? (open.intent.side === 'long' ? 1 : -1) * (c.close - open.entry) * open.qty : 0;
      const eq = equity + upnl;
      decision.send({ type: 'decision.equity', equity: { ts: t, equity: eq.toFixed(8), balance: equity.toFixed(8), unrealizedPnl: upnl.toFixed(8), dayPnl: (eq - marks.day.equity).toFixed(8), weekPnl: (eq - marks.week.equity).toFixed(8) } });
    }
    const s = snaps.get(t);
    if (s) {
      snapshots++;
      decision.send({ type: 'decision.snapshot', snapshot: s });
    }
  }
  if (open) close(candles[candles.length - 1]!.close, 'end');
  decision.stop();
  return { decisions, trades, equity, snapshots };
}
