// Classification of exchange failures: retryable, ambiguous (did it happen?) or definitive.
// Guarantees callers never retry an ambiguous order call before resolving it by client id.
export type ExchangeErrorKind = 'retryable' | 'ambiguous' | 'definitive';

export class ExchangeError extends Error {
  constructor(
    message: string,
    readonly kind: ExchangeErrorKind,
    readonly code?: string | number,
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ExchangeError';
  }
}

export const isAmbiguous = (e: unknown): boolean => e instanceof ExchangeError && e.kind === 'ambiguous';
export const isRetryable = (e: unknown): boolean => e instanceof ExchangeError && e.kind === 'retryable';
