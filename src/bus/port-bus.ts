// Live bus over direct MessagePorts between workers: one port per (publisher, subscriber) edge.
// Guarantees one hop per message (no relay), and that a rewired edge never delivers through its old port.
// On the wire an envelope is a compact tuple (cheaper to structured-clone than an object with keys);
// the subscriber rebuilds the full envelope, taking `source` from the edge it arrived on. In a lockstep replay each
// message counts as work in flight from its post until the subscriber's handlers have run.
import type { MessagePort } from 'node:worker_threads';
import { lockstepWork } from '../clock/lockstep.js';
import type { Envelope, Topic } from '../protocol/index.js';
import { BaseBus, type Now } from './bus.js';
import { TOPICS } from './topics.js';

export interface OutEdge {
  to: string;
  topics: Topic[];
  port: MessagePort;
}

export interface InEdge {
  from: string;
  port: MessagePort;
}

/** [id, topic index, tsEvent, tsInit, correlationId (null = same as id), causationId, payload] */
type Wire = [string, number, number, number, string | null, string | null, unknown];

const TOPIC_INDEX = new Map<Topic, number>(TOPICS.map((t, i) => [t, i]));

export const toWire = (e: Envelope): Wire =>
  [e.id, TOPIC_INDEX.get(e.type)!, e.tsEvent, e.tsInit, e.correlationId === e.id ? null : e.correlationId, e.causationId, e.payload];

export const fromWire = (w: Wire, source: string): Envelope =>
  ({ id: w[0], type: TOPICS[w[1]]!, tsEvent: w[2], tsInit: w[3], source, correlationId: w[4] ?? w[0], causationId: w[5], payload: w[6] }) as Envelope;

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
    let wire: Wire | null = null;
    for (const edge of this.out.values()) {
      if (!edge.topics.has(env.type)) continue;
      lockstepWork.begin();
      edge.port.postMessage((wire ??= toWire(env)));
    }
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
    const from = e.from;
    e.port.on('message', (w: Wire) => {
      try {
        this.dispatch(fromWire(w, from));
      } finally {
        lockstepWork.endSoon();
      }
    });
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
