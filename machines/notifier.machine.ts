// notifier machine: ready ⇄ sending, backlog when delivery fails; notices are handled oldest first.
// Pure: recording and delivery are an invoked actor; the retry deadline is kept in context.
import { assign, fromPromise, setup } from 'xstate';
import type { Severity } from '../src/protocol/index.js';

export interface Notice {
  /** Id of the bus message that caused it (dedupe key in the notifications table). */
  sourceId: string;
  ts: number;
  code: string;
  severity: Severity;
  text: string;
}

export interface NotifierInput {
  now: () => number;
  retryMs: number;
}

export interface NotifierContext extends NotifierInput {
  queue: Notice[];
  retryAt: number;
  handled: number;
  lastError: string | null;
}

export type NotifierEvent = { type: 'notifier.notice'; notice: Notice } | { type: 'control.pause' } | { type: 'control.resume' };

export const notifierMachine = setup({
  types: {
    input: {} as NotifierInput,
    context: {} as NotifierContext,
    events: {} as NotifierEvent,
  },
  actors: {
    deliver: fromPromise<void, { notice: Notice }>(async () => {}),
  },
  actions: {
    enqueue: assign({ queue: ({ context, event }) => (event.type === 'notifier.notice' ? [...context.queue, event.notice] : context.queue) }),
  },
  guards: {
    hasWork: ({ context }) => context.queue.length > 0,
  },
  delays: {
    untilRetry: ({ context }) => Math.max(0, context.retryAt - context.now()),
  },
}).createMachine({
  id: 'notifier',
  context: ({ input }) => ({ ...input, queue: [], retryAt: 0, handled: 0, lastError: null }),
  initial: 'ready',
  on: { 'notifier.notice': { actions: 'enqueue' } },
  states: {
    ready: {
      always: { guard: 'hasWork', target: 'sending' },
    },
    sending: {
      invoke: {
        src: 'deliver',
        input: ({ context }) => ({ notice: context.queue[0]! }),
        onDone: { target: 'ready', actions: assign({ queue: ({ context }) => context.queue.slice(1), handled: ({ context }) => context.handled + 1, lastError: null }) },
        onError: {
          target: 'backlog',
          actions: assign({ retryAt: ({ context }) => context.now() + context.retryMs, lastError: ({ event }) => (event.error as Error).message }),
        },
      },
    },
    backlog: {
      after: { untilRetry: 'sending' },
    },
  },
});
