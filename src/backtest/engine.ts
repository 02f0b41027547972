// The backtest engine: the live analytics, decision, execution and reconciler machines, in process on the in-process
// bus with a simulated clock, trading the simulated venue's core bar by bar — one symbol or several on one account.
// Only the effects differ from the daemon (memory instead of MariaDB, the venue core instead of a gateway). Guarantees
// determinism: the same candles, config, model and overrides give the same decisions, fills and result bytes (no wall
// clock, no randomness, FIFO delivery, symbols stepped in the order given).
import { createHash } from 'node:crypto';
import { createActor, type AnyActorRef } from 'xstate';
import { analyticsMachine, type InferenceRequest, type MlSetup } from '../../machines/analytics.machine.js';
import { decisionMachine, type DecisionInput } from '../../machines/decision.machine.js';
import { executionMachine } from '../../machines/execution.machine.js';
import { emptyManual } from '../analytics/manual-inputs.js';
import { engineParams } from '../analytics/params.js';
import { LocalHub, type LocalBus } from '../bus/local-bus.js';
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
import { CoverageTally } from './coverage.js';
import { DerivativesFeed, type DerivativesHistory } from './derivatives-feed.js';
import { modelInference, type ModelSource } from './inference.js';
import { MemoryLearning } from './learning-memory.js';
import { computeMetrics, type EquityPoint, type SignalCounts } from './metrics.js';
import { drawdownPoint, equityPoint, formatMetrics, formatTrade } from './report-format.js';
import type { BacktestResult } from './result.js';
import { SimExecution } from './sim-execution.js';
import { executionInput } from '../execution/input.js';

/** The history of one symbol: what the backtest trades of it. */
export interface SymbolSeries {
  /** 1m candles of one symbol, oldest first: the period traded. */
  candles: Candle[];
  /** Earlier candles that only warm the analytics engine up (the live actor reads them from MariaDB). */
  warmup?: Candle[];
  source: { name: string; sha256: string };
  /** Stored open interest, ratios, funding and liquidations of the period (derivativesFromDb), published as time passes. */
  derivatives?: DerivativesHistory | null;
  /** Stored AI swarm consensus records of the symbol (ai_consensus); each counts from its made_at on. Without: ai_consensus is unavailable. */
  ai?: AiConsensusView[];
}

/**
 * One symbol's series inline (`candles`, `warmup`, `source`, …), or several in `series`: one account trades them all,
 * bar by bar in clock order, the symbols of a minute in the order given (a symbol without a candle that minute sits it out).
 */
export type BacktestOptions = {
  config: Config;
  identity: ConfigIdentity;
  /** The ML model; default: `analytics.ml.model` of the config (onnxruntime-node, in process). */
  model?: ModelSource | null;
  /** Signal weight multipliers the decision engine applies (signal_weight_overrides). */
  overrides?: Record<string, number>;
  /** Progress hook (issue 21, CLI progress bars): candles replayed of all series, every 256 and at the end. */
  onProgress?: (done: number, total: number) => void;
} & (SymbolSeries | { series: SymbolSeries[] });

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

interface Series extends SymbolSeries {
  symbol: string;
  feed: DerivativesFeed | null;
}

/** The series given, checked: each non-empty, closed 1m candles of one symbol in time order, no symbol twice. */
function seriesOf(o: BacktestOptions): Array<Omit<Series, 'feed'>> {
  const list = 'series' in o ? o.series : [o];
  if (!list.length || list.some((s) => !s.candles.length)) throw new RangeError('no candles to backtest');
  const out = list.map((s) => ({ ...s, symbol: s.candles[0]!.symbol }));
  for (const s of out) {
    let prevOpen = -Infinity;
    for (const c of s.candles) {
      if (c.symbol !== s.symbol || c.tf !== '1m' || !c.closed) throw new RangeError(`backtest candles must be closed 1m candles of ${s.symbol}`);
      if (c.openTime <= prevOpen) throw new RangeError(`candles out of order at ${new Date(c.openTime).toISOString()}`);
      prevOpen = c.openTime;
    }
  }
  const dup = out.find((s, k) => out.findIndex((x) => x.symbol === s.symbol) !== k);
  if (dup) throw new RangeError(`${dup.symbol} is given twice`);
  return out;
}

