// reconciler machine: idle ⇄ checking every N clock-seconds; each check reports equity, drift and new anomalies.
// Pure: the check is an invoked actor; the next deadline is kept in context and re-armed from it. After every check
// `reconcile.drift` says which symbols drift (empty = clear); an anomaly is published when it appears, not every check.
import { enqueueActions, fromPromise, setup } from 'xstate';
import type { PublishEvent } from '../src/protocol/index.js';
import type { Anomaly, DriftStatus, EquityPoint } from '../src/protocol/index.js';

export interface ReconcilerInput {
  intervalMs: number;
  now: () => number;
}

export interface ReconcilerContext extends ReconcilerInput {
  nextAt: number;
  checks: number;
  lastError: string | null;
  /** `code|symbol` of the anomalies seen by the last check (published once, when they appeared). */
  active: string[];
  /** Symbols drifting at the last check. */
  drifting: string[];
}

export interface CheckOutput {
  equity: EquityPoint | null;
  anomalies: Anomaly[];
  /** Symbols whose DB position differs from the exchange (absent: the check could not tell). */
  drift?: DriftStatus;
}

export type ReconcilerEvent = { type: 'reconciler.check_now' } | { type: 'control.pause' } | { type: 'control.resume' };

const key = (a: Anomaly) => `${a.code}|${a.symbol ?? ''}`;

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
  context: ({ input }) => ({ ...input, nextAt: input.now() + input.intervalMs, checks: 0, lastError: null, active: [], drifting: [] }),
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
            const out = event.output;
            const now = context.now();
            const active = out.anomalies.map(key);
            enqueue.assign({ checks: context.checks + 1, nextAt: now + context.intervalMs, lastError: null, active, ...(out.drift ? { drifting: out.drift.symbols } : {}) });
            if (out.equity) enqueue.emit({ type: 'reconcile.equity', payload: out.equity });
            for (const a of out.anomalies) if (!context.active.includes(key(a))) enqueue.emit({ type: 'reconcile.anomaly', payload: a });
            if (!out.drift) return;
            enqueue.emit({ type: 'reconcile.drift', payload: out.drift });
            const cleared = context.drifting.filter((s) => !out.drift!.symbols.includes(s));
            for (const symbol of cleared) {
              enqueue.emit({ type: 'reconcile.anomaly', payload: { kind: 'drift_cleared', code: 'reconcile.drift_cleared', severity: 'info', symbol, text: `${symbol}: the DB agrees with the exchange again` } });
            }
          }),
        },
        onError: {
          target: 'idle',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const message = (event.error as Error).message;
            enqueue.assign({ nextAt: context.now() + context.intervalMs, lastError: message });
            if (context.lastError === null) {
              enqueue.emit({ type: 'reconcile.anomaly', payload: { kind: 'check_failed', code: 'reconcile.check_failed', severity: 'warning', text: `periodic reconciliation failed: ${message}` } });
            }
          }),
        },
      },
    },
  },
});
