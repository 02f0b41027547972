// One client for any OpenAI-compatible chat-completions endpoint (OpenRouter, llama.cpp, Ollama, hosted APIs), on the
// `openai` library with a custom base URL. Guarantees: every attempt is reserved against the persisted budget first,
// at most `concurrency` requests are in flight, 429 honours Retry-After, 5xx / timeouts / refused connections back off
// exponentially, a body above `maxResponseBytes` is cut off, nothing runs past the deadline, and every failure comes back
// as a counted rejection (never a throw) whose text has the API key scrubbed out.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import pLimit, { type LimitFunction } from 'p-limit';
import type { AiConfig } from '../config/sections/ai.js';
import { scrub } from '../log/logger.js';
import type { Rejection } from './answer.js';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** A JSON schema for `response_format` (`ai.responseFormat: json_schema`). */
  schema: { name: string; strict: boolean; schema: Record<string, unknown> };
}

export type ChatResult =
  | { ok: true; content: unknown; tokensIn: number | null; tokensOut: number | null; attempts: number; latencyMs: number }
  | { ok: false; reason: Rejection; detail: string; attempts: number; latencyMs: number };

/** The per-day call and token budget (MariaDB in the daemon: `dbBudget`). */
export interface CallBudget {
  /** Reserves one call and `tokens`; false when either would exceed today's limit (nothing is reserved then). */
  reserve(tokens: number): Promise<boolean>;
  /** Replaces a reservation of `reserved` tokens with what the call really used. */
  settle(reserved: number, used: number): Promise<void>;
}

export type ClientConfig = Pick<AiConfig, 'baseUrl' | 'requestTimeoutMs' | 'deadlineMs' | 'retry' | 'concurrency' | 'maxResponseBytes' | 'maxTokens' | 'temperature' | 'responseFormat'>;

export interface ClientDeps {
  config: ClientConfig;
  /** From BOSUN_AI_API_KEY; a local server may need none (then no Authorization header is sent). */
  apiKey?: string | undefined;
  budget: CallBudget;
  /** Waits between attempts (tests observe the delays). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Stops waiting and in-flight requests (shutdown). */
  signal?: AbortSignal;
}

export class BodyTooLargeError extends Error {
  constructor(readonly bytes: number, readonly max: number) {
    super(`response body over ${max} bytes (${bytes} read)`);
  }
}

/** fetch with a cap on the response body: a Content-Length above it, or a stream that grows past it, fails the read. */
export function limitedFetch(max: number, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const res = await base(input, init);
    const len = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(len) && len > max) {
      await res.body?.cancel().catch(() => undefined);
      throw new BodyTooLargeError(len, max);
    }
    if (!res.body) return res;
    const reader = res.body.getReader();
    let seen = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        const { done, value } = await reader.read();
        if (done) return ctrl.close();
        seen += value.byteLength;
        if (seen > max) {
          await reader.cancel().catch(() => undefined);
          ctrl.error(new BodyTooLargeError(seen, max));
          return;
        }
        ctrl.enqueue(value);
      },
      cancel: (why) => reader.cancel(why),
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** Milliseconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | null {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const ra = headers?.get('retry-after');
  if (!ra) return null;
  const s = Number(ra);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(ra);
  return Number.isFinite(t) ? Math.max(0, t - now) : null;
}

/** Tokens a request may cost, reserved before it is sent: generous for the prompt (2 characters a token) plus the completion cap. */
export const estimateTokens = (messages: ChatMessage[], maxTokens: number): number =>
  Math.ceil(messages.reduce((a, m) => a + m.content.length, 0) / 2) + maxTokens;

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

const causes = (err: unknown): unknown[] => {
  const out: unknown[] = [];
  for (let e = err, i = 0; e && i < 6; e = (e as { cause?: unknown }).cause, i++) out.push(e);
  return out;
};

interface Failure {
  reason: Rejection;
  detail: string;
  retryable: boolean;
  /** Server-stated wait (429). */
  waitMs: number | null;
  /** The request may have been processed and billed. */
  billed: boolean;
}