/** The data identity of the result: one series as it always was; several with each series listed and a hash over theirs. */
function dataOf(series: Series[]): BacktestResult['data'] {
  const one = (s: Series) => ({ symbol: s.symbol, source: s.source.name, sha256: s.source.sha256, from: s.candles[0]!.openTime, to: s.candles.at(-1)!.openTime + 60_000, candles: s.candles.length });
  if (series.length === 1) return one(series[0]!);
  const each = series.map(one);
  return {
    symbol: each.map((d) => d.symbol).join(','), source: [...new Set(each.map((d) => d.source))].join(', '),
    sha256: createHash('sha256').update(each.map((d) => `${d.symbol} ${d.sha256}\n`).join('')).digest('hex'),
    from: Math.min(...each.map((d) => d.from)), to: Math.max(...each.map((d) => d.to)), candles: each.reduce((a, d) => a + d.candles, 0), series: each,
  };
}

/** What the bar loop works with (built once per run by runBacktest). */
interface ReplayParts {
  series: Series[];
  clock: SimClock;
  venue: SimVenue;
  exec: SimExecution;
  feed: LocalBus;
  settle: () => Promise<void>;
  lastClose: Map<string, number>;
  markOf: (symbol: string) => number;
  end: number;
  initial: number;
  onProgress: ((done: number, total: number) => void) | undefined;
}

/**
 * The bar loop: every minute any symbol has a candle for, in clock order. Kept apart from runBacktest (whose setup is
 * large and runs once) so the optimizing compiler works on this small hot function once per thread, not on the whole
 * engine again for every run (a search runs thousands).
 */
async function replayBars(p: ReplayParts): Promise<{ equity: EquityPoint[]; hourly: Array<[number, number]>; ddSeries: Array<[number, number]>; fills: ExFill[] }> {
  const { series, clock, venue, exec, feed, settle, lastClose, markOf, end, onProgress } = p;
  const equity: EquityPoint[] = [];
  const hourly: Array<[number, number]> = [];
  const ddSeries: Array<[number, number]> = [];
  const fills: ExFill[] = [];
  let peak = p.initial;
  const next = series.map(() => 0);
  const progressTotal = series.reduce((a, s) => a + s.candles.length, 0); // progress hook (issue 21)
  let progressDone = 0;
  for (;;) {
    // The next minute any symbol has a candle for, and the symbols that have one then (in the order given).
    let openTime = Infinity;
    for (let k = 0; k < series.length; k++) openTime = Math.min(openTime, series[k]!.candles[next[k]!]?.openTime ?? Infinity);
    if (openTime === Infinity) break;
    const due: Array<{ s: Series; c: Candle }> = [];
    for (let k = 0; k < series.length; k++) {
      const s = series[k]!;
      if (s.candles[next[k]!]?.openTime === openTime) due.push({ s, c: s.candles[next[k]!++]! });
    }
    const t = openTime + 60_000;
    if (onProgress && ((progressDone += due.length) & ~255) !== ((progressDone - due.length) & ~255)) onProgress(progressDone, progressTotal);
    // Timers due by the close fire first (reconciler, cooldowns), then the venue trades the bar, then the
    // candle goes out as market-feed publishes it (analytics → decision → execution). Several symbols: every bar of the
    // minute trades, then their marks and candles go out, as the lockstep venue trades and releases a minute.
    clock.advanceTo(t);
    await settle();
    for (const { s, c } of due) fills.push(...exec.onBar(s.symbol, { ts: t, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume }));
    await settle();
    for (const { s, c } of due) {
      const { symbol } = s;
      // What the paper venue streams at a bar's close in `venue.matching: "bars"`: the mark, then the closed kline (stored
      // derivatives stamped by then go first; with funding history the mark carries no rate of its own).
      s.feed?.publishDue(feed, t);
      feed.publish('market.mark', { symbol, ts: t, markPrice: venue.mark(symbol)!, indexPrice: venue.price(symbol)!, ...(s.feed?.hasFunding ? {} : { fundingRate: venue.fundingRate(symbol) }), nextFundingTime: venue.nextFundingTime }, { tsEvent: t });
      feed.publish('market.candle', c, { tsEvent: t });
      lastClose.set(symbol, c.close);
    }
    await settle();
    const u = exec.openCount ? Number(exec.unrealized(markOf)) : 0;
    const eq = Number(venue.wallet) + u;
    equity.push({ ts: t, equity: eq });
    if (eq > peak) peak = eq;
    if (t % HOUR === 0 || t === end) {
      hourly.push([t, eq]);
      ddSeries.push([t, peak > 0 ? (peak - eq) / peak : 0]);
    }
  }
  onProgress?.(progressTotal, progressTotal); // progress hook (issue 21)
  return { equity, hourly, ddSeries, fills };
}

