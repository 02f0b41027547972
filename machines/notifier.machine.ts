// notifier machine, three regions: recorder (inbox → `notifications` rows), outbox (oldest pending row → Telegram,
// backoff while it fails) and summary (one daily summary at a UTC time). Pure: IO is invoked actors; deadlines live in context.
import { assign, fromPromise, raise, setup } from 'xstate';
import type { Severity } from '../src/protocol/index.js';

export interface Notice {
  /** Id of the bus message that caused it (dedupe key in the notifications table). */
  sourceId: string;
  ts: number;
  code: string;
  severity: Severity;
  text: string;
  symbol?: string;
}

/** What one delivery attempt did: sent (or definitively failed) the oldest pending row, found none, or must wait. */
export type SendOutcome =
  | { kind: 'sent' | 'failed'; id: number }
  | { kind: 'empty' }
  | { kind: 'retry'; error: string; retryAfterMs?: number };

export interface NotifierInput {
  now: () => number;
  /** Backoff bounds in wall-clock ms (Telegram's limits are wall-clock matters). */
  retry: { initialMs: number; maxMs: number };
  /** Clock ms per wall ms (the accelerated paper clock runs faster); converts wall delays into clock deadlines. */
  clockPerWallMs: number;
  /** Daily summary time, minutes after 00:00 UTC of the daemon's clock; null disables it. */
  summaryMinuteUtc: number | null;
}

export interface NotifierContext extends NotifierInput {
  inbox: Notice[];
  recordRetryAt: number;
  failures: number;
  retryAt: number;
  /** When the next summary is due (names it: one per UTC day) and when it is next attempted. */
  summaryDue: number;
  summaryAt: number;
  recorded: number;
  sent: number;
  lastError: string | null;
}

export type NotifierEvent =
  | { type: 'notifier.notice'; notice: Notice }
  | { type: 'notifier.kick' }
  | { type: 'control.pause' }
  | { type: 'control.resume' };

const DAY = 86_400_000;

/** The first time strictly after `now` that is `minute` minutes past a UTC midnight. */
export const nextDailyAt = (now: number, minute: number): number => {
  const at = now - (now % DAY) + minute * 60_000;
  return at > now ? at : at + DAY;
};

/** Exponential backoff after `failures` consecutive failures, at least what the server asked for. */
export const backoffMs = (failures: number, retry: { initialMs: number; maxMs: number }, serverMs = 0): number =>
  Math.max(serverMs, Math.min(retry.maxMs, retry.initialMs * 2 ** Math.max(0, failures - 1)));

