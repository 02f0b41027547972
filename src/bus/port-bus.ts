// Live bus over direct MessagePorts between workers: one port per (publisher, subscriber) edge.
// Guarantees one hop per message (no relay), and that a rewired edge never delivers through its old port.
import type { MessagePort } from 'node:worker_threads';
import type { Envelope, Topic } from '../protocol/index.js';
import { BaseBus, type Now } from './bus.js';

export interface OutEdge {
  to: string;
  topics: Topic[];
  port: MessagePort;
}

export interface InEdge {
  from: string;
  port: MessagePort;
}

export class PortBus extends BaseBus {
  private readonly out = new Map<string, { topics: Set<Topic>; port: MessagePort }>();
  private readonly inbound = new Map<string, MessagePort>();
  private closed = false;

  constructor(source: string, now: Now, idPrefix: string, outEdges: OutEdge[], inEdges: InEdge[]) {
    super(source, now, idPrefix);
    for (const e of outEdges) this.setOut(e);
    for (const e of inEdges) this.setIn(e);
  }

  protected transmit(env: Envelope): void {
    if (this.closed) return;
    for (const edge of this.out.values()) if (edge.topics.has(env.type)) edge.port.postMessage(env);
  }

  /** Replaces (or adds) the outbound edge to `e.to`; the old port is closed. */
  setOut(e: OutEdge): void {
    this.out.get(e.to)?.port.close();
    this.out.set(e.to, { topics: new Set(e.topics), port: e.port });
  }

  /** Replaces (or adds) the inbound edge from `e.from`; the old port is closed. */
  setIn(e: InEdge): void {
    const old = this.inbound.get(e.from);
    if (old) {
      old.removeAllListeners('message');
      old.close();
    }
    e.port.on('message', (env: Envelope) => this.dispatch(env));
    this.inbound.set(e.from, e.port);
  }

  close(): void {
    this.closed = true;
    for (const e of this.out.values()) e.port.close();
    for (const p of this.inbound.values()) p.close();
    this.out.clear();
    this.inbound.clear();
  }
}