export class ChatClient {
  private readonly openai: OpenAI;
  private readonly limit: LimitFunction;
  private readonly sleep: NonNullable<ClientDeps['sleep']>;
  private readonly secrets: string[];
  /** Attempts by outcome since start (status details). */
  readonly counts: Record<string, number> = {};

  constructor(private readonly d: ClientDeps) {
    const c = d.config;
    if (c.baseUrl === null) throw new Error('ai.baseUrl is not set: the swarm is off');
    this.secrets = d.apiKey ? [d.apiKey] : [];
    this.openai = new OpenAI({
      baseURL: c.baseUrl,
      apiKey: d.apiKey ?? 'none',
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: 0,
      timeout: c.requestTimeoutMs,
      logLevel: 'off',
      fetch: limitedFetch(c.maxResponseBytes),
      // OpenRouter shows the app name; without a key no Authorization header is sent at all.
      defaultHeaders: { 'X-Title': 'bosun', ...(d.apiKey ? {} : { Authorization: null }) },
    });
    this.limit = pLimit(c.concurrency);
    this.sleep = d.sleep ?? defaultSleep;
  }

  get inFlight(): number {
    return this.limit.activeCount;
  }

  private clean(s: string): string {
    return scrub(s, this.secrets).replace(/\s+/g, ' ').slice(0, 300);
  }

  private classify(err: unknown, deadlineHit: boolean): Failure {
    const chain = causes(err);
    if (chain.some((e) => e instanceof BodyTooLargeError)) {
      return { reason: 'body_too_large', detail: (chain.find((e) => e instanceof BodyTooLargeError) as Error).message, retryable: false, waitMs: null, billed: true };
    }
    if (err instanceof APIUserAbortError || chain.some((e) => (e as Error)?.name === 'AbortError')) {
      return deadlineHit
        ? { reason: 'late', detail: `no answer within ${this.d.config.deadlineMs} ms`, retryable: false, waitMs: null, billed: true }
        : { reason: 'aborted', detail: 'stopped', retryable: false, waitMs: null, billed: true };
    }
    if (err instanceof APIConnectionTimeoutError) {
      return { reason: 'timeout', detail: `no answer within ${this.d.config.requestTimeoutMs} ms`, retryable: true, waitMs: null, billed: true };
    }
    if (err instanceof APIConnectionError) {
      const cause = chain.slice(1).map((e) => (e as Error)?.message).filter(Boolean).join(': ');
      return { reason: 'network', detail: this.clean(`${err.message}${cause ? `: ${cause}` : ''}`), retryable: true, waitMs: null, billed: false };
    }
    if (err instanceof APIError && typeof err.status === 'number') {
      const st = err.status;
      const detail = this.clean(`HTTP ${st}: ${err.message}`);
      if (st === 429) return { reason: 'rate_limited', detail, retryable: true, waitMs: retryAfterMs(err.headers), billed: false };
      const retryable = st === 408 || st === 409 || st >= 500;
      return { reason: 'http_error', detail, retryable, waitMs: retryable ? retryAfterMs(err.headers) : null, billed: false };
    }
    // A 200 whose body is not a completion (broken JSON, an HTML error page, a cut connection while reading).
    return { reason: 'malformed_body', detail: this.clean((err as Error)?.message ?? String(err)), retryable: false, waitMs: null, billed: true };
  }

