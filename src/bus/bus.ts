// The bus interface actors publish and subscribe through, and the envelope logic both implementations share.
// Guarantees: every message is wrapped in a complete, frozen-by-convention envelope; handlers see only their topic.
import type { Envelope, Payloads, Topic } from '../protocol/index.js';

export interface PublishMeta {
  tsEvent?: number;
  correlationId?: string;
  causationId?: string | null;
}

export interface BusCounters {
  messagesIn: number;
  messagesOut: number;
  /** Clock time of the last message received, or null. */
  lastInAt: number | null;
  /** Wall time of the last message received (liveness), or null. */
  lastInWallAt: number | null;
  perTopicIn: Partial<Record<Topic, number>>;
  perTopicOut: Partial<Record<Topic, number>>;
}

export type Handler<T extends Topic> = (env: Envelope<T>) => void;

export interface Bus {
  readonly source: string;
  publish<T extends Topic>(type: T, payload: Payloads[T], meta?: PublishMeta): Envelope<T>;
  subscribe<T extends Topic>(type: T, handler: Handler<T>): () => void;
  /**
   * Runs `fn` with `env` as the cause: envelopes published synchronously inside inherit its
   * correlation id and take its id as causation id (unless given explicitly).
   */
  withCause<R>(env: Envelope, fn: () => R): R;
  readonly counters: BusCounters;
  close(): void;
}

export type Now = () => number;

/** Envelope creation, cause tracking, counters and local dispatch; subclasses only transport. */
export abstract class BaseBus implements Bus {
  readonly counters: BusCounters = { messagesIn: 0, messagesOut: 0, lastInAt: null, lastInWallAt: null, perTopicIn: {}, perTopicOut: {} };
  private readonly handlers = new Map<Topic, Set<Handler<never>>>();
  private cause: Envelope | null = null;
  private seq = 0;

  constructor(readonly source: string, protected readonly now: Now, private readonly idPrefix: string) {}

  protected abstract transmit(env: Envelope): void;

  publish<T extends Topic>(type: T, payload: Payloads[T], meta: PublishMeta = {}): Envelope<T> {
    const tsInit = this.now();
    const id = `${this.idPrefix}${(++this.seq).toString(36)}`;
    const env: Envelope<T> = {
      id,
      type,
      tsEvent: meta.tsEvent ?? tsInit,
      tsInit,
      source: this.source,
      correlationId: meta.correlationId ?? this.cause?.correlationId ?? id,
      causationId: meta.causationId !== undefined ? meta.causationId : (this.cause?.id ?? null),
      payload,
    };
    this.counters.messagesOut++;
    this.counters.perTopicOut[type] = (this.counters.perTopicOut[type] ?? 0) + 1;
    this.transmit(env);
    return env;
  }

  subscribe<T extends Topic>(type: T, handler: Handler<T>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  withCause<R>(env: Envelope, fn: () => R): R {
    const prev = this.cause;
    this.cause = env;
    try {
      return fn();
    } finally {
      this.cause = prev;
    }
  }

  /** Called by the transport for each inbound envelope. */
  protected dispatch(env: Envelope): void {
    const set = this.handlers.get(env.type);
    this.counters.messagesIn++;
    this.counters.lastInAt = this.now();
    this.counters.lastInWallAt = Date.now();
    this.counters.perTopicIn[env.type] = (this.counters.perTopicIn[env.type] ?? 0) + 1;
    if (!set) return;
    for (const h of set) this.withCause(env, () => (h as Handler<Topic>)(env));
  }

  abstract close(): void;
}