export const notifierMachine = setup({
  types: {
    input: {} as NotifierInput,
    context: {} as NotifierContext,
    events: {} as NotifierEvent,
  },
  actors: {
    record: fromPromise<void, { notice: Notice }>(async () => {}),
    sendNext: fromPromise<SendOutcome>(async () => ({ kind: 'empty' })),
    summarize: fromPromise<void, { dueAt: number }>(async () => {}),
  },
  actions: {
    enqueue: assign({ inbox: ({ context, event }) => (event.type === 'notifier.notice' ? [...context.inbox, event.notice] : context.inbox) }),
  },
  guards: {
    hasInbox: ({ context }) => context.inbox.length > 0,
    summaryEnabled: ({ context }) => context.summaryMinuteUtc !== null,
  },
  delays: {
    untilRecordRetry: ({ context }) => Math.max(0, context.recordRetryAt - context.now()),
    untilRetry: ({ context }) => Math.max(0, context.retryAt - context.now()),
    untilSummary: ({ context }) => Math.max(0, context.summaryAt - context.now()),
  },
}).createMachine({
  id: 'notifier',
  context: ({ input }) => ({
    ...input, inbox: [], recordRetryAt: 0, failures: 0, retryAt: 0, recorded: 0, sent: 0, lastError: null,
    ...(() => {
      const due = input.summaryMinuteUtc === null ? 0 : nextDailyAt(input.now(), input.summaryMinuteUtc);
      return { summaryDue: due, summaryAt: due };
    })(),
  }),
  type: 'parallel',
  on: { 'notifier.notice': { actions: 'enqueue' } },
  states: {
    recorder: {
      initial: 'idle',
      states: {
        idle: { always: { guard: 'hasInbox', target: 'writing' } },
        writing: {
          invoke: {
            src: 'record',
            input: ({ context }) => ({ notice: context.inbox[0]! }),
            onDone: {
              target: 'idle',
              actions: [
                assign({ inbox: ({ context }) => context.inbox.slice(1), recorded: ({ context }) => context.recorded + 1 }),
                // A new row may be deliverable: wake the outbox if it is idle.
                raise({ type: 'notifier.kick' }),
              ],
            },
            onError: {
              target: 'waiting',
              actions: assign({
                recordRetryAt: ({ context }) => context.now() + context.retry.initialMs * context.clockPerWallMs,
                lastError: ({ event }) => `recording failed: ${(event.error as Error).message}`,
              }),
            },
          },
        },
        waiting: { after: { untilRecordRetry: 'writing' } },
      },
    },
    outbox: {
      // Starts by sending: rows left pending by an earlier incarnation are delivered first, oldest first.
      initial: 'sending',
      states: {
        idle: { on: { 'notifier.kick': 'sending' } },
        sending: {
          invoke: {
            src: 'sendNext',
            onDone: [
              {
                guard: ({ event }) => event.output.kind === 'sent' || event.output.kind === 'failed',
                target: 'sending',
                reenter: true,
                actions: assign({ sent: ({ context, event }) => context.sent + (event.output.kind === 'sent' ? 1 : 0), failures: 0, lastError: null }),
              },
              { guard: ({ event }) => event.output.kind === 'empty', target: 'idle', actions: assign({ failures: 0 }) },
              {
                target: 'backoff',
                actions: assign(({ context, event }) => {
                  const o = event.output as Extract<SendOutcome, { kind: 'retry' }>;
                  const failures = context.failures + 1;
                  return { failures, lastError: o.error, retryAt: context.now() + backoffMs(failures, context.retry, o.retryAfterMs) * context.clockPerWallMs };
                }),
              },
            ],
            onError: {
              target: 'backoff',
              actions: assign(({ context, event }) => {
                const failures = context.failures + 1;
                return { failures, lastError: (event.error as Error).message, retryAt: context.now() + backoffMs(failures, context.retry) * context.clockPerWallMs };
              }),
            },
          },
        },
        // Kicks are ignored here: the oldest row must go first, so nothing overtakes it while Telegram fails.
        backoff: { after: { untilRetry: 'sending' } },
      },
    },
    summary: {
      initial: 'check',
      states: {
        check: { always: [{ guard: 'summaryEnabled', target: 'waiting' }, { target: 'off' }] },
        waiting: { after: { untilSummary: 'writing' } },
        writing: {
          invoke: {
            src: 'summarize',
            input: ({ context }) => ({ dueAt: context.summaryDue }),
            onDone: {
              target: 'waiting',
              actions: assign(({ context }) => {
                const due = nextDailyAt(Math.max(context.summaryDue, context.now()), context.summaryMinuteUtc!);
                return { summaryDue: due, summaryAt: due };
              }),
            },
            onError: {
              target: 'waiting',
              // Retry every wall minute for an hour (a DB blip must not cost the day's summary), then skip the day.
              actions: assign(({ context, event }) => {
                const retryAt = context.now() + 60_000 * context.clockPerWallMs;
                const due = nextDailyAt(Math.max(context.summaryDue, context.now()), context.summaryMinuteUtc!);
                const giveUp = retryAt - context.summaryDue > 3_600_000;
                return { summaryDue: giveUp ? due : context.summaryDue, summaryAt: giveUp ? due : retryAt, lastError: `daily summary failed: ${(event.error as Error).message}` };
              }),
            },
          },
        },
        off: { type: 'final' },
      },
    },
  },
});
