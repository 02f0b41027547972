// In-process bus: several endpoints on one hub, for unit tests and backtests.
// Guarantees deterministic delivery: one FIFO queue, drained breadth-first, ids from counters only.
import type { Envelope, Topic } from '../protocol/index.js';
import { BaseBus, type Now } from './bus.js';

export class LocalHub {
  private readonly endpoints = new Map<string, LocalBus>();
  private readonly routes = new Map<string, Set<Topic> | 'all'>();
  private readonly queue: Envelope[] = [];
  private draining = false;

  constructor(private readonly now: Now) {}

  /** `accepts` limits which topics reach this endpoint (its subscriptions always filter too). */
  endpoint(source: string, accepts: Topic[] | 'all' = 'all'): LocalBus {
    if (this.endpoints.has(source)) throw new Error(`LocalHub: endpoint ${source} exists`);
    const bus = new LocalBus(source, this.now, this);
    this.endpoints.set(source, bus);
    this.routes.set(source, accepts === 'all' ? 'all' : new Set(accepts));
    return bus;
  }

  remove(source: string): void {
    this.endpoints.delete(source);
    this.routes.delete(source);
  }

  /** Queues `env` for every other endpoint; drains unless already draining. */
  post(env: Envelope): void {
    this.queue.push(env);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let e = this.queue.shift(); e; e = this.queue.shift()) {
        for (const [name, bus] of this.endpoints) {
          if (name === e.source) continue;
          const r = this.routes.get(name);
          if (r === 'all' || r?.has(e.type)) bus.receive(e);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Number of envelopes queued but not delivered (0 outside a drain). */
  get backlog(): number {
    return this.queue.length;
  }
}

export class LocalBus extends BaseBus {
  constructor(source: string, now: Now, private readonly hub: LocalHub) {
    super(source, now, `${source}-`);
  }
  protected transmit(env: Envelope): void {
    this.hub.post(env);
  }
  receive(env: Envelope): void {
    this.dispatch(env);
  }
  close(): void {
    this.hub.remove(this.source);
  }
}
