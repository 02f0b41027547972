// The notifier machine on a simulated clock: recording before delivery, oldest-first delivery, exponential backoff
// that honours retry-after and the accelerated clock, recording retries, and the daily summary schedule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, fromPromise } from 'xstate';
import { backoffMs, nextDailyAt, notifierMachine, type Notice, type SendOutcome } from '../../machines/notifier.machine.js';
import { SimClock } from '../../src/clock/clock.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const flush = async (n = 6) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
};
const notice = (id: string): Notice => ({ sourceId: id, ts: T0, code: 'x', severity: 'warning', text: id });

/** An in-memory outbox: rows recorded, a switchable Telegram. */
function harness(opts: { speed?: number; summaryMinuteUtc?: number | null } = {}) {
  const clock = new SimClock(T0);
  const rows: string[] = [];
  const delivered: string[] = [];
  const summaries: number[] = [];
  let next = 0;
  const state = { down: false, dbDown: false, retryAfterMs: undefined as number | undefined, attempts: 0 };
  const m = notifierMachine.provide({
    actors: {
      record: fromPromise(async ({ input }: { input: { notice: Notice } }) => {
        if (state.dbDown) throw new Error('db down');
        rows.push(input.notice.sourceId);
      }),
      sendNext: fromPromise(async (): Promise<SendOutcome> => {
        if (next >= rows.length) return { kind: 'empty' };
        state.attempts++;
        if (state.down) return { kind: 'retry', error: 'telegram down', ...(state.retryAfterMs !== undefined ? { retryAfterMs: state.retryAfterMs } : {}) };
        delivered.push(rows[next]!);
        return { kind: 'sent', id: next++ };
      }),
      summarize: fromPromise(async ({ input }: { input: { dueAt: number } }) => {
        if (state.dbDown) throw new Error('db down');
        summaries.push(input.dueAt);
      }),
    },
  });
  const actor = createActor(m, {
    clock,
    input: { now: () => clock.now(), retry: { initialMs: 1000, maxMs: 8000 }, clockPerWallMs: opts.speed ?? 1, summaryMinuteUtc: opts.summaryMinuteUtc === undefined ? null : opts.summaryMinuteUtc },
  });
  actor.start();
  return { clock, actor, rows, delivered, summaries, state };
}

test('notices are recorded, then delivered oldest first; the outbox wakes for each new row', async () => {
  const h = harness();
  for (const id of ['a', 'b', 'c']) h.actor.send({ type: 'notifier.notice', notice: notice(id) });
  await flush(20);
  assert.equal(h.rows, ['a', 'b', 'c']);
  assert.equal(h.delivered, ['a', 'b', 'c']);
  assert.equal(h.actor.getSnapshot().value, { recorder: 'idle', outbox: 'idle', summary: 'off' });
  h.actor.send({ type: 'notifier.notice', notice: notice('d') });
  await flush(10);
  assert.equal(h.delivered, ['a', 'b', 'c', 'd']);
});

test('Telegram down: nothing overtakes the oldest row; backoff doubles up to the cap; delivery resumes in order', async () => {
  const h = harness();
  h.state.down = true;
  for (const id of ['a', 'b']) h.actor.send({ type: 'notifier.notice', notice: notice(id) });
  await flush(20);
  assert.is((h.actor.getSnapshot().value as { outbox: string }).outbox, 'backoff');
  const waits: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = h.state.attempts;
    const due = h.clock.nextDue()!;
    waits.push(due - h.clock.now());
    h.clock.advanceTo(due);
    await flush(10);
    assert.is(h.state.attempts, before + 1);
  }
  assert.equal(waits, [1000, 2000, 4000, 8000, 8000]);
  h.actor.send({ type: 'notifier.notice', notice: notice('c') });
  await flush(10);
  assert.equal(h.delivered, [], 'a kick during backoff does not bypass it');
  h.state.down = false;
  h.clock.advance(8000);
  await flush(30);
  assert.equal(h.delivered, ['a', 'b', 'c']);
  assert.is(h.actor.getSnapshot().context.failures, 0);
});

test('a 429 retry-after longer than the backoff is honoured; on an accelerated clock wall delays scale up', async () => {
  const h = harness({ speed: 60 });
  h.state.down = true;
  h.state.retryAfterMs = 5000;
  h.actor.send({ type: 'notifier.notice', notice: notice('a') });
  await flush(10);
  assert.is(h.clock.nextDue()! - h.clock.now(), 5000 * 60);
  assert.equal([backoffMs(1, { initialMs: 100, maxMs: 1000 }), backoffMs(3, { initialMs: 100, maxMs: 1000 }), backoffMs(9, { initialMs: 100, maxMs: 1000 }), backoffMs(1, { initialMs: 100, maxMs: 1000 }, 3000)], [100, 400, 1000, 3000]);
});

test('recording fails while the DB is down and is retried; the notice is not dropped', async () => {
  const h = harness();
  h.state.dbDown = true;
  h.actor.send({ type: 'notifier.notice', notice: notice('a') });
  await flush(10);
  assert.is((h.actor.getSnapshot().value as { recorder: string }).recorder, 'waiting');
  assert.match(h.actor.getSnapshot().context.lastError!, 'recording failed');
  h.state.dbDown = false;
  h.clock.advance(1000);
  await flush(20);
  assert.equal(h.rows, ['a']);
  assert.equal(h.delivered, ['a']);
});

test('the daily summary fires at the configured UTC minute once a day, named by its due time; a failure retries within the hour', async () => {
  assert.is(nextDailyAt(T0, 20 * 60), Date.UTC(2026, 0, 1, 20, 0));
  assert.is(nextDailyAt(Date.UTC(2026, 0, 1, 20, 0), 20 * 60), Date.UTC(2026, 0, 2, 20, 0));
  const h = harness({ summaryMinuteUtc: 20 * 60 });
  h.clock.advanceTo(Date.UTC(2026, 0, 1, 19, 59));
  await flush();
  assert.equal(h.summaries, []);
  h.clock.advanceTo(Date.UTC(2026, 0, 1, 20, 0));
  await flush();
  assert.equal(h.summaries, [Date.UTC(2026, 0, 1, 20, 0)]);
  h.state.dbDown = true;
  h.clock.advanceTo(Date.UTC(2026, 0, 2, 20, 0));
  await flush();
  h.state.dbDown = false;
  h.clock.advance(60_000);
  await flush();
  assert.equal(h.summaries, [Date.UTC(2026, 0, 1, 20, 0), Date.UTC(2026, 0, 2, 20, 0)], 'the retry keeps the day it was due');
});

test.run();
