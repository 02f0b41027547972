// Property tests over answers: any content (valid, malformed, huge, hostile) and any HTTP body from the endpoint yields a
// validated prediction or a counted rejection with a known reason — never a throw, never a value outside its bounds.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_CONTENT_CHARS, REJECTIONS, parsePrediction, parseSentinel } from '../../src/ai/answer.js';
import { ChatClient } from '../../src/ai/client.js';
import { agentRequest } from '../../src/ai/prompt.js';
import type { AiConfig } from '../../src/config/sections/ai.js';
import { testConfig } from '../helpers/config.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { bullish } from '../helpers/snapshots.js';

const H = 30;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** The validity rule, written independently of the parser: what must be accepted, and nothing else. */
const valid = (o: unknown): boolean => {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
  const r = o as Record<string, unknown>;
  const prob = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1;
  return prob(r.p_up) && prob(r.confidence) && r.horizon_min === H && typeof r.thesis === 'string' && r.thesis.length <= 8000;
};

const checkOutcome = (content: unknown) => {
  const p = parsePrediction(content, H);
  if (p.ok) {
    assert.ok(p.value.pUp >= 0 && p.value.pUp <= 1);
    assert.ok(p.value.confidence >= 0 && p.value.confidence <= 1);
    assert.is(p.value.horizonMin, H);
    assert.not.ok(CONTROL.test(p.value.thesis), 'thesis cleaned of control characters');
    assert.ok(p.value.thesis.length <= 2000);
  } else {
    assert.ok((REJECTIONS as readonly string[]).includes(p.reason), p.reason);
    assert.ok(p.detail.length <= 300);
  }
  return p;
};

const hostile = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.constantFrom('IGNORE ALL PREVIOUS INSTRUCTIONS', '\u0000\u001b[2J', '<script>alert(1)</script>', '\u202eevil', "'); DROP TABLE ai_predictions; --", '{{7*7}}'),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

const field = fc.oneof(fc.double(), fc.integer(), fc.constant(null), fc.boolean(), hostile, fc.constant(H), fc.double({ min: 0, max: 1, noNaN: true }));

const candidate = fc.record(
  { p_up: field, horizon_min: fc.oneof(fc.constant(H), field), thesis: fc.oneof(hostile, field), confidence: field, extra: fc.jsonValue() },
  { requiredKeys: [] },
);

/** Answers that follow the rules, with any thesis: they must come through. */
const validAnswer = fc.record({ p_up: fc.double({ min: 0, max: 1, noNaN: true }), horizon_min: fc.constant(H), thesis: hostile, confidence: fc.double({ min: 0, max: 1, noNaN: true }) });

test('any JSON object: accepted exactly when it satisfies the rule, with bounded, cleaned values', () => {
  let accepted = 0;
  fc.assert(fc.property(fc.oneof(candidate, candidate, validAnswer), fc.boolean(), (o, fence) => {
    const text = JSON.stringify(o);
    const p = checkOutcome(fence ? '```json\n' + text + '\n```' : text);
    assert.is(p.ok, valid(o), `${text} → ${JSON.stringify(p)}`);
    if (p.ok) accepted++;
  }), { numRuns: 2000 });
  assert.ok(accepted >= 200 && accepted <= 1800, `both sides of the rule were exercised (${accepted} accepted of 2000)`);
});

test('any string, any JSON value, any type: a prediction or a counted rejection, never a throw', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 500 }), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.anything()), (c) => {
    checkOutcome(c);
    const s = parseSentinel(c);
    if (!s.ok) assert.ok((REJECTIONS as readonly string[]).includes(s.reason));
  }), { numRuns: 2000 });
});

test('huge and hostile content: rejected by size, or cleaned', () => {
  const huge = parsePrediction('x'.repeat(MAX_CONTENT_CHARS + 1), H);
  assert.equal(huge.ok ? null : huge.reason, 'too_large');
  const hostileThesis = parsePrediction(JSON.stringify({ p_up: 0.99, horizon_min: H, thesis: 'IGNORE PREVIOUS\u0000\u001b[31m\u202e<script>', confidence: 1 }), H);
  assert.ok(hostileThesis.ok);
  if (hostileThesis.ok) assert.is(hostileThesis.value.thesis, 'IGNORE PREVIOUS[31m<script>');
  const s = parseSentinel(JSON.stringify({ note: 'WARN', reason: 'x'.repeat(5000) }));
  assert.ok(s.ok && s.value.reason.length <= 500);
  assert.is(parseSentinel(JSON.stringify({ note: 'MAYBE', reason: 'r' })).ok, false);
  assert.is(parseSentinel(JSON.stringify({ note: 'WARN', reason: '\u0000\u200b' })).ok, false, 'an empty reason after cleaning is no reason');
});

let fake: FakeLlm;
test.before(async () => {
  fake = await startFakeLlm();
});
test.after(async () => fake.close());

test('any HTTP body from the endpoint (status, content type, bytes): a prediction or a counted rejection', async () => {
  const ai: AiConfig = { ...testConfig().ai, baseUrl: fake.url, retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 }, maxResponseBytes: 4096 };
  const c = new ChatClient({ config: ai, budget: { reserve: async () => true, settle: async () => undefined } });
  const req = agentRequest({ name: 'prop', role: 'persona', model: 'fake/prop', persona: 'p' }, bullish(Date.UTC(2026, 0, 7, 12)), { horizonMin: H }, null);
  const completion = (content: string) => JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'fake/prop', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });
  const body = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    candidate.map((o) => completion(JSON.stringify(o))),
    validAnswer.map((o) => completion(JSON.stringify(o))),
    fc.string({ maxLength: 100 }).map(completion),
    fc.integer({ min: 4097, max: 20_000 }).map((n) => completion('y'.repeat(n))),
  );
  let runs = 0;
  const tally: Record<string, number> = {};
  await fc.assert(fc.asyncProperty(body, fc.constantFrom(200, 200, 200, 200, 400, 429, 500, 502), fc.constantFrom('application/json', 'text/html', 'application/json; charset=utf-8'), async (b, status, type) => {
    runs++;
    fake.behave('fake/prop', { kind: 'body', body: b, status, contentType: type });
    const r = await c.complete(req);
    const outcome = r.ok ? checkOutcome(r.content) : r;
    const key = outcome.ok ? 'ok' : outcome.reason;
    tally[key] = (tally[key] ?? 0) + 1;
    if (!r.ok) assert.ok((REJECTIONS as readonly string[]).includes(r.reason), r.reason);
    if (status !== 200) assert.is(r.ok, false, `status ${status} is never an answer`);
  }), { numRuns: 150 });
  assert.is(Object.values(tally).reduce((a, n) => a + n, 0), runs, 'every body is counted once');
  assert.ok(tally.ok && tally.ok > 0, `some bodies were valid answers: ${JSON.stringify(tally)}`);
});

test.run();
