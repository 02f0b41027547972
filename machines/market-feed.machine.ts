// market-feed machine: disconnected → connecting → backfilling → streaming ⇄ stale → reconnecting → connecting.
// Pure: sockets and REST backfill are named effects provided by the host (which also stores what it emits); time is the injected clock and
// every wall-clock setting is scaled by `speed`. Guarantees: 1m candles are emitted once each, in order, with no gap
// the venue can fill (every gap and every reconnect is backfilled over REST first); higher timeframes are aggregated;
// derivatives the host polls and liquidations it streams are published as they come.
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { PublishEvent } from '../src/protocol/index.js';
import { CandleAggregator } from '../src/market/aggregate.js';
import { nextFloat, seedRng, type Rng } from '../src/market/rng.js';
import type { BookTop, Candle, DerivativesUpdate, LiquidationsBatch, MarkPrice, Timeframe, TradesBatch } from '../src/protocol/index.js';

const MINUTE = 60_000;

export interface FeedInput {
  symbols: string[];
  now: () => number;
  /** Clock ms per wall ms (paper acceleration); wall-clock settings below are multiplied by it. */
  speed: number;
  timeframes: Timeframe[];
  staleAfterMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  rotateAfterMs: number;
  connectTimeoutMs: number;
  /** Longest gap filled on (re)connect; older minutes are skipped. */
  maxBackfillMinutes: number;
  /** On an empty database, this much history is fetched first (so analytics is warm at once). */
  initialHistoryMinutes: number;
  /** Seeds the reconnect jitter (pure: the machine holds its own generator). */
  seed: number;
}

export interface FeedStats {
  candles: number;
  backfilled: number;
  reconnects: number;
  staleEvents: number;
  gapsBackfilled: number;
  gapsUnfillable: number;
}

export interface FeedContext extends FeedInput {
  /** Open time of the last 1m candle emitted per symbol. */
  last: Record<string, number | null>;
  lastFrameAt: number;
  connectedAt: number;
  attempts: number;
  planned: boolean;
  reconnectDelay: number;
  rng: Rng;
  agg: CandleAggregator;
  buffer: Candle[];
  stats: FeedStats;
  lastError: string | null;
}

export interface BackfillInput {
  from: Record<string, number>;
  /** Clock time when the backfill started: only candles closed by then are taken. */
  until: number;
}

export type FeedEvent =
  | { type: 'feed.loaded'; last: Record<string, number | null>; recent: Candle[] }
  | { type: 'ws.open' }
  | { type: 'ws.closed'; reason: string }
  | { type: 'stream.candle'; candle: Candle }
  | { type: 'stream.trades'; batch: TradesBatch }
  | { type: 'stream.book'; book: BookTop }
  | { type: 'stream.mark'; mark: MarkPrice }
  | { type: 'stream.liquidations'; batch: LiquidationsBatch }
  | { type: 'derivatives.polled'; update: DerivativesUpdate }
  | { type: 'stream.alive' }
  | { type: 'control.pause' }
  | { type: 'control.resume' };

const gapIn = (c: FeedContext, candle: Candle) => {
  const last = c.last[candle.symbol];
  return last !== null && last !== undefined && candle.openTime > last + MINUTE;
};

/** `last` after emitting `candles` in order (what emitCandles would leave). */
function advance(last: Record<string, number | null>, candles: Candle[]): Record<string, number | null> {
  const out = { ...last };
  for (const c of [...candles].sort((a, b) => a.openTime - b.openTime)) {
    const prev = out[c.symbol];
    if (prev === null || prev === undefined || c.openTime > prev) out[c.symbol] = c.openTime;
  }
  return out;
}

/** Minutes-gaps the buffered candles would leave after `last`, taken in order per symbol. */
function holesIn(last: Record<string, number | null>, buffer: Candle[]): number {
  let holes = 0;
  const at = { ...last };
  for (const c of [...buffer].sort((a, b) => a.openTime - b.openTime)) {
    const prev = at[c.symbol];
    if (prev !== null && prev !== undefined) {
      if (c.openTime <= prev) continue;
      if (c.openTime > prev + MINUTE) holes++;
    }
    at[c.symbol] = c.openTime;
  }
  return holes;
}

