// Classifies ccxt/Binance failures as retryable, ambiguous or definitive, and says whether the request may have
// been executed. Guarantees: nothing that might have executed is ever called "not executed" (5xx, timeouts, -1007
// and broken connections are "maybe"), so a caller never repeats an order without resolving it first.
import * as ccxt from './ccxt-lib.js';
import { ExchangeError, type ExchangeErrorKind } from '../errors.js';

export interface Classified {
  kind: ExchangeErrorKind;
  /** 'no': refused before execution (safe to repeat as is); 'maybe': outcome unknown. */
  executed: 'no' | 'maybe';
  code: number | string | undefined;
  retryAfterMs?: number;
  /** -1021: the clock offset must be measured again before repeating. */
  resync?: boolean;
  /** -2013 / -2011 / -20124: no such order. */
  notFound?: boolean;
  /** -1008 or 503 "Service Unavailable.": the exchange is in maintenance (or overloaded); nothing was executed. */
  maintenance?: boolean;
}

/** Binance's numeric code inside a ccxt error message (`binanceusdm {"code":-2019,"msg":"..."}`). */
export const binanceCode = (message: string): number | undefined => {
  const m = /"code"\s*:\s*"?(-?\d+)"?/.exec(message);
  return m ? Number(m[1]) : undefined;
};

const NOT_EXECUTED_NETWORK = /ECONNREFUSED|ConnectionRefused|ENOTFOUND|EAI_AGAIN|FailedToOpenSocket|UND_ERR_CONNECT_TIMEOUT/;
const HTTP_STATUS = /\b(5\d\d)\b/;

/** Binance -2022: a reduce-only order refused because there is nothing left to reduce (the position is gone). */
export const isReduceOnlyRejected = (err: unknown): boolean => err instanceof ExchangeError && Number(err.code) === -2022;

/** The code of our own refusal to send an order whose `notAfter` had passed (nothing left the process). */
export const NOT_SENT = 'not_sent_window';

/** Codes that mean an order arrived (or would have) after its window: not placed, and not to be resent as is. */
export const LATE_CODES: ReadonlyArray<number | string> = [-1021, -5028, -4188, NOT_SENT];

export function classify(err: unknown): Classified {
  if (err instanceof ExchangeError) {
    const executed = err.kind === 'definitive' || err.code === NOT_SENT ? 'no' : 'maybe';
    return { kind: err.kind, executed, code: err.code, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
  }
  const msg = err instanceof Error ? err.message : String(err);
  const code = binanceCode(msg);
  const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs;
  if (code === -2013 || code === -2011 || code === -20124) return { kind: 'definitive', executed: 'no', code, notFound: true };
  if (code === -1021 || err instanceof ccxt.InvalidNonce) return { kind: 'retryable', executed: 'no', code: code ?? -1021, resync: true };
  // -5028 / -4188: the request reached the matching engine after its recvWindow and was refused there (not executed).
  if (code === -5028 || code === -4188) return { kind: 'retryable', executed: 'no', code };
  if (code === -1007) return { kind: 'ambiguous', executed: 'maybe', code };
  // -1008 "Server is currently overloaded": refused before acting (Binance's docs: a failure, retry later); also what the
  // exchange answers during maintenance (with 503 "Service Unavailable.").
  if (code === -1008) return { kind: 'retryable', executed: 'no', code, maintenance: true };
  if (/\b503\b/.test(msg) && /Service Unavailable|maintenance/i.test(msg)) return { kind: 'retryable', executed: 'no', code: 503, maintenance: true };
  if (err instanceof ccxt.DDoSProtection || err instanceof ccxt.RateLimitExceeded || code === -1003 || code === -1015) {
    return { kind: 'retryable', executed: 'no', code: code ?? 429, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (err instanceof ccxt.RequestTimeout) return { kind: 'ambiguous', executed: 'maybe', code: 'timeout' };
  if (err instanceof ccxt.NetworkError) {
    // Refused before any byte was sent: retryable. Anything else (reset, 5xx, maintenance): may have executed.
    if (NOT_EXECUTED_NETWORK.test(msg)) return { kind: 'retryable', executed: 'no', code: 'network' };
    const status = HTTP_STATUS.exec(msg)?.[1];
    return { kind: 'retryable', executed: 'maybe', code: code ?? (status ? Number(status) : 'network') };
  }
  if (code === -1000 || code === -1001 || code === -1006) return { kind: 'retryable', executed: 'maybe', code };
  if (err instanceof ccxt.BaseError) return { kind: 'definitive', executed: 'no', code: code ?? err.constructor.name };
  return { kind: 'definitive', executed: 'no', code: undefined };
}

/** The product's error for a classified failure (ambiguous when it may have executed and is not definitive). */
export function toExchangeError(err: unknown, c: Classified, what: string, mutating: boolean): ExchangeError {
  const kind: ExchangeErrorKind = c.kind === 'definitive' ? 'definitive' : mutating && c.executed === 'maybe' ? 'ambiguous' : c.kind;
  const msg = err instanceof Error ? err.message : String(err);
  return new ExchangeError(`${what}: ${msg}`, kind, c.code, c.retryAfterMs, { cause: err });
}
