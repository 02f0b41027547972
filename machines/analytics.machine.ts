// analytics machine: warming → ready. Each closed 1m candle updates the symbol's engine and yields a snapshot
// (fast; full every `fullSnapshotSec` of candle time, persisted) — unless the candle arrived more than
// `catchUpMs` after its close (a backfill: the engine learns from it, nobody should act on it); trades, book,
// mark, derivatives (open interest, ratios, liquidations, funding history) and manual inputs feed
// the engines between candles. With a model, each snapshot waits for its ML result (the host always answers:
// value, error or timeout) and snapshots leave in candle order. Pure apart from the engines it owns in context
// (deterministic, in-memory); persistence and inference are named effects provided by the host.
import { enqueueActions, setup } from 'xstate';
import { SymbolEngine, type EngineParams } from '../src/analytics/engine.js';
import type { ManualState } from '../src/analytics/manual-inputs.js';
import { featureVector } from '../src/analytics/ml/features.js';
import { restoreInto } from '../src/analytics/state.js';
import type { PublishEvent } from '../src/protocol/index.js';
import type { AiConsensusView, BookTop, Candle, DerivativesUpdate, LiquidationsBatch, MarkPrice, MlSignal, Snapshot, TradesBatch } from '../src/protocol/index.js';

export type MlSetup = { kind: 'model'; name: string; features: string[] } | { kind: 'none'; reason: string };

export interface AnalyticsInput {
  symbols: string[];
  params: EngineParams;
  fullSnapshotSec: number;
  ml: MlSetup;
  /** A candle received this long after its close only updates the engine (null: every candle snapshots). */
  catchUpMs: number | null;
  /**
   * Fast (1m) snapshots are built and published (default). The backtest turns them off: its only consumer, the
   * decision machine, acts on full ones alone, and with bars only (no trade or book stream) building one changes nothing.
   */
  fastSnapshots?: boolean;
  /**
   * AI swarm consensus records per symbol, oldest first (a backtest passes the stored ones for its period; the worker
   * sends `analytics.ai` as they are formed). A snapshot carries the latest one made at or before its close.
   */
  ai?: Record<string, AiConsensusView[]>;
}

export interface InferenceRequest {
  seq: number;
  symbol: string;
  ts: number;
  values: number[];
}

interface Pending {
  seq: number;
  snap: Snapshot;
  done: boolean;
}

export interface AnalyticsContext {
  engines: Record<string, SymbolEngine>;
  fullEveryMs: number;
  catchUpMs: number | null;
  fastSnapshots: boolean;
  ml: MlSetup;
  snapshots: number;
  /** Candles that only updated the engine because they arrived late (backfill). */
  caughtUp: number;
  seq: number;
  pending: Pending[];
  ai: Record<string, AiConsensusView[]>;
}

export type AnalyticsEvent =
  | { type: 'analytics.warmup'; candles: Candle[] }
  | { type: 'analytics.restore'; symbol: string; state: unknown }
  | { type: 'analytics.warmed'; receivedAt?: number }
  | { type: 'analytics.candle'; candle: Candle; receivedAt?: number }
  | { type: 'analytics.trades'; batch: TradesBatch }
  | { type: 'analytics.book'; book: BookTop }
  | { type: 'analytics.mark'; mark: MarkPrice }
  | { type: 'analytics.derivatives'; update: DerivativesUpdate }
  | { type: 'analytics.liquidations'; batch: LiquidationsBatch }
  | { type: 'analytics.manual'; manual: ManualState }
  | { type: 'analytics.ml_result'; seq: number; ml: MlSignal }
  | { type: 'analytics.ai'; symbol: string; consensus: AiConsensusView }
  | { type: 'control.pause' }
  | { type: 'control.resume' };

const allWarm = (c: AnalyticsContext) => Object.values(c.engines).every((e) => e.warm);
const late = (c: AnalyticsContext, closeTs: number, receivedAt: number | undefined) =>
  c.catchUpMs !== null && receivedAt !== undefined && receivedAt - closeTs > c.catchUpMs;

type Effect = { persist: Snapshot } | { infer: InferenceRequest } | { emit: Snapshot };

