// The chat-completions client against the loopback fake endpoint (test/helpers/fake-llm.ts) and the real MariaDB budget:
// valid answers, malformed bodies, 429 with Retry-After, 5xx backoff, hanging requests, huge bodies, the per-day budget
// across a restart, the concurrency limit, and the key kept out of every error text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePrediction } from '../../src/ai/answer.js';
import { ChatClient, retryAfterMs, type CallBudget } from '../../src/ai/client.js';
import { agentRequest } from '../../src/ai/prompt.js';
import type { AiConfig } from '../../src/config/sections/ai.js';
import { budgetToday, dbBudget } from '../../src/store/repos/ai.js';
import { deepMerge, testConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { bullish } from '../helpers/snapshots.js';

let fake: FakeLlm;
let db: TestDb;
const KEY = 'sk-test-0123456789abcdef';

test.before(async () => {
  fake = await startFakeLlm();
  db = await createTestDb('aiclient');
});
test.after(async () => {
  await fake.close();
  await db.drop();
});

const baseAi = (): AiConfig => testConfig().ai;
const aiWith = (over: Record<string, unknown> = {}): AiConfig => deepMerge({ ...baseAi(), baseUrl: fake.url } as never, over as never) as unknown as AiConfig;
const unlimited: CallBudget = { reserve: async () => true, settle: async () => undefined };

function client(over: Record<string, unknown> = {}, o: { budget?: CallBudget; key?: string; sleeps?: number[] } = {}) {
  const cfg = aiWith(over);
  return new ChatClient({
    config: cfg, apiKey: o.key, budget: o.budget ?? unlimited,
    sleep: async (ms) => {
      o.sleeps?.push(ms);
      await new Promise((r) => setTimeout(r, Math.min(ms, 50)));
    },
  });
}

const agent = (model: string) => ({ name: 'tester', role: 'persona' as const, model, persona: 'You test.' });
const req = (model: string) => agentRequest(agent(model), bullish(Date.UTC(2026, 0, 7, 12)), { horizonMin: 30 }, null);
const sent = (model: string) => fake.requests.filter((r) => r.model === model);

test('a valid answer: the schema is asked for, the key is sent as a bearer token, the content parses into a prediction', async () => {
  const r = await client({}, { key: KEY }).complete(req('fake/p=0.9'));
  assert.ok(r.ok, JSON.stringify(r));
  if (!r.ok) return;
  const p = parsePrediction(r.content, 30);
  assert.ok(p.ok);
  if (p.ok) assert.is(p.value.pUp, 0.9);
  assert.ok(r.tokensIn! > 0 && r.tokensOut! > 0);
  const rec = sent('fake/p=0.9')[0]!;
  assert.is(rec.authorization, `Bearer ${KEY}`);
  assert.is(rec.path, '/v1/chat/completions');
  assert.equal((rec.body.response_format as { type: string }).type, 'json_schema');
  assert.is(rec.body.max_tokens, baseAi().maxTokens);
  assert.match(JSON.stringify(rec.body.messages), 'horizon_min must be 30');
});

test('without BOSUN_AI_API_KEY no Authorization header is sent (a local llama.cpp server)', async () => {
  const r = await client().complete(req('fake/p=0.61'));
  assert.ok(r.ok);
  assert.is(sent('fake/p=0.61')[0]!.authorization, null);
});

test('malformed content passes the transport and is rejected by the parser; a broken HTTP body is malformed_body, not retried', async () => {
  const r = await client().complete(req('fake/malformed'));
  assert.ok(r.ok);
  if (r.ok) assert.equal((parsePrediction(r.content, 30) as { reason: string }).reason, 'malformed_json');
  const b = await client().complete(req('fake/bad-body'));
  assert.is(b.ok, false);
  if (!b.ok) {
    assert.is(b.reason, 'malformed_body');
    assert.is(b.attempts, 1);
  }
  assert.is(sent('fake/bad-body').length, 1);
});

test('429 with Retry-After: the client waits what the server says, then gets the answer', async () => {
  const sleeps: number[] = [];
  const r = await client({}, { sleeps }).complete(req('fake/429'));
  assert.ok(r.ok, JSON.stringify(r));
  if (r.ok) assert.is(r.attempts, 2);
  assert.equal(sleeps, [1000]);
  assert.is(sent('fake/429').length, 2);
  assert.is(retryAfterMs(new Headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }), Date.parse('Wed, 21 Oct 2015 07:27:58 GMT')), 2000);
  assert.is(retryAfterMs(new Headers({ 'retry-after-ms': '250' })), 250);
  assert.is(retryAfterMs(new Headers({})), null);
});

test('a Retry-After beyond retry.maxMs gives up at once (rate_limited), and a 5xx backs off exponentially with jitter', async () => {
  fake.behave('fake/429-long', { kind: 'status', status: 429, retryAfter: '3600' });
  const sleeps: number[] = [];
  const r = await client({}, { sleeps }).complete(req('fake/429-long'));
  assert.is(r.ok, false);
  if (!r.ok) assert.is(r.reason, 'rate_limited');
  assert.equal(sleeps, []);
  fake.behave('fake/500x2', { kind: 'status', status: 503, times: 2, then: { kind: 'answer', pUp: 0.3 } });
  const s2: number[] = [];
  const ok = await client({ retry: { maxAttempts: 3, baseMs: 100, maxMs: 1000 } }, { sleeps: s2 }).complete(req('fake/500x2'));
  assert.ok(ok.ok);
  assert.is(s2.length, 2);
  assert.ok(s2[0]! >= 50 && s2[0]! <= 100, `first wait ${s2[0]}`);
  assert.ok(s2[1]! >= 100 && s2[1]! <= 200, `second wait ${s2[1]}`);
  fake.behave('fake/400', { kind: 'status', status: 400, message: 'response_format is not supported' });
  const bad = await client().complete(req('fake/400'));
  assert.is(bad.ok, false);
  if (!bad.ok) {
    assert.is(bad.reason, 'http_error');
    assert.is(bad.attempts, 1, 'a 4xx other than 429 is not retried');
    assert.match(bad.detail, 'response_format is not supported');
  }
});