/** The part of XState's `enqueue` the shared steps below use. */
interface Enqueue {
  emit(e: PublishEvent): void;
  assign(a: Partial<FeedContext>): void;
}

/** Emits candles in order, skipping any already emitted; aggregates each 1m candle into higher timeframes. */
function emitCandles(context: FeedContext, enqueue: Enqueue, candles: Candle[], source: 'stream' | 'backfill'): void {
  const last = { ...context.last };
  let n = 0;
  for (const c of [...candles].sort((a, b) => a.openTime - b.openTime)) {
    const prev = last[c.symbol];
    if (prev !== null && prev !== undefined && c.openTime <= prev) continue;
    last[c.symbol] = c.openTime;
    n++;
    for (const x of [c, ...context.agg.push(c)]) enqueue.emit({ type: 'market.candle', payload: x, tsEvent: x.openTime + (x.tf === '1m' ? MINUTE : 0) });
  }
  enqueue.assign({ last, lastFrameAt: context.now(), stats: { ...context.stats, candles: context.stats.candles + n, backfilled: context.stats.backfilled + (source === 'backfill' ? n : 0) } });
}

function publish(context: FeedContext, e: FeedEvent, enqueue: Enqueue): void {
  if (e.type === 'stream.trades') enqueue.emit({ type: 'market.trades', payload: e.batch });
  else if (e.type === 'stream.book') enqueue.emit({ type: 'market.book', payload: e.book, tsEvent: e.book.ts });
  else if (e.type === 'stream.mark') enqueue.emit({ type: 'market.mark', payload: e.mark, tsEvent: e.mark.ts });
  else if (e.type === 'stream.liquidations') enqueue.emit({ type: 'market.liquidations', payload: e.batch, tsEvent: e.batch.liquidations.at(-1)?.ts ?? e.batch.coverageFrom ?? context.now() });
  enqueue.assign({ lastFrameAt: context.now() });
}

