// reconciler machine: idle ⇄ checking every N clock-seconds; each check reports equity and drift.
// Pure: the check is an invoked actor; the next deadline is kept in context and re-armed from it.
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { PublishEvent } from '../src/host/host.js';
import type { Anomaly, EquityPoint } from '../src/protocol/index.js';

export interface ReconcilerInput {
  intervalMs: number;
  now: () => number;
}

export interface ReconcilerContext extends ReconcilerInput {
  nextAt: number;
  checks: number;
  lastError: string | null;
}

export interface CheckOutput {
  equity: EquityPoint | null;
  anomalies: Anomaly[];
}

export type ReconcilerEvent = { type: 'reconciler.check_now' } | { type: 'control.pause' } | { type: 'control.resume' };

export const reconcilerMachine = setup({
  types: {
    input: {} as ReconcilerInput,
    context: {} as ReconcilerContext,
    events: {} as ReconcilerEvent,
    emitted: {} as PublishEvent,
  },
  actors: {
    check: fromPromise<CheckOutput>(async () => ({ equity: null, anomalies: [] })),
  },
  delays: {
    untilNext: ({ context }) => Math.max(0, context.nextAt - context.now()),
  },
}).createMachine({
  id: 'reconciler',
  context: ({ input }) => ({ ...input, nextAt: input.now() + input.intervalMs, checks: 0, lastError: null }),
  initial: 'idle',
  states: {
    idle: {
      after: { untilNext: 'checking' },
      on: { 'reconciler.check_now': 'checking' },
    },
    checking: {
      invoke: {
        src: 'check',
        onDone: {
          target: 'idle',
          actions: enqueueActions(({ context, event, enqueue }) => {
            enqueue.assign({ checks: context.checks + 1, nextAt: context.now() + context.intervalMs, lastError: null });
            if (event.output.equity) enqueue.emit({ type: 'reconcile.equity', payload: event.output.equity });
            for (const a of event.output.anomalies) enqueue.emit({ type: 'reconcile.anomaly', payload: a });
          }),
        },
        onError: {
          target: 'idle',
          actions: assign({ nextAt: ({ context }) => context.now() + context.intervalMs, lastError: ({ event }) => (event.error as Error).message }),
        },
      },
    },
  },
});
