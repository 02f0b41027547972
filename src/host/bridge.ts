// Connects a running machine to a bus: routed inbound topics become machine events, emitted topic events are published.
// Guarantees the worker host (live) and the in-process host (backtests) bridge a machine in exactly the same way.
import type { AnyActorRef, EventObject } from 'xstate';
import type { Bus } from '../bus/bus.js';
import { isTopic } from '../bus/topics.js';
import type { Envelope, Topic } from '../protocol/index.js';
import type { Routes } from './host.js';

export interface BridgeHooks {
  /** Called after each publish (metrics). */
  onPublish?: (type: Topic, payload: unknown) => void;
  /** While true, inbound messages are dropped (the actor is stopping). */
  closed?: () => boolean;
}

export function bridge(actor: AnyActorRef, bus: Bus, routes: Routes, hooks: BridgeHooks = {}): void {
  actor.on('*', (ev: { type: string; payload?: unknown; tsEvent?: number }) => {
    if (!isTopic(ev.type)) return;
    bus.publish(ev.type, ev.payload as never, ev.tsEvent !== undefined ? { tsEvent: ev.tsEvent } : {});
    hooks.onPublish?.(ev.type, ev.payload);
  });
  for (const [topic, toEvent] of Object.entries(routes) as Array<[Topic, (env: Envelope) => EventObject | null]>) {
    bus.subscribe(topic, (env) => {
      if (hooks.closed?.()) return;
      const ev = toEvent(env);
      if (ev) actor.send(ev);
    });
  }
}
