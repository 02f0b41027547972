// What the supervisor and a worker exchange outside the data plane: boot data, lifecycle, control API.
// Guarantees both sides compile against one definition of the control surface.
import type { MessagePort } from 'node:worker_threads';
import type { BusCounters } from '../bus/bus.js';
import type { ScaledClockSpec } from '../clock/clock.js';
import type { WorkerMetricsSnapshot } from '../ops/worker-metrics.js';
import type { Topic } from '../protocol/index.js';

export type Lifecycle = 'starting' | 'ready' | 'running' | 'degraded' | 'faulted' | 'stopped';

export interface WorkerBoot {
  actorId: string;
  /** Resolved, validated daemon config (a plain object; each actor reads its own sections). */
  config: unknown;
  clock: ScaledClockSpec;
  /** comlink endpoint for the control API. */
  control: MessagePort;
  out: Array<{ to: string; topics: Topic[]; port: MessagePort }>;
  in: Array<{ from: string; port: MessagePort }>;
  /** Distinguishes this incarnation's message ids from earlier ones. */
  incarnation: string;
  heartbeatMs: number;
  testHooks: boolean;
}

export interface Heartbeat {
  kind: 'heartbeat';
  /** Wall-clock ms when sent (liveness is a wall-clock matter even under an accelerated clock). */
  wallTs: number;
  machineState: string;
  lifecycle: Lifecycle;
  counters: BusCounters;
  details: Record<string, unknown>;
  /** Metrics since the worker started (observations: since the previous heartbeat). */
  metrics?: WorkerMetricsSnapshot;
  /** The worker's own V8 heap (each thread is an isolate): bytes in use and bytes the heap holds. */
  heap?: { used: number; total: number };
}

export interface LifecycleReport {
  kind: 'lifecycle';
  state: Lifecycle;
  reason?: string;
}

export type WorkerReport = Heartbeat | LifecycleReport;

export interface ActorStatus {
  machineState: string;
  lifecycle: Lifecycle;
  paused: boolean;
  counters: BusCounters;
  details: Record<string, unknown>;
}

/** Exposed by every worker over comlink. Every call from the supervisor races exit and a timeout. */
export interface ControlApi {
  /** Starts the machine (after every dependency is built); resolves once it is running. */
  start(): Promise<void>;
  status(): Promise<ActorStatus>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Actor-specific operator command (e.g. `flatten` on execution). */
  command(name: string, args: Record<string, unknown>): Promise<unknown>;
  rewireOut(to: string, topics: Topic[], port: MessagePort): Promise<void>;
  rewireIn(from: string, port: MessagePort): Promise<void>;
  /** Stops the machine, flushes and closes resources; the worker exits by itself afterwards. */
  stop(): Promise<void>;
  /** Test-only: throws from the event loop, as a real bug would. Refused unless test hooks are on. */
  crash(): Promise<void>;
}
