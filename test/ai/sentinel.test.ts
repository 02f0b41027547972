// The Sentinel on the real decision machine and MariaDB effects, against the loopback fake endpoint: advisory notes land
// on the decision row and go out as notifications; only non-vetoed STRONG verdicts are reviewed; under the
// `warn_vetoes` gate a WARN vetoes the held decision, while a failed or missing review lets it through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatClient } from '../../src/ai/client.js';
import { Sentinel } from '../../src/ai/sentinel.js';
import { SimClock } from '../../src/clock/clock.js';
import type { AiConfig } from '../../src/config/sections/ai.js';
import type { SentinelReview } from '../../src/protocol/index.js';
import { decisionRow } from '../../src/store/repos/decisions.js';
import { testConfig } from '../helpers/config.js';
import { harnessOn } from '../helpers/decision-harness.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { BTC, bearish, bullish } from '../helpers/snapshots.js';
import { waitFor } from '../helpers/wait.js';

let fake: FakeLlm;
let db: TestDb;
let harness: ReturnType<typeof harnessOn>;
test.before(async () => {
  fake = await startFakeLlm();
  db = await createTestDb('aisentinel');
  harness = harnessOn(db);
});
test.after(async () => {
  await harness.closeAll();
  await fake.close();
  await db.drop();
});

const WEEK = 7 * 86_400_000;
const T0 = Date.UTC(2026, 0, 7, 12, 0, 0);
const MIN = 60_000;
const voting13 = { decision: { strategy: 'voting13', cooldownSec: 0 } };

function sentinelWith(model: string, over: Partial<AiConfig> = {}) {
  const ai: AiConfig = { ...testConfig().ai, baseUrl: fake.url, sentinel: { ...testConfig().ai.sentinel, model }, ...over };
  const clock = new SimClock(T0);
  return new Sentinel({ pool: db.pool, ai, clock, client: new ChatClient({ config: ai, budget: { reserve: async () => true, settle: async () => undefined } }) });
}

const noteOf = async (id: string) => (await decisionRow(db.pool, id))?.sentinelNote ?? null;

test('advisory: the STRONG_BUY goes out at once; the Sentinel reviews it against the decisions before it; the note lands on its row and is notified', async () => {
  const t = T0;
  const h = harness(t, voting13, undefined, { input: { sentinel: 'advisory' }, sentinel: sentinelWith('fake/sentinel=CAUTION') });
  const first = h.snap(bearish(t - 15 * MIN));
  assert.is(first.verdict, 'STRONG_SELL');
  const d = h.snap(bullish(t));
  assert.is(d.verdict, 'STRONG_BUY');
  assert.ok(d.intent, 'advisory: nothing waits for the review');
  const note = await waitFor('the note on the decision row', async () => (await h.flush(), await noteOf(d.decisionId)), 10_000, 50);
  assert.is(note, 'CAUTION');
  const row = (await decisionRow(db.pool, d.decisionId))!;
  assert.match(row.sentinel!.reason, 'mixed');
  assert.is(row.sentinel!.model, 'fake/sentinel=CAUTION');
  const alert = await waitFor('the notification', () => h.alerts.find((a) => a.code === 'ai.sentinel' && a.text.startsWith('STRONG_BUY')), 5000, 20);
  assert.is(alert.severity, 'warning');
  assert.match(alert.text, `STRONG_BUY ${BTC}`);
  assert.match(alert.text, 'Sentinel CAUTION');
  const user = fake.requests.filter((r) => r.model === 'fake/sentinel=CAUTION').map((r) => (r.body.messages as Array<{ content: string }>)[1]!.content)
    .find((c) => c.includes(new Date(t).toISOString()))!;
  assert.match(user, '"verdict":"STRONG_BUY"');
  assert.match(user, 'The 1 decisions before it', 'the earlier decision is in the review');
  assert.match(user, '"verdict":"STRONG_SELL"');
});

