// The message registry: every topic and its payload, and the envelope they travel in. Types only.
// Guarantees at compile time that a publisher and its subscribers agree on each topic's payload.
import type { AnalyticsPayloads } from './analytics.js';
import type { DecisionPayloads } from './decision.js';
import type { ExecutionPayloads } from './execution.js';
import type { MarketPayloads } from './market.js';
import type { ReconcilePayloads } from './reconcile.js';
import type { SupervisorPayloads } from './supervisor.js';

export interface Payloads
  extends MarketPayloads, AnalyticsPayloads, DecisionPayloads, ExecutionPayloads, ReconcilePayloads, SupervisorPayloads {}

export type Topic = keyof Payloads;

/** An event a machine emits to publish on the bus: `type` is the topic. */
export type PublishEvent = { [T in Topic]: { type: T; payload: Payloads[T]; tsEvent?: number } }[Topic];

export interface Envelope<T extends Topic = Topic> {
  id: string;
  type: T;
  /** Clock time of the event the message describes (e.g. a candle's close). */
  tsEvent: number;
  /** Clock time the envelope was created. */
  tsInit: number;
  /** Actor id of the publisher. */
  source: string;
  /** Id shared by every message of one causal chain (e.g. a candle → snapshot → decision → orders). */
  correlationId: string;
  /** Id of the message that caused this one, or null for an origin. */
  causationId: string | null;
  payload: Payloads[T];
}

/** The discriminated union of all envelopes; narrowing on `type` narrows `payload`. */
export type AnyEnvelope = { [T in Topic]: Envelope<T> }[Topic];

export type * from './analytics.js';
export type * from './common.js';
export type * from './decision.js';
export type * from './execution.js';
export type * from './market.js';
export type * from './reconcile.js';
export type * from './supervisor.js';
