// What an agent may answer: the prediction and Sentinel schemas (zod), and the parser from raw content to a result.
// Guarantees any content yields either a validated value or a rejection with a stable reason: never a throw, never a guess.
import { z } from 'zod';

/** Content longer than this is rejected before parsing. */
export const MAX_CONTENT_CHARS = 64 * 1024;
const MAX_TEXT = 2000;

export interface Prediction {
  pUp: number;
  horizonMin: number;
  thesis: string;
  confidence: number;
}

export type SentinelNote = 'CONFIRM' | 'CAUTION' | 'WARN';

export interface SentinelAnswer {
  note: SentinelNote;
  reason: string;
}

/** Why an answer was left out; stable codes, counted per agent. */
export const REJECTIONS = [
  // the content
  'empty', 'too_large', 'malformed_json', 'invalid_schema', 'horizon_mismatch',
  // the exchange with the endpoint
  'timeout', 'late', 'rate_limited', 'http_error', 'network', 'malformed_body', 'body_too_large', 'budget', 'aborted',
] as const;
export type Rejection = (typeof REJECTIONS)[number];

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: Rejection; detail: string };

const reject = <T>(reason: Rejection, detail: string): Parsed<T> => ({ ok: false, reason, detail: detail.slice(0, 300) });

/** Control characters, bidi overrides and zero-width characters out (newlines and tabs stay); trimmed and bounded. */
export function cleanText(s: string, max = MAX_TEXT): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

const prob = z.number().min(0).max(1);

const predictionSchema = z.object({
  p_up: prob,
  horizon_min: z.number().int().positive(),
  thesis: z.string().max(MAX_TEXT * 4),
  confidence: prob,
});

const sentinelSchema = z.object({
  note: z.enum(['CONFIRM', 'CAUTION', 'WARN']),
  reason: z.string().min(1).max(MAX_TEXT * 4),
});

/** The JSON text of the content: the content itself, or the inside of one ``` / ```json fence around it. */
function jsonText(content: string): string {
  const t = content.trim();
  const fence = /^```(?:json|JSON)?\s*\n?([\s\S]*?)\n?```$/.exec(t);
  return fence ? fence[1]!.trim() : t;
}

function parseJson(content: unknown): Parsed<unknown> {
  if (typeof content !== 'string' || !content.trim()) return reject('empty', typeof content === 'string' ? 'empty content' : `content is ${content === null ? 'null' : typeof content}`);
  if (content.length > MAX_CONTENT_CHARS) return reject('too_large', `${content.length} characters (max ${MAX_CONTENT_CHARS})`);
  try {
    return { ok: true, value: JSON.parse(jsonText(content)) as unknown };
  } catch (err) {
    return reject('malformed_json', (err as Error).message);
  }
}

const issues = (e: z.ZodError) => e.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/** An agent's answer: `{ p_up, horizon_min, thesis, confidence }` for exactly the horizon it was asked about. */
export function parsePrediction(content: unknown, horizonMin: number): Parsed<Prediction> {
  const j = parseJson(content);
  if (!j.ok) return j;
  const r = predictionSchema.safeParse(j.value);
  if (!r.success) return reject('invalid_schema', issues(r.error));
  if (r.data.horizon_min !== horizonMin) return reject('horizon_mismatch', `horizon_min ${r.data.horizon_min}, asked ${horizonMin}`);
  return { ok: true, value: { pUp: r.data.p_up, horizonMin: r.data.horizon_min, thesis: cleanText(r.data.thesis), confidence: r.data.confidence } };
}

/** The Sentinel's answer: `{ note: CONFIRM | CAUTION | WARN, reason }`. */
export function parseSentinel(content: unknown): Parsed<SentinelAnswer> {
  const j = parseJson(content);
  if (!j.ok) return j;
  const r = sentinelSchema.safeParse(j.value);
  if (!r.success) return reject('invalid_schema', issues(r.error));
  const reason = cleanText(r.data.reason, 500);
  if (!reason) return reject('invalid_schema', 'reason: empty after cleaning');
  return { ok: true, value: { note: r.data.note, reason } };
}

/** `response_format` bodies: the JSON schemas the endpoint may enforce (validated again here whatever it does). */
export const predictionJsonSchema = (horizonMin: number) => ({
  name: 'prediction',
  strict: true,
  schema: {
    type: 'object',
    properties: {
      p_up: { type: 'number', description: 'probability 0..1 that the close is higher after the horizon' },
      horizon_min: { type: 'integer', enum: [horizonMin] },
      thesis: { type: 'string', description: 'one or two sentences' },
      confidence: { type: 'number', description: '0..1' },
    },
    required: ['p_up', 'horizon_min', 'thesis', 'confidence'],
    additionalProperties: false,
  },
});

export const sentinelJsonSchema = () => ({
  name: 'sentinel_review',
  strict: true,
  schema: {
    type: 'object',
    properties: { note: { type: 'string', enum: ['CONFIRM', 'CAUTION', 'WARN'] }, reason: { type: 'string' } },
    required: ['note', 'reason'],
    additionalProperties: false,
  },
});