export async function runBacktest(o: BacktestOptions): Promise<BacktestRun> {
  const given = seriesOf(o);
  const symbols = given.map((s) => s.symbol);
  const config: Config = { ...o.config, symbols };
  const markets = simMarketsFor(symbols);
  const start = Math.min(...given.map((s) => (s.warmup?.[0] ?? s.candles[0]!).openTime));
  const clock = new SimClock(start);
  const now = () => clock.now();
  const hub = new LocalHub(now);
  const q = new Quiescence();
  const initial = config.execution.paperStartingBalance;
  // The venue's core as the paper venue configures it, trading bars: market orders fill at the next bar's open.
  const v = config.venue;
  const venue = new SimVenue({
    markets, takerFee: config.execution.takerFee, makerFee: config.execution.makerFee, startingBalance: initial, leverage: config.risk.leverage,
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
  }), { clock, input: { symbols, params: engineParams(config.analytics), fullSnapshotSec: config.analytics.fullSnapshotSec, ml, catchUpMs: null, fastSnapshots: false, ...aiInputs(given).input } });

  // ---- decision: the live machine and pure engine; decisions and risk records stay in memory
  // Only decisions with an intent are kept: positions (trade regimes, learning outcomes) come from intents alone, and
  // holding every decision of a month (votes, reasoning) would only keep the garbage collector busy.
  const decisions = new Map<string, Decision>();
  const lines: DecisionLine[] = [];
  const signals: SignalCounts = { decisions: 0, signals: 0, intents: 0, rejectedByVeto: {} };
  const learning = new MemoryLearning(config.decision.learning);
  const panel = new CoverageTally(config.decision.presets[config.decision.strategy]!);
  let decisionRef: AnyActorRef | null = null;
  const decisionInput: DecisionInput = {
    cfg: engineConfig(config), now, fallbackEquity: initial, risk: emptyRisk(), prev: {}, prevDir: {}, decidedTs: {},
    learning: emptyLearning(), overrides: o.overrides ?? {},
  };
  const decision = createActor(decisionMachine.provide({
    actions: {
      persistDecision: (_, d: Decision) => {
        if (d.intent) decisions.set(d.decisionId, d);
        panel.add(d);
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
    venue, markets, now, track: q.track, execution: config.execution, maxSlippage: config.risk.maxSlippage,
    regimeOf: (id) => (id ? decisions.get(id)?.detail?.conditions.regime ?? 'UNKNOWN' : 'UNKNOWN'),
  });
  const execution = createActor(executionMachine.provide({ actors: exec.actors() }), {
    clock,
    // The venue trades bar by bar: the loop runs once a bar (and at once after any fill or new entry), hourly when flat.
    input: executionInput({ ...config, symbols }, now, { loopMs: Math.max(config.execution.loopMs, 60_000), idleLoopMs: Math.max(config.execution.idleLoopMs, 3_600_000), reconcileTimeoutMs: config.execution.reconcileTimeoutMs }),
  });
  exec.attach(execution);

  // ---- reconciler: its cadence and check (equity from the venue, day/week PnL from the first point of the period), on
  // the simulated clock; the equity point goes out on the bus as the reconciler worker publishes it.
  const intervalMs = config.reconciler.intervalSec * 1000;
  const firsts = { day: { start: -1, equity: '0' }, week: { start: -1, equity: '0' } };
  const check = (): { equity: string; point: () => EquityMsg } => {
    const t = now();
    // A position exists only on a symbol whose bars have traded, so the venue has its price.
    const upnl = !exec.openCount ? null : exec.unrealized((s) => venue.price(s)!);
    const balance = venue.wallet;
    // Flat: the equity is the wallet (a canonical decimal string already, as str(wallet + 0) would give it).
    const equity = upnl === null ? balance : str(dec(balance).add(upnl));
    // A new week only ever starts with a new day.
    if (firsts.day.start !== dayStart(t)) {
      firsts.day = { start: dayStart(t), equity };
      if (firsts.week.start !== weekStart(t)) firsts.week = { start: weekStart(t), equity };
    }
    const day = firsts.day.equity;
    const week = firsts.week.equity;
    return { equity, point: () => ({ ts: t, equity, balance, unrealizedPnl: upnl === null ? '0' : str(upnl), dayPnl: str(dec(equity).sub(day)), weekPnl: str(dec(equity).sub(week)) }) };
  };
  // A point whose equity equals the last one published is not sent: the decision machine would only re-derive the
  // same risk state from it (same equity for sizing; a drawdown that did not fire then cannot fire now).
  const reconcilerBus = hub.endpoint('reconciler');
  let lastEquity: string | null = null;
  const scheduleCheck = () =>
    clock.setTimeout(() => {
      const c = check();
      if (c.equity !== lastEquity) reconcilerBus.publish('reconcile.equity', c.point());
      lastEquity = c.equity;
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
    'execution.entry_ended': (env) => ({ type: 'decision.entry_ended', ended: env.payload }),
    'reconcile.equity': (env) => ({ type: 'decision.equity', equity: env.payload }),
  });
  wire('execution', execution, {
    'decision.made': (env) => ({ type: 'execution.decision', decision: env.payload }),
    'decision.halt': (env) => ({ type: 'execution.risk_halt', halt: env.payload }),
    'reconcile.anomaly': (env) => ({ type: 'execution.anomaly', anomaly: env.payload }),
    'reconcile.equity': (env) => ({ type: 'execution.equity', equity: env.payload.equity }),
    // Marks and closed candles reach execution as they reach the worker (actors/execution.ts): its rules read them.
    'market.mark': (env) => {
      exec.onMark(env.payload.symbol, env.payload.markPrice);
      return null;
    },
    'market.candle': (env) => {
      exec.onCandle(env.payload);
      return null;
    },
  });
  const feed = hub.endpoint('market-feed');
  const series: Series[] = given.map((s) => ({ ...s, feed: s.derivatives ? new DerivativesFeed(s.derivatives, config.market.derivatives.lagSec * 1000) : null }));

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
  const warmup = series.flatMap((s) => s.warmup ?? []);
  if (warmup.length) analytics.send({ type: 'analytics.warmup', candles: warmup });
  analytics.send({ type: 'analytics.manual', manual: emptyManual() });
  analytics.send({ type: 'analytics.warmed' });
  await settle();

  const end = Math.max(...series.map((s) => s.candles.at(-1)!.openTime + 60_000));
  // The last close of each symbol: its mark for the account's equity and for positions still open at the end.
  const lastClose = new Map<string, number>();
  const markOf = (s: string) => lastClose.get(s)!;
  const { equity, hourly, ddSeries, fills } = await replayBars({ series, clock, venue, exec, feed, settle, lastClose, markOf, end, initial, onProgress: o.onProgress });
  for (const a of [execution, decision, analytics]) a.stop();
  await inference?.close();

  // Trades numbered in the order they closed, then the ones still open at the end (in the order they opened).
  const trades = [...exec.trades, ...exec.markOpen(end, markOf)].map((t, k) => (t.id === k + 1 ? t : { ...t, id: k + 1 }));
  const data = dataOf(series);
  const precisionOf = (sym: string) => {
    const m = markets.find((x) => x.symbol === sym)!;
    return { tick: m.tickSize, step: m.qtyStep };
  };
  const metrics = computeMetrics({ from: data.from, to: end, initialEquity: initial, trades, equity, signals });
  const result: BacktestResult = {
    kind: 'bosun.backtest', version: 1,
    config: { hash: o.identity.hash, strategyHash: o.identity.strategyHash, strategy: config.decision.strategy, overrides: { ...(o.overrides ?? {}) }, ...aiInputs(series).result },
    data,
    panel: panel.result(signals.intents, signals.rejectedByVeto, signals.signals),
    // Money to cents, prices to each symbol's tick, quantities to its step: what the JSON, the table and the HTML show.
    metrics: formatMetrics(metrics), trades: trades.map((t) => formatTrade(t, precisionOf(t.symbol))),
    equity: hourly.map(equityPoint), drawdown: ddSeries.map(drawdownPoint),
  };
  return { result, decisions: lines, fills };
}
