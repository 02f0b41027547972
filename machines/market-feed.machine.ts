// market-feed machine: connecting → backfilling → streaming, emitting closed 1m candles on the clock.
// Pure: time comes from the injected `now`, candles from the seeded generator; persistence is a named action.
import { assign, enqueueActions, setup } from 'xstate';
import type { PublishEvent } from '../src/host/host.js';
import { synthCandle, type SynthParams } from '../src/market/synthetic.js';
import type { Candle } from '../src/protocol/index.js';

const MINUTE = 60_000;

export interface FeedInput {
  symbols: string[];
  synthetic: SynthParams;
  now: () => number;
  /** Longest gap filled on start; older minutes are skipped. */
  maxBackfillMinutes: number;
  /** On an empty database, this much history is generated first (so analytics is warm at once). */
  initialHistoryMinutes: number;
}

export interface FeedContext extends FeedInput {
  lastClose: Record<string, number>;
  /** Open time of the next candle to produce. */
  nextOpenTime: number;
  produced: number;
}

export type FeedEvent =
  | { type: 'feed.loaded'; last: Record<string, { openTime: number; close: number } | null> }
  | { type: 'control.pause' }
  | { type: 'control.resume' };

export const marketFeedMachine = setup({
  types: {
    input: {} as FeedInput,
    context: {} as FeedContext,
    events: {} as FeedEvent,
    emitted: {} as PublishEvent,
  },
  actions: {
    /** Provided by the host: queue the candle for a batched MariaDB write. */
    persistCandle: (_, _candle: Candle) => {},
  },
  guards: {
    caughtUp: ({ context }) => context.nextOpenTime + MINUTE > context.now(),
  },
  delays: {
    untilNextClose: ({ context }) => Math.max(0, context.nextOpenTime + MINUTE - context.now()),
  },
}).createMachine({
  id: 'market-feed',
  context: ({ input }) => ({ ...input, lastClose: {}, nextOpenTime: 0, produced: 0 }),
  initial: 'connecting',
  states: {
    connecting: {
      on: {
        'feed.loaded': {
          target: 'backfilling',
          actions: assign(({ context, event }) => {
            const current = Math.floor(context.now() / MINUTE) * MINUTE;
            const lastOpen = Math.max(...context.symbols.map((s) => event.last[s]?.openTime ?? -Infinity));
            const resume = Number.isFinite(lastOpen) ? lastOpen + MINUTE : current - context.initialHistoryMinutes * MINUTE;
            return {
              nextOpenTime: Math.max(resume, current - context.maxBackfillMinutes * MINUTE),
              lastClose: Object.fromEntries(context.symbols.map((s) => [s, event.last[s]?.close ?? context.synthetic.startPrice])),
            };
          }),
        },
      },
    },
    /** Behind the clock: one candle per macrotask until caught up (keeps the worker responsive). */
    backfilling: {
      always: { guard: 'caughtUp', target: 'streaming' },
      after: { 0: 'producing' },
    },
    streaming: {
      after: { untilNextClose: 'producing' },
    },
    producing: {
      entry: enqueueActions(({ context, enqueue }) => {
        const openTime = context.nextOpenTime;
        const candles = context.symbols.map((s) => synthCandle(context.synthetic, s, openTime, context.lastClose[s]!));
        enqueue.assign({
          lastClose: Object.fromEntries(candles.map((c) => [c.symbol, c.close])),
          nextOpenTime: openTime + MINUTE,
          produced: context.produced + candles.length,
        });
        for (const c of candles) {
          enqueue({ type: 'persistCandle', params: c });
          enqueue.emit({ type: 'market.candle', payload: c, tsEvent: openTime + MINUTE });
          enqueue.emit({ type: 'market.mark', payload: { symbol: c.symbol, ts: openTime + MINUTE, markPrice: c.close }, tsEvent: openTime + MINUTE });
        }
      }),
      always: 'backfilling',
    },
  },
});
