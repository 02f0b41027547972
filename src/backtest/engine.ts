// The backtest engine: the live analytics, decision, execution and reconciler machines, in process on the in-process
// bus with a simulated clock, trading the simulated venue's core bar by bar. Only the effects differ from the daemon
// (memory instead of MariaDB, the venue core instead of a gateway). Guarantees determinism: the same candles, config,
// model and overrides give the same decisions, fills and result bytes (no wall clock, no randomness, FIFO delivery).
import { createActor, type AnyActorRef } from 'xstate';
import { analyticsMachine, type InferenceRequest, type MlSetup } from '../../machines/analytics.machine.js';
import { decisionMachine, type DecisionInput } from '../../machines/decision.machine.js';
import { executionMachine } from '../../machines/execution.machine.js';
import { emptyManual } from '../analytics/manual-inputs.js';
import { engineParams } from '../analytics/params.js';
import { LocalHub } from '../bus/local-bus.js';
import { SimClock } from '../clock/clock.js';
import type { Config } from '../config/schema.js';
import { engineConfig } from '../decision/host-effects.js';
import { emptyLearning } from '../decision/learning.js';
import { dayStart, emptyRisk, weekStart } from '../decision/risk.js';
import { dec, str } from '../domain/decimal.js';
import { SimVenue } from '../exchange/sim/core.js';
import { simMarketsFor } from '../exchange/sim/markets.js';
import type { ExFill } from '../exchange/types.js';
import { bridge } from '../host/bridge.js';
import type { Routes } from '../host/host.js';
import type { AiConsensusView, Candle, Decision, EquityPoint as EquityMsg } from '../protocol/index.js';
import { aiInputs } from './ai-replay.js';
import type { ConfigIdentity } from './config-hash.js';
import { DerivativesFeed, type DerivativesHistory } from './derivatives-feed.js';
import { modelInference, type ModelSource } from './inference.js';
import { MemoryLearning } from './learning-memory.js';
import { computeMetrics, type EquityPoint, type SignalCounts } from './metrics.js';
import type { BacktestResult } from './result.js';
import { SimExecution } from './sim-execution.js';
import { executionInput } from '../execution/input.js';

export interface BacktestOptions {
  config: Config;
  identity: ConfigIdentity;
  /** 1m candles of one symbol, oldest first: the period traded. */
  candles: Candle[];
  /** Earlier candles that only warm the analytics engine up (the live actor reads them from MariaDB). */
  warmup?: Candle[];
  /** The ML model; default: `analytics.ml.model` of the config (onnxruntime-node, in process). */
  model?: ModelSource | null;
  /** Signal weight multipliers the decision engine applies (signal_weight_overrides). */
  overrides?: Record<string, number>;
  source: { name: string; sha256: string };
  /** Stored open interest, ratios, funding and liquidations of the period (derivativesFromDb), published as time passes. */
  derivatives?: DerivativesHistory | null;
  /** Stored AI swarm consensus records of the symbol (ai_consensus); each counts from its made_at on. Without: ai_consensus is unavailable. */
  ai?: AiConsensusView[];
}

/** What each decision said, in order (parity and inspection; the full decisions are large). */
export interface DecisionLine {
  decisionId: string;
  ts: number;
  verdict: string;
  vetoes: string[];
  intent: { side: string; qty: string; stopLoss: string } | null;
}

export interface BacktestRun {
  result: BacktestResult;
  decisions: DecisionLine[];
  fills: ExFill[];
}

/** Waits until every effect started so far (and whatever it caused) has settled. */
class Quiescence {
  private pending = 0;
  private readonly waits = new Set<Promise<unknown>>();
  track = <T>(p: Promise<T>): Promise<T> => {
    this.pending++;
    const w = p.finally(() => {
      this.pending--;
      this.waits.delete(w);
    });
    this.waits.add(w);
    w.catch(() => undefined);
    return p;
  };
  get busy(): boolean {
    return this.pending > 0;
  }
  async settle(): Promise<void> {
    // Effects resolve in microtasks; a macrotask turn lets XState deliver their done events before we look again.
    do {
      if (this.waits.size) await Promise.allSettled([...this.waits]);
      await new Promise((r) => setImmediate(r));
    } while (this.pending > 0);
  }
}

