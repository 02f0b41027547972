// Telegram over node-telegram-bot-api 2.x: sending with Telegram's rate limits, and long-polling for commands.
// Guarantees: at most globalPerSec messages/s overall, perChatPerSec per private chat and perGroupPerMin per group;
// every failure is classified (retry later vs. give up on this chat) and its text never carries the token.
import { Api, longPoll, NetworkError, ParseError, TelegramApiError, TimeoutError, TokenBucket, type Update } from 'node-telegram-bot-api';

export interface TelegramOptions {
  apiRoot: string;
  requestTimeoutMs: number;
  rateLimit: { globalPerSec: number; perChatPerSec: number; perGroupPerMin: number };
}

export type SendResult =
  | { ok: true }
  /**
   * `retry`: Telegram or the network failed; the same message must be sent again later. `drop`: this chat cannot take it.
   * `maybeSent`: the request left and its answer was lost (a timeout, a reset connection): Telegram may have accepted it.
   * The Bot API has no idempotency key, so a retry can deliver it twice (see README, Telegram).
   */
  | { ok: false; kind: 'retry' | 'drop'; error: string; retryAfterMs?: number; maybeSent?: boolean };

/** The codes along an error's cause chain (fetch wraps the socket's error: `fetch failed` ← ECONNREFUSED). */
function causeCodes(err: unknown): string[] {
  const out: string[] = [];
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let i = 0; e && i < 6; i++) {
    if (typeof e.code === 'string') out.push(e.code);
    for (const sub of (e as { errors?: unknown[] }).errors ?? []) if (typeof (sub as { code?: unknown })?.code === 'string') out.push((sub as { code: string }).code);
    e = e.cause as typeof e;
  }
  return out;
}

/** Connection failures where no request reached Telegram. */
const NOT_SENT = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/;

export class TelegramClient {
  /** Sends: no retries inside the library (the outbox retries with its own persisted backoff). */
  private readonly api: Api;
  /** Long polling: its own client, so a 25 s poll never holds a sending slot. */
  readonly pollApi: Api;
  private readonly global: TokenBucket;
  private readonly chats = new Map<string, TokenBucket>();

  constructor(private readonly token: string, private readonly o: TelegramOptions) {
    this.api = new Api(token, { apiRoot: o.apiRoot, timeoutMs: o.requestTimeoutMs, maxRetries: 0 });
    this.pollApi = new Api(token, { apiRoot: o.apiRoot, timeoutMs: o.requestTimeoutMs, maxRetries: 0 });
    this.global = new TokenBucket(o.rateLimit.globalPerSec);
  }

  /** Messages per second allowed to one chat. Negative ids are groups and channels (about 20 a minute there). */
  rateFor(chatId: string): number {
    return chatId.startsWith('-') ? this.o.rateLimit.perGroupPerMin / 60 : this.o.rateLimit.perChatPerSec;
  }

  private bucket(chatId: string): TokenBucket {
    let b = this.chats.get(chatId);
    if (!b) {
      b = new TokenBucket(this.rateFor(chatId), { burst: 1 });
      this.chats.set(chatId, b);
    }
    return b;
  }

  async send(chatId: string, text: string, signal?: AbortSignal): Promise<SendResult> {
    try {
      await this.bucket(chatId).take(signal);
      await this.global.take(signal);
      await this.api.sendMessage({ chat_id: chatId, text, link_preview_options: { is_disabled: true } }, signal);
      return { ok: true };
    } catch (err) {
      return this.classify(err);
    }
  }

  classify(err: unknown): Extract<SendResult, { ok: false }> {
    const error = this.clean(err);
    if (err instanceof TelegramApiError) {
      if (err.errorCode === 429) return { ok: false, kind: 'retry', error, retryAfterMs: (err.retryAfter ?? 1) * 1000 };
      // 400 (bad chat, bad text) and 403 (bot blocked, kicked) concern this chat only; retrying cannot help.
      // 401/404 mean a wrong token: fixable by the operator, so the backlog waits for it.
      if (err.errorCode === 400 || err.errorCode === 403) return { ok: false, kind: 'drop', error };
      return { ok: false, kind: 'retry', error };
    }
    // Telegram's answer is the only proof of delivery: a request that left without one may have been accepted.
    if (err instanceof TimeoutError || err instanceof ParseError) return { ok: false, kind: 'retry', error, maybeSent: true };
    if (err instanceof NetworkError) return NOT_SENT.test(`${error} ${causeCodes(err).join(' ')}`) ? { ok: false, kind: 'retry', error } : { ok: false, kind: 'retry', error, maybeSent: true };
    return { ok: false, kind: 'retry', error };
  }

  /** An error's text with the token removed (it is part of every request URL). */
  clean(err: unknown): string {
    const e = err as { message?: string; cause?: { code?: string; message?: string } };
    const cause = e.cause?.code ?? e.cause?.message;
    const text = `${e.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
    return text.split(this.token).join('[REDACTED]');
  }

  /** Updates from getUpdates, starting at `offset`; transient failures are retried inside, fatal ones thrown. */
  updates(offset: number | undefined, timeoutSec: number, signal: AbortSignal, onError: (e: unknown) => void): AsyncGenerator<Update> {
    return longPoll(this.pollApi, { offset, timeout: timeoutSec, retry: true, retryDelayMs: 2000, allowedUpdates: ['message'], onError }, signal);
  }
}