export const marketFeedMachine = setup({
  types: {
    input: {} as FeedInput,
    context: {} as FeedContext,
    events: {} as FeedEvent,
    emitted: {} as PublishEvent,
  },
  actions: {
    openSocket: () => {},
    closeSocket: () => {},
    alive: assign({ lastFrameAt: ({ context }) => context.now() }),
  },
  actors: {
    backfill: fromPromise<Candle[], BackfillInput>(async () => []),
  },
  guards: {
    gap: ({ context, event }) => event.type === 'stream.candle' && gapIn(context, event.candle),
    stale: ({ context }) => context.now() - context.lastFrameAt >= context.staleAfterMs * context.speed,
    dead: ({ context }) => context.now() - context.lastFrameAt >= 2 * context.staleAfterMs * context.speed,
    rotateDue: ({ context }) => context.now() - context.connectedAt >= context.rotateAfterMs * context.speed,
  },
  delays: {
    watchdog: ({ context }) => Math.max(1, (context.staleAfterMs * context.speed) / 4),
    connectTimeout: ({ context }) => context.connectTimeoutMs * context.speed,
    reconnectDelay: ({ context }) => context.reconnectDelay,
  },
}).createMachine({
  id: 'market-feed',
  context: ({ input }) => ({
    ...input, last: {}, lastFrameAt: 0, connectedAt: 0, attempts: 0, planned: false, reconnectDelay: 0, rng: seedRng(input.seed),
    agg: new CandleAggregator(input.timeframes.filter((t): t is Exclude<Timeframe, '1m'> => t !== '1m')), buffer: [],
    stats: { candles: 0, backfilled: 0, reconnects: 0, staleEvents: 0, gapsBackfilled: 0, gapsUnfillable: 0 }, lastError: null,
  }),
  initial: 'disconnected',
  on: {
    'control.pause': {},
    'control.resume': {},
    // Derivatives statistics come over REST, whatever the stream is doing.
    'derivatives.polled': {
      actions: enqueueActions(({ event, enqueue }) => {
        const u = event.update;
        const ts = Math.max(u.metrics.at(-1)?.ts ?? 0, u.openInterest?.ts ?? 0, u.funding.at(-1)?.ts ?? 0);
        enqueue.emit({ type: 'market.derivatives', payload: u, tsEvent: ts });
      }),
    },
  },
  states: {
    disconnected: {
      on: {
        'feed.loaded': {
          target: 'connecting',
          actions: assign(({ context, event }) => {
            // Prime the aggregator with the open buckets' minutes so the first higher-timeframe candles are whole.
            for (const c of [...event.recent].sort((a, b) => a.openTime - b.openTime)) context.agg.push(c);
            return { last: Object.fromEntries(context.symbols.map((s) => [s, event.last[s] ?? null])) };
          }),
        },
      },
    },
    connecting: {
      entry: 'openSocket',
      on: {
        'ws.open': { target: 'backfilling', actions: assign(({ context }) => ({ connectedAt: context.now(), lastFrameAt: context.now(), planned: false })) },
        'ws.closed': { target: 'reconnecting', actions: assign({ lastError: ({ event }) => event.reason }) },
      },
      after: { connectTimeout: { target: 'reconnecting', actions: assign({ lastError: 'connect timed out' }) } },
    },
    /** REST fills everything between the last emitted candle and now; stream candles wait in the buffer. */
    backfilling: {
      invoke: {
        src: 'backfill',
        input: ({ context }): BackfillInput => {
          const now = context.now();
          const floor = Math.floor(now / MINUTE) * MINUTE;
          const oldest = floor - context.maxBackfillMinutes * MINUTE;
          return {
            until: now,
            from: Object.fromEntries(context.symbols.map((s) => [s, Math.max(oldest, context.last[s] !== null && context.last[s] !== undefined ? context.last[s]! + MINUTE : floor - context.initialHistoryMinutes * MINUTE)])),
          };
        },
        onDone: [
          {
            // The buffered stream candles still skip minutes (frames the venue never sent): fetch those too, as long
            // as each round brings something new.
            guard: ({ context, event }) => {
              const last = advance(context.last, event.output);
              return holesIn(last, context.buffer) > 0 && Object.keys(last).some((s) => last[s] !== context.last[s]);
            },
            target: 'backfilling',
            reenter: true,
            actions: [
              enqueueActions(({ context, event, enqueue }) => emitCandles(context, enqueue as unknown as Enqueue, event.output, 'backfill')),
              assign({ stats: ({ context }) => ({ ...context.stats, gapsBackfilled: context.stats.gapsBackfilled + 1 }) }),
            ],
          },
          {
            target: 'streaming',
            actions: [
              enqueueActions(({ context, event, enqueue }) => emitCandles(context, enqueue as unknown as Enqueue, event.output, 'backfill')),
              enqueueActions(({ context, enqueue }) => {
                // Whatever hole remains, REST could not fill: it is the venue's, not ours.
                const holes = holesIn(context.last, context.buffer);
                if (holes) {
                  enqueue.assign({ stats: { ...context.stats, gapsUnfillable: context.stats.gapsUnfillable + holes } });
                  enqueue.emit({ type: 'market.alert', payload: { severity: 'warning', code: 'feed.gap_unfillable', text: `${holes} candle gap(s) the exchange could not backfill` } });
                }
                enqueue.assign({ lastFrameAt: context.now(), attempts: 0 });
              }),
              enqueueActions(({ context, enqueue }) => emitCandles(context, enqueue as unknown as Enqueue, context.buffer, 'stream')),
              assign({ buffer: [] }),
            ],
          },
        ],
        onError: { target: 'reconnecting', actions: assign({ lastError: ({ event }) => `backfill failed: ${(event.error as Error).message}` }) },
      },
      on: {
        'stream.candle': { actions: [assign({ buffer: ({ context, event }) => [...context.buffer, event.candle] }), 'alive'] },
        'stream.trades': { actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.book': { actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.mark': { actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.liquidations': { actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.alive': { actions: 'alive' },
        'ws.closed': { target: 'reconnecting', actions: assign({ lastError: ({ event }) => event.reason }) },
      },
    },
    streaming: {
      on: {
        'stream.candle': [
          {
            guard: 'gap',
            target: 'backfilling',
            actions: assign(({ context, event }) => ({ buffer: [event.candle], lastFrameAt: context.now(), stats: { ...context.stats, gapsBackfilled: context.stats.gapsBackfilled + 1 } })),
          },
          { actions: enqueueActions(({ context, event, enqueue }) => emitCandles(context, enqueue as unknown as Enqueue, [event.candle], 'stream')) },
        ],
        'stream.trades': { actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.book': { actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.mark': { actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.liquidations': { actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.alive': { actions: 'alive' },
        'ws.closed': { target: 'reconnecting', actions: assign({ lastError: ({ event }) => event.reason }) },
      },
      after: {
        watchdog: [
          { guard: 'stale', target: 'stale' },
          { guard: 'rotateDue', target: 'reconnecting', actions: assign({ planned: true, lastError: 'planned rotation before the 24 h connection limit' }) },
          { target: 'streaming', reenter: true },
        ],
      },
    },
    /** No frame for staleAfterMs: any frame brings it back; twice as long and the connection is dropped. */
    stale: {
      entry: [
        assign({ stats: ({ context }) => ({ ...context.stats, staleEvents: context.stats.staleEvents + 1 }) }),
        enqueueActions(({ context, enqueue }) => {
          enqueue.emit({ type: 'market.alert', payload: { severity: 'warning', code: 'feed.stale', text: `no market data for ${Math.round((context.now() - context.lastFrameAt) / context.speed)} ms` } });
        }),
      ],
      on: {
        'stream.candle': [
          {
            guard: 'gap',
            target: 'backfilling',
            actions: assign(({ context, event }) => ({ buffer: [event.candle], lastFrameAt: context.now(), stats: { ...context.stats, gapsBackfilled: context.stats.gapsBackfilled + 1 } })),
          },
          { target: 'streaming', actions: enqueueActions(({ context, event, enqueue }) => emitCandles(context, enqueue as unknown as Enqueue, [event.candle], 'stream')) },
        ],
        'stream.trades': { target: 'streaming', actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.book': { target: 'streaming', actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.mark': { target: 'streaming', actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.liquidations': { target: 'streaming', actions: enqueueActions(({ context, event, enqueue }) => publish(context, event, enqueue as unknown as Enqueue)) },
        'stream.alive': { target: 'streaming', actions: 'alive' },
        'ws.closed': { target: 'reconnecting', actions: assign({ lastError: ({ event }) => event.reason }) },
      },
      after: {
        watchdog: [{ guard: 'dead', target: 'reconnecting', actions: assign({ lastError: 'silent disconnect: no frames' }) }, { target: 'stale', reenter: true }],
      },
    },
    reconnecting: {
      entry: [
        'closeSocket',
        assign(({ context }) => {
          const rng = { ...context.rng };
          const base = context.planned ? 0 : Math.min(context.reconnectMaxMs, context.reconnectInitialMs * 2 ** Math.min(context.attempts, 16));
          const jitter = 0.5 + nextFloat(rng) * 0.5;
          return {
            rng, buffer: [], reconnectDelay: Math.round(base * jitter * context.speed),
            attempts: context.planned ? 0 : context.attempts + 1, stats: { ...context.stats, reconnects: context.stats.reconnects + 1 },
          };
        }),
        enqueueActions(({ context, enqueue }) => {
          enqueue.emit({ type: 'market.alert', payload: { severity: context.planned ? 'info' : 'warning', code: 'feed.reconnect', text: `market stream reconnecting: ${context.lastError ?? 'unknown reason'}` } });
        }),
      ],
      after: { reconnectDelay: 'connecting' },
      on: { 'stream.*': {} },
    },
  },
});