test('only a non-vetoed STRONG verdict is reviewed', async () => {
  const t = T0 + WEEK;
  const asked = () => fake.requests.filter((r) => r.model === 'fake/sentinel=CONFIRM').length;
  const h = harness(t, voting13, undefined, { input: { sentinel: 'advisory' }, sentinel: sentinelWith('fake/sentinel=CONFIRM') });
  h.position(BTC, 'long');
  const vetoed = h.snap(bullish(t));
  assert.is(vetoed.verdict, 'STRONG_BUY');
  assert.ok(vetoed.vetoes.some((v) => v.code === 'position_open'));
  const weak = h.snap(bullish(t + MIN, { micro: null, flow: null, ai: null }));
  assert.not.equal(weak.verdict, 'STRONG_BUY');
  await h.flush();
  await new Promise((r) => setTimeout(r, 200));
  assert.is(asked(), 0, 'no review asked');
  assert.is(await noteOf(vetoed.decisionId), null);
});

test('gate warn_vetoes: a WARN vetoes the held decision (sentinel_warn), persisted with its note, notified as vetoed', async () => {
  const t = T0 + 2 * WEEK;
  const h = harness(t, voting13, undefined, { input: { sentinel: 'warn_vetoes' }, sentinel: sentinelWith('fake/sentinel=WARN') });
  const n = h.made.length;
  h.snap(bullish(t));
  assert.is(h.made.length, n, 'held');
  const d = await waitFor('the reviewed decision', () => (h.made.length > n ? h.made[h.made.length - 1] : null), 10_000, 20);
  assert.is(d.verdict, 'STRONG_BUY');
  assert.is(d.intent, null);
  assert.ok(d.vetoes.some((v) => v.code === 'sentinel_warn'));
  assert.is(d.sentinel?.note, 'WARN');
  await h.flush();
  const row = (await decisionRow(db.pool, d.decisionId))!;
  assert.is(row.sentinelNote, 'WARN');
  assert.ok(row.vetoes.some((v) => v.code === 'sentinel_warn'));
  assert.match(h.alerts.find((a) => a.code === 'ai.sentinel')!.text, 'vetoed');
  // The next STRONG_BUY is not blocked by a pending intent: the vetoed one never counted.
  assert.is(h.context().risk.pending[BTC], undefined);
});

test('gate warn_vetoes: a review that fails, or does not come before the next snapshot, lets the decision through', async () => {
  const t = T0 + 3 * WEEK;
  const h = harness(t, voting13, undefined, { input: { sentinel: 'warn_vetoes' }, sentinel: sentinelWith('fake/hang', { requestTimeoutMs: 200, deadlineMs: 300, retry: { maxAttempts: 1, baseMs: 10, maxMs: 10 } }) });
  const n = h.made.length;
  h.snap(bullish(t));
  const d = await waitFor('the decision released after the failed review', () => (h.made.length > n ? h.made[h.made.length - 1] : null), 10_000, 20);
  assert.ok(d.intent, 'no WARN: it trades');
  assert.equal(d.vetoes, []);
  assert.is(d.sentinel?.note, null);
  assert.ok(['late', 'timeout'].some((k) => d.sentinel!.error!.startsWith(k)), d.sentinel!.error);
  assert.is(h.alerts.filter((a) => a.code === 'ai.sentinel').length, 0, 'no note, no notification');

  const u = T0 + 4 * WEEK;
  const pending: Array<(r: SentinelReview) => void> = [];
  const slow = { review: () => new Promise<SentinelReview>((r) => pending.push(r)) };
  const h2 = harness(u, voting13, undefined, { input: { sentinel: 'warn_vetoes' }, sentinel: slow });
  h2.snap(bullish(u));
  assert.is(h2.made.length, 0);
  const next = h2.snap(bullish(u + MIN));
  assert.is(h2.made.length, 2, 'the held one went out first, then the new one');
  const released = h2.made[0]!;
  assert.ok(released.intent);
  assert.is(released.sentinel?.error, 'no review before the next snapshot');
  assert.ok(next.vetoes.some((v) => v.code === 'intent_pending'), 'the released intent counts against the next decision');
  // Its WARN arrives afterwards: recorded on the row and notified, but it gates nothing any more.
  await waitFor('the review was asked', () => pending.length > 0, 5000, 10);
  pending[0]!({ note: 'WARN', reason: 'too late to matter', model: 'm', at: u + 2 * MIN, latencyMs: 1 });
  const note = await waitFor('the late note on the row', async () => (await h2.flush(), await noteOf(released.decisionId)), 5000, 20);
  assert.is(note, 'WARN');
  assert.equal((await decisionRow(db.pool, released.decisionId))!.vetoes, [], 'not vetoed after the fact');
  assert.match(h2.alerts.find((a) => a.code === 'ai.sentinel')!.text, 'not gated');
});

test.run();
