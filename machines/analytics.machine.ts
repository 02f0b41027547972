// analytics machine: warming → ready; each closed 1m candle updates the engine, snapshots are emitted.
// Pure apart from the engine it owns in context (deterministic, in-memory); persistence is a named action.
import { enqueueActions, setup } from 'xstate';
import { SymbolEngine, type EngineParams } from '../src/analytics/engine.js';
import type { PublishEvent } from '../src/host/host.js';
import type { Candle, Snapshot } from '../src/protocol/index.js';

export interface AnalyticsInput {
  symbols: string[];
  params: EngineParams;
  fullSnapshotSec: number;
}

export interface AnalyticsContext {
  engines: Record<string, SymbolEngine>;
  fullEveryMs: number;
  snapshots: number;
}

export type AnalyticsEvent =
  | { type: 'analytics.warmup'; candles: Candle[] }
  | { type: 'analytics.candle'; candle: Candle }
  | { type: 'control.pause' }
  | { type: 'control.resume' };

const allWarm = (c: AnalyticsContext) => Object.values(c.engines).every((e) => e.warm);

export const analyticsMachine = setup({
  types: {
    input: {} as AnalyticsInput,
    context: {} as AnalyticsContext,
    events: {} as AnalyticsEvent,
    emitted: {} as PublishEvent,
  },
  actions: {
    /** Provided by the host: write a full snapshot to MariaDB. */
    persistSnapshot: (_, _s: Snapshot) => {},
    warmup: ({ context, event }) => {
      if (event.type !== 'analytics.warmup') return;
      for (const c of event.candles) context.engines[c.symbol]?.update(c);
    },
  },
  guards: {
    warm: ({ context }) => allWarm(context),
  },
}).createMachine({
  id: 'analytics',
  context: ({ input }) => ({
    engines: Object.fromEntries(input.symbols.map((s) => [s, new SymbolEngine(s, input.params)])),
    fullEveryMs: input.fullSnapshotSec * 1000,
    snapshots: 0,
  }),
  initial: 'warming',
  on: {
    'analytics.candle': {
      actions: enqueueActions(({ context, event, enqueue }) => {
          if (event.type !== 'analytics.candle') return;
          const c = event.candle;
          const engine = context.engines[c.symbol];
          if (!engine?.update(c) || !engine.warm) return;
          const closeTs = c.openTime + 60_000;
          const kind = closeTs % context.fullEveryMs === 0 ? 'full' : 'fast';
          const snap = engine.snapshot(c, kind);
          if (kind === 'full') enqueue({ type: 'persistSnapshot', params: snap });
          enqueue.emit({ type: 'analytics.snapshot', payload: snap, tsEvent: closeTs });
          enqueue.assign({ snapshots: context.snapshots + 1 });
        }),
    },
  },
  states: {
    warming: {
      on: { 'analytics.warmup': { actions: 'warmup' } },
      always: { guard: 'warm', target: 'ready' },
    },
    ready: {},
  },
});