  /** One answer: the assistant message content (validated by the caller), or why there is none. Never throws. */
  async complete(req: ChatRequest): Promise<ChatResult> {
    const c = this.d.config;
    const t0 = Date.now();
    const deadline = t0 + c.deadlineMs;
    const est = estimateTokens(req.messages, c.maxTokens);
    const done = (r: Omit<Extract<ChatResult, { ok: false }>, 'latencyMs'>): ChatResult => {
      this.counts[r.reason] = (this.counts[r.reason] ?? 0) + 1;
      return { ...r, latencyMs: Date.now() - t0 };
    };
    const body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = {
      model: req.model,
      messages: req.messages,
      max_tokens: c.maxTokens,
      temperature: c.temperature,
      ...(c.responseFormat === 'json_schema'
        ? { response_format: { type: 'json_schema', json_schema: req.schema } }
        : c.responseFormat === 'json_object' ? { response_format: { type: 'json_object' } } : {}),
    };
    let last: Failure | null = null;
    for (let attempt = 1; attempt <= c.retry.maxAttempts; attempt++) {
      if (this.d.signal?.aborted) return done({ ok: false, reason: 'aborted', detail: 'stopped', attempts: attempt - 1 });
      if (Date.now() >= deadline) return done({ ok: false, reason: last?.reason ?? 'late', detail: last ? `${last.detail}; deadline reached` : 'deadline reached', attempts: attempt - 1 });
      let reserved: boolean;
      try {
        reserved = await this.d.budget.reserve(est);
      } catch (err) {
        return done({ ok: false, reason: 'budget', detail: this.clean(`budget unavailable: ${(err as Error).message}`), attempts: attempt - 1 });
      }
      if (!reserved) return done({ ok: false, reason: 'budget', detail: 'daily call or token budget spent', attempts: attempt - 1 });
      const ac = new AbortController();
      let deadlineHit = false;
      const timer = setTimeout(() => {
        deadlineHit = true;
        ac.abort();
      }, Math.max(0, deadline - Date.now()));
      const stop = () => ac.abort();
      this.d.signal?.addEventListener('abort', stop, { once: true });
      try {
        const { data } = await this.limit(() => this.openai.chat.completions.create(body, { signal: ac.signal, timeout: Math.min(c.requestTimeoutMs, Math.max(1, deadline - Date.now())) }).withResponse());
        const usage = (data as { usage?: { prompt_tokens?: number; completion_tokens?: number } } | undefined)?.usage;
        const tin = typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : null;
        const tout = typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : null;
        await this.d.budget.settle(est, tin !== null && tout !== null ? tin + tout : est).catch(() => undefined);
        const choices = (data as { choices?: Array<{ message?: { content?: unknown } }> } | undefined)?.choices;
        if (!Array.isArray(choices) || !choices.length || typeof choices[0] !== 'object' || choices[0] === null) {
          return done({ ok: false, reason: 'malformed_body', detail: 'no choices in the response', attempts: attempt });
        }
        this.counts.ok = (this.counts.ok ?? 0) + 1;
        return { ok: true, content: choices[0].message?.content ?? null, tokensIn: tin, tokensOut: tout, attempts: attempt, latencyMs: Date.now() - t0 };
      } catch (err) {
        last = this.classify(err, deadlineHit);
        if (!last.billed) await this.d.budget.settle(est, 0).catch(() => undefined);
        if (!last.retryable || attempt === c.retry.maxAttempts) return done({ ok: false, reason: last.reason, detail: last.detail, attempts: attempt });
        const backoff = Math.min(c.retry.maxMs, c.retry.baseMs * 2 ** (attempt - 1));
        const wait = last.waitMs !== null ? Math.min(c.retry.maxMs, last.waitMs) : backoff * (0.5 + Math.random() / 2);
        if (last.waitMs !== null && last.waitMs > c.retry.maxMs) {
          return done({ ok: false, reason: last.reason, detail: `${last.detail}; Retry-After ${Math.round(last.waitMs / 1000)} s is beyond retry.maxMs`, attempts: attempt });
        }
        if (Date.now() + wait >= deadline) return done({ ok: false, reason: last.reason, detail: `${last.detail}; no time left to retry`, attempts: attempt });
        this.counts[`retry_${last.reason}`] = (this.counts[`retry_${last.reason}`] ?? 0) + 1;
        await this.sleep(wait, this.d.signal);
      } finally {
        clearTimeout(timer);
        this.d.signal?.removeEventListener('abort', stop);
      }
    }
    return done({ ok: false, reason: last?.reason ?? 'late', detail: last?.detail ?? 'no attempt left', attempts: c.retry.maxAttempts });
  }
}