/** The latest consensus formed at or before `ts` (records are kept oldest first): no look-ahead in a replay. */
export function consensusAt(records: AiConsensusView[] | undefined, ts: number): AiConsensusView | null {
  if (!records?.length) return null;
  let lo = 0;
  let hi = records.length; // first index whose madeAt > ts
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (records[mid]!.madeAt <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? records[lo - 1]! : null;
}

/** Live: a few records per symbol are enough (the newest one at or before any snapshot still to come). */
const LIVE_KEEP = 4;

/** Builds a snapshot; without a model it is final, with one it asks the host for p_up and waits in order. */
function produce(ctx: AnalyticsContext, engine: SymbolEngine, kind: Snapshot['kind'], warmup: boolean, out: Effect[]): void {
  const seq = ++ctx.seq;
  const withAi = (snap: Snapshot) => {
    const ai = consensusAt(ctx.ai[snap.symbol], snap.ts);
    if (ai) snap.ai = ai;
  };
  if (ctx.ml.kind === 'none') {
    const snap = engine.snapshot(kind, { available: false, reason: ctx.ml.reason });
    if (warmup) snap.warmup = true;
    withAi(snap);
    ctx.pending.push({ seq, snap, done: true });
  } else {
    const snap = engine.snapshot(kind, { available: false, reason: 'inference pending' });
    if (warmup) snap.warmup = true;
    withAi(snap);
    const fv = featureVector(snap, ctx.ml.features);
    if ('missing' in fv) {
      snap.ml = { available: false, reason: `feature ${fv.missing} is not available yet` };
      ctx.pending.push({ seq, snap, done: true });
    } else {
      ctx.pending.push({ seq, snap, done: false });
      out.push({ infer: { seq, symbol: snap.symbol, ts: snap.ts, values: fv.values } });
    }
  }
  flush(ctx, out);
}

/** Publishes finished snapshots from the head of the queue, keeping candle order. */
function flush(ctx: AnalyticsContext, out: Effect[]): void {
  while (ctx.pending.length && ctx.pending[0]!.done) {
    const { snap } = ctx.pending.shift()!;
    if (snap.kind === 'full') out.push({ persist: snap });
    out.push({ emit: snap });
    ctx.snapshots++;
  }
}

const run = (out: Effect[], enqueue: { (a: { type: 'persistSnapshot'; params: Snapshot } | { type: 'requestInference'; params: InferenceRequest }): void; emit(e: PublishEvent): void }) => {
  for (const e of out) {
    if ('persist' in e) enqueue({ type: 'persistSnapshot', params: e.persist });
    else if ('infer' in e) enqueue({ type: 'requestInference', params: e.infer });
    else enqueue.emit({ type: 'analytics.snapshot', payload: e.emit, tsEvent: e.emit.ts });
  }
};

export const analyticsMachine = setup({
  types: {
    input: {} as AnalyticsInput,
    context: {} as AnalyticsContext,
    events: {} as AnalyticsEvent,
    emitted: {} as PublishEvent,
  },
  actions: {
    /** Provided by the host: write a full snapshot (with its flow and signals) to MariaDB. */
    persistSnapshot: (_, _s: Snapshot) => {},
    /** Provided by the host: run the model on the vector and answer with `analytics.ml_result`. */
    requestInference: (_, _r: InferenceRequest) => {},
  },
  guards: {
    warm: ({ context }) => allWarm(context),
  },
}).createMachine({
  id: 'analytics',
  context: ({ input }) => ({
    engines: Object.fromEntries(input.symbols.map((s) => [s, new SymbolEngine(s, input.params)])),
    fullEveryMs: input.fullSnapshotSec * 1000,
    catchUpMs: input.catchUpMs,
    fastSnapshots: input.fastSnapshots ?? true,
    ml: input.ml,
    snapshots: 0,
    caughtUp: 0,
    seq: 0,
    pending: [],
    ai: Object.fromEntries(Object.entries(input.ai ?? {}).map(([s, r]) => [s, [...r].sort((a, b) => a.madeAt - b.madeAt)])),
  }),
  initial: 'warming',
  on: {
    'analytics.candle': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const c = event.candle;
        const engine = context.engines[c.symbol];
        if (!engine?.update(c) || !engine.warm) return;
        const closeTs = c.openTime + 60_000;
        if (late(context, closeTs, event.receivedAt)) {
          context.caughtUp++;
          return;
        }
        const full = closeTs % context.fullEveryMs === 0;
        if (!full && !context.fastSnapshots) return;
        const out: Effect[] = [];
        produce(context, engine, full ? 'full' : 'fast', false, out);
        run(out, enqueue);
      }),
    },
    'analytics.trades': { actions: ({ context, event }) => context.engines[event.batch.symbol]?.onTrades(event.batch.trades) },
    'analytics.book': { actions: ({ context, event }) => context.engines[event.book.symbol]?.onBook(event.book) },
    'analytics.mark': { actions: ({ context, event }) => context.engines[event.mark.symbol]?.onMark(event.mark) },
    'analytics.derivatives': { actions: ({ context, event }) => context.engines[event.update.symbol]?.onDerivatives(event.update) },
    'analytics.liquidations': { actions: ({ context, event }) => context.engines[event.batch.symbol]?.onLiquidations(event.batch) },
    'analytics.ai': {
      actions: ({ context, event }) => {
        const list = [...(context.ai[event.symbol] ?? []).filter((r) => r.cycleId !== event.consensus.cycleId), event.consensus].sort((a, b) => a.madeAt - b.madeAt);
        context.ai[event.symbol] = list.slice(-LIVE_KEEP);
      },
    },
    'analytics.manual': { actions: ({ context, event }) => Object.values(context.engines).forEach((e) => e.setManual(event.manual)) },
    'analytics.ml_result': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const p = context.pending.find((x) => x.seq === event.seq);
        if (!p || p.done) return;
        p.snap.ml = event.ml;
        p.done = true;
        const out: Effect[] = [];
        flush(context, out);
        run(out, enqueue);
      }),
    },
    /**
     * The latest closed candle of each warm symbol as a full snapshot (flagged `warmup`) — unless it was a full
     * one already or is stale: a restarted worker serves a complete view at once, not at the next boundary.
     */
    'analytics.warmed': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const out: Effect[] = [];
        for (const e of Object.values(context.engines)) {
          if (!e.warm || !e.last) continue;
          const closeTs = e.last.openTime + 60_000;
          if (closeTs % context.fullEveryMs === 0 || late(context, closeTs, event.receivedAt)) continue;
          produce(context, e, 'full', true, out);
        }
        run(out, enqueue);
      }),
    },
  },
  states: {
    warming: {
      on: {
        'analytics.warmup': {
          actions: ({ context, event }) => {
            for (const c of event.candles) context.engines[c.symbol]?.update(c);
          },
        },
        'analytics.restore': {
          actions: ({ context, event }) => {
            const fresh = new SymbolEngine(event.symbol, context.engines[event.symbol]!.p);
            restoreInto(fresh, event.state);
            if (fresh.symbol !== event.symbol) throw new Error(`restored engine is for ${fresh.symbol}, not ${event.symbol}`);
            context.engines[event.symbol] = fresh;
          },
        },
      },
      always: { guard: 'warm', target: 'ready' },
    },
    ready: {},
  },
});