test('a request that never answers ends at the deadline, counted; the connection is closed', async () => {
  const c = client({ requestTimeoutMs: 300, deadlineMs: 300, retry: { maxAttempts: 1, baseMs: 10, maxMs: 100 } });
  const r = await c.complete(req('fake/hang'));
  assert.is(r.ok, false);
  if (!r.ok) assert.ok(['late', 'timeout'].includes(r.reason), r.reason);
  const c2 = client({ requestTimeoutMs: 150, deadlineMs: 2000, retry: { maxAttempts: 2, baseMs: 10, maxMs: 100 } });
  const r2 = await c2.complete(req('fake/hang'));
  assert.is(r2.ok, false);
  if (!r2.ok) {
    assert.is(r2.reason, 'timeout');
    assert.is(r2.attempts, 2, 'a timeout is retried');
  }
});

test('a body above maxResponseBytes is cut off and rejected (body_too_large)', async () => {
  const r = await client({ maxResponseBytes: 64 * 1024 }).complete(req('fake/huge'));
  assert.is(r.ok, false);
  if (!r.ok) assert.is(r.reason, 'body_too_large');
});

test('refused connections are retried, then reported as network', async () => {
  const c = new ChatClient({ config: { ...aiWith({ retry: { maxAttempts: 2, baseMs: 10, maxMs: 20 } }), baseUrl: 'http://127.0.0.1:1/v1' }, budget: unlimited, sleep: async () => undefined });
  const r = await c.complete(req('fake/p=0.5'));
  assert.is(r.ok, false);
  if (!r.ok) {
    assert.is(r.reason, 'network');
    assert.is(r.attempts, 2);
  }
});

test('the key never appears in an error: an API that echoes it gets [REDACTED]', async () => {
  const r = await client({}, { key: KEY }).complete(req('fake/echo-auth'));
  assert.is(r.ok, false);
  if (!r.ok) {
    assert.is(r.reason, 'http_error');
    assert.not.match(r.detail, KEY);
    assert.match(r.detail, '[REDACTED]');
  }
});

test('the daily call budget holds across a restart (MariaDB), and nothing is sent once it is spent', async () => {
  const limits = { callsPerDay: 3, tokensPerDay: 10_000_000 };
  const c1 = client({}, { budget: dbBudget(db.pool, limits) });
  for (let i = 0; i < 3; i++) assert.ok((await c1.complete(req('fake/p=0.7'))).ok);
  const refused = await c1.complete(req('fake/p=0.7'));
  assert.is(refused.ok, false);
  if (!refused.ok) {
    assert.is(refused.reason, 'budget');
    assert.is(refused.attempts, 0);
  }
  // A new client (a restarted worker) on the same database: still spent.
  const c2 = client({}, { budget: dbBudget(db.pool, limits) });
  const again = await c2.complete(req('fake/p=0.7'));
  assert.is(again.ok, false);
  assert.is(sent('fake/p=0.7').length, 3, 'no request beyond the budget reached the endpoint');
  const b = await budgetToday(db.pool);
  assert.is(b.calls, 3);
  // Tokens: the reservations were replaced by what the endpoint reported.
  const used = fake.requests.length; // (other tests' requests are not on this budget)
  assert.ok(used > 0);
  assert.ok(b.tokens > 0 && b.tokens < 3 * (baseAi().maxTokens + 5000));
});

test('the token budget refuses a call whose reservation would exceed it; a retried attempt is a call too', async () => {
  await db.pool.query('DELETE FROM ai_budget');
  const tight = dbBudget(db.pool, { callsPerDay: 100, tokensPerDay: 100 });
  const r = await client({}, { budget: tight }).complete(req('fake/p=0.71'));
  assert.is(r.ok, false);
  if (!r.ok) assert.is(r.reason, 'budget');
  assert.is(sent('fake/p=0.71').length, 0);
  await db.pool.query('DELETE FROM ai_budget');
  fake.behave('fake/503-then', { kind: 'status', status: 503, times: 1, then: { kind: 'answer', pUp: 0.52 } });
  const ok = await client({ retry: { maxAttempts: 2, baseMs: 10, maxMs: 20 } }, { budget: dbBudget(db.pool, { callsPerDay: 100, tokensPerDay: 10_000_000 }) }).complete(req('fake/503-then'));
  assert.ok(ok.ok);
  assert.is((await budgetToday(db.pool)).calls, 2);
});

test('at most `concurrency` requests are in flight', async () => {
  const f2 = await startFakeLlm();
  try {
    f2.behave('fake/slow', { kind: 'delay', ms: 150, then: { kind: 'answer', pUp: 0.55 } });
    const c = new ChatClient({ config: { ...aiWith({ concurrency: 2 }), baseUrl: f2.url }, budget: unlimited });
    const rs = await Promise.all(Array.from({ length: 6 }, () => c.complete(req('fake/slow'))));
    assert.ok(rs.every((r) => r.ok));
    assert.is(f2.requests.length, 6);
    assert.is(f2.maxInFlight, 2);
  } finally {
    await f2.close();
  }
});

test.run();