const HOUR = 3_600_000;

export async function runBacktest(o: BacktestOptions): Promise<BacktestRun> {
  const { candles } = o;
  if (!candles.length) throw new RangeError('no candles to backtest');
  const symbol = candles[0]!.symbol;
  const config: Config = { ...o.config, symbols: [symbol] };
  const [market] = simMarketsFor([symbol]);
  const start = (o.warmup?.[0] ?? candles[0]!).openTime;
  const clock = new SimClock(start);
  const now = () => clock.now();
  const hub = new LocalHub(now);
  const q = new Quiescence();
  const initial = config.execution.paperStartingBalance;
  // The venue's core as the paper venue configures it, trading bars: market orders fill at the next bar's open.
  const v = config.venue;
  const venue = new SimVenue({
    markets: [market!], takerFee: config.execution.takerFee, makerFee: config.execution.makerFee, startingBalance: initial, leverage: config.risk.leverage,
    marketFill: 'next_bar', participation: v.participation, fundingIntervalMs: v.fundingIntervalMs, interestRate: v.interestRate,
    liquidationFeeRate: v.liquidationFeeRate, markSmoothing: v.markSmoothing,
  });

  // ---- analytics: the live machine; snapshots stay in memory, inference runs in process
  const inference = await modelInference(o.model === undefined ? (config.analytics.ml.model ? { kind: 'onnx', path: config.analytics.ml.model } : null) : o.model);
  const ml: MlSetup = inference ? { kind: 'model', name: inference.name, features: inference.features } : { kind: 'none', reason: 'no model configured (analytics.ml.model)' };
  const analytics = createActor(analyticsMachine.provide({
    actions: {
      persistSnapshot: () => {},
      requestInference: ({ self }, r: InferenceRequest) => {
        void q.track(inference!.infer(r.values).then(
          (pUp) => self.send({ type: 'analytics.ml_result', seq: r.seq, ml: { available: true, pUp, model: inference!.name } }),
          (err: Error) => self.send({ type: 'analytics.ml_result', seq: r.seq, ml: { available: false, reason: `inference failed: ${err.message}` } }),
        ));
      },
    },
  }), { clock, input: { symbols: [symbol], params: engineParams(config.analytics), fullSnapshotSec: config.analytics.fullSnapshotSec, ml, catchUpMs: null, fastSnapshots: false, ...aiInputs(symbol, o.ai).input } });

  // ---- decision: the live machine and pure engine; decisions and risk records stay in memory
  const decisions = new Map<string, Decision>();
  const lines: DecisionLine[] = [];
  const signals: SignalCounts = { decisions: 0, signals: 0, intents: 0, rejectedByVeto: {} };
  const learning = new MemoryLearning(config.decision.learning);
  let decisionRef: AnyActorRef | null = null;
  const decisionInput: DecisionInput = {
    cfg: engineConfig(config), now, fallbackEquity: initial, risk: emptyRisk(), prev: {}, prevDir: {}, decidedTs: {},
    learning: emptyLearning(), overrides: o.overrides ?? {},
  };
  const decision = createActor(decisionMachine.provide({
    actions: {
      persistDecision: (_, d: Decision) => {
        decisions.set(d.decisionId, d);
        signals.decisions++;
        const raw = d.detail?.rawVerdict ?? d.verdict;
        if (raw !== 'NEUTRAL') {
          signals.signals++;
          if (d.intent) signals.intents++;
          else for (const code of new Set(d.vetoes.map((v) => v.code))) signals.rejectedByVeto[code] = (signals.rejectedByVeto[code] ?? 0) + 1;
        }
        lines.push({ decisionId: d.decisionId, ts: d.ts, verdict: d.verdict, vetoes: d.vetoes.map((v) => v.code), intent: d.intent ? { side: d.intent.side, qty: d.intent.qty, stopLoss: d.intent.stopLoss } : null });
      },
      persistBreakers: () => {},
      clearBreakers: () => {},
      persistRisk: () => {},
      recordOutcome: (_, e) => {
        const l = learning.record(e, e.decisionId ? decisions.get(e.decisionId) : undefined);
        if (l) void q.track(Promise.resolve().then(() => decisionRef?.send({ type: 'decision.learning', learning: l })));
      },
    },
  }), { clock, input: decisionInput });
  decisionRef = decision;

  // ---- execution: the live machine on the venue core with an in-memory ledger
  const exec = new SimExecution({
    venue, markets: [market!], now, track: q.track, execution: config.execution, maxSlippage: config.risk.maxSlippage,
    regimeOf: (id) => (id ? decisions.get(id)?.detail?.conditions.regime ?? 'UNKNOWN' : 'UNKNOWN'),
  });
  const execution = createActor(executionMachine.provide({ actors: exec.actors() }), {
    clock,
    // The venue trades bar by bar: the loop runs once a bar (and at once after any fill or new entry), hourly when flat.
    input: executionInput({ ...config, symbols: [symbol] }, now, { loopMs: Math.max(config.execution.loopMs, 60_000), idleLoopMs: Math.max(config.execution.idleLoopMs, 3_600_000), reconcileTimeoutMs: config.execution.reconcileTimeoutMs }),
  });
  exec.attach(execution);

  // ---- reconciler: its cadence and check (equity from the venue, day/week PnL from the first point of the period), on
  // the simulated clock; the equity point goes out on the bus as the reconciler worker publishes it.
  const intervalMs = config.reconciler.intervalSec * 1000;
  const firsts = { day: { start: -1, equity: '0' }, week: { start: -1, equity: '0' } };
  const check = (): EquityMsg => {
    const t = now();
    const price = venue.price(symbol);
    const upnl = price === undefined || !exec.openCount ? dec(0) : exec.unrealized(() => price);
    const balance = venue.balance()[0]!.total;
    const equity = str(dec(balance).add(upnl));
    if (firsts.day.start !== dayStart(t)) firsts.day = { start: dayStart(t), equity };
    if (firsts.week.start !== weekStart(t)) firsts.week = { start: weekStart(t), equity };
    return { ts: t, equity, balance, unrealizedPnl: str(upnl), dayPnl: str(dec(equity).sub(firsts.day.equity)), weekPnl: str(dec(equity).sub(firsts.week.equity)) };
  };
  // A point whose equity equals the last one published is not sent: the decision machine would only re-derive the
  // same risk state from it (same equity for sizing; a drawdown that did not fire then cannot fire now).
  const reconcilerBus = hub.endpoint('reconciler');
  let lastEquity: string | null = null;
  const scheduleCheck = () =>
    clock.setTimeout(() => {
      const p = check();
      if (p.equity !== lastEquity) reconcilerBus.publish('reconcile.equity', p);
      lastEquity = p.equity;
      scheduleCheck();
    }, intervalMs);

  // The same routes as the worker hosts (actors/*.ts).
  const wire = (id: string, actor: AnyActorRef, routes: Routes) => bridge(actor, hub.endpoint(id), routes);
  wire('analytics', analytics, {
    'market.candle': (env) => ({ type: 'analytics.candle', candle: env.payload }),
    'market.mark': (env) => ({ type: 'analytics.mark', mark: env.payload }),
    'market.derivatives': (env) => ({ type: 'analytics.derivatives', update: env.payload }),
    'market.liquidations': (env) => ({ type: 'analytics.liquidations', batch: env.payload }),
  });
  wire('decision', decision, {
    'analytics.snapshot': (env) => ({ type: 'decision.snapshot', snapshot: env.payload }),
    'execution.position': (env) => ({ type: 'decision.position', position: env.payload }),
    'execution.position_closed': (env) => ({ type: 'decision.closed', event: env.payload }),
    'reconcile.equity': (env) => ({ type: 'decision.equity', equity: env.payload }),
  });
  wire('execution', execution, {
    'decision.made': (env) => ({ type: 'execution.decision', decision: env.payload }),
    'decision.halt': (env) => ({ type: 'execution.risk_halt', halt: env.payload }),
    'reconcile.anomaly': (env) => ({ type: 'execution.anomaly', anomaly: env.payload }),
  });
  const feed = hub.endpoint('market-feed');
  const derivs = o.derivatives ? new DerivativesFeed(o.derivatives, config.market.derivatives.lagSec * 1000) : null;

  // A machine that fails stops the run with its error (the daemon would crash the worker).
  let failure: unknown = null;
  for (const a of [analytics, decision, execution] as AnyActorRef[]) a.subscribe({ error: (err: unknown) => (failure ??= err) });
  const settle = async () => {
    if (q.busy) await q.settle();
    if (failure) throw failure;
  };
  analytics.start();
  decision.start();
  execution.start();
  scheduleCheck();
  // As the analytics worker: history first, then manual inputs (none in a backtest), then "warmed".
  if (o.warmup?.length) analytics.send({ type: 'analytics.warmup', candles: o.warmup });
  analytics.send({ type: 'analytics.manual', manual: emptyManual() });
  analytics.send({ type: 'analytics.warmed' });
  await settle();

  const equity: EquityPoint[] = [];
  const hourly: Array<[number, number]> = [];
  const ddSeries: Array<[number, number]> = [];
  const fills: ExFill[] = [];
  let peak = initial;
  let prevOpen = -Infinity;
  for (const c of candles) {
    if (c.symbol !== symbol || c.tf !== '1m' || !c.closed) throw new RangeError(`backtest candles must be closed 1m candles of ${symbol}`);
    if (c.openTime <= prevOpen) throw new RangeError(`candles out of order at ${new Date(c.openTime).toISOString()}`);
    prevOpen = c.openTime;
    const t = c.openTime + 60_000;
    // Timers due by the close fire first (reconciler, cooldowns), then the venue trades the bar, then the
    // candle goes out as market-feed publishes it (analytics → decision → execution).
    clock.advanceTo(t);
    await settle();
    fills.push(...exec.onBar(symbol, { ts: t, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume }));
    await settle();
    // What the paper venue streams at a bar's close in `venue.matching: "bars"`: the mark, then the closed kline (stored
    // derivatives stamped by then go first; with funding history the mark carries no rate of its own).
    derivs?.publishDue(feed, t);
    feed.publish('market.mark', { symbol, ts: t, markPrice: venue.mark(symbol)!, indexPrice: venue.price(symbol)!, ...(derivs?.hasFunding ? {} : { fundingRate: venue.fundingRate(symbol) }), nextFundingTime: venue.nextFundingTime }, { tsEvent: t });
    feed.publish('market.candle', c, { tsEvent: t });
    await settle();
    const u = exec.openCount ? Number(exec.unrealized(() => c.close)) : 0;
    const eq = Number(venue.balance()[0]!.total) + u;
    equity.push({ ts: t, equity: eq });
    if (eq > peak) peak = eq;
    if (t % HOUR === 0 || c === candles[candles.length - 1]) {
      hourly.push([t, eq]);
      ddSeries.push([t, peak > 0 ? (peak - eq) / peak : 0]);
    }
  }
  const end = candles[candles.length - 1]!.openTime + 60_000;
  for (const a of [execution, decision, analytics]) a.stop();
  await inference?.close();

  const lastClose = candles[candles.length - 1]!.close;
  const trades = [...exec.trades, ...exec.markOpen(end, () => lastClose)];
  const from = candles[0]!.openTime;
  const metrics = computeMetrics({ from, to: end, initialEquity: initial, trades, equity, signals });
  const result: BacktestResult = {
    kind: 'bosun.backtest', version: 1,
    config: { hash: o.identity.hash, strategyHash: o.identity.strategyHash, strategy: config.decision.strategy, overrides: { ...(o.overrides ?? {}) }, ...aiInputs(symbol, o.ai).result },
    data: { symbol, source: o.source.name, sha256: o.source.sha256, from, to: end, candles: candles.length },
    metrics, trades, equity: hourly, drawdown: ddSeries,
  };
  return { result, decisions: lines, fills };
}
