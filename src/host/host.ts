// The generic worker host: builds an actor's dependencies, runs its machine, bridges bus and machine.
// Guarantees: inbound messages become machine events, emitted topic events are published, lifecycle and
// heartbeats reach the supervisor, and any uncaught error crashes the worker (the supervisor restarts it).
import { getHeapStatistics } from 'node:v8';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createActor, type AnyActorRef, type AnyStateMachine, type EventObject } from 'xstate';
import { PortBus } from '../bus/port-bus.js';
import type { Bus } from '../bus/bus.js';
import { clockFromSpec, type Clock } from '../clock/clock.js';
import type { Config } from '../config/schema.js';
import { exposeOn } from '../control/comlink.js';
import { closeLogger, createLogger, type Logger } from '../log/logger.js';
import { WorkerMetrics } from '../ops/worker-metrics.js';
import { SharedClock } from '../clock/shared-clock.js';
import { bridge } from './bridge.js';
import { trackedEffects } from './lockstep-effects.js';
import type { Envelope, Payloads, Topic } from '../protocol/index.js';
import { createPool, type Pool } from '../store/pool.js';
import type { ActorStatus, ControlApi, Lifecycle, WorkerBoot, WorkerReport } from '../supervisor/worker-protocol.js';

export interface HostContext {
  actorId: string;
  config: Config;
  clock: Clock;
  log: Logger;
  bus: Bus;
  /** Lazily created pool for this worker. */
  db(): Pool;
  /** Counters, gauges and histograms for the Prometheus endpoint (shipped with heartbeats). */
  metrics: WorkerMetrics;
  /** Marks the actor degraded (reason) or healthy again (null); shown in status. */
  setDegraded(reason: string | null): void;
  testHooks: boolean;
}

export type { PublishEvent } from '../protocol/index.js';

export type Routes = { [T in Topic]?: (env: Envelope<T>) => EventObject | null };

export interface ActorDefinition {
  /** The machine with its effects provided. */
  machine: AnyStateMachine;
  input?: unknown;
  /** Inbound topic → machine event (null to drop). Topics not listed are not subscribed. */
  routes: Routes;
  /** Extra fields for `bosun status`. */
  details?: (actor: AnyActorRef) => Record<string, unknown>;
  commands?: Record<string, (args: Record<string, unknown>, actor: AnyActorRef) => Promise<unknown>>;
  /** Runs after the machine started (e.g. to send it a warm-up event). */
  onStart?: (actor: AnyActorRef) => void | Promise<void>;
  /** Flushes and closes whatever `setup` opened (the pool is closed by the host). */
  dispose?: () => Promise<void>;
}

export const stateString = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value).replace(/["{}]/g, '').replace(/:/g, '.');

export function runActor(setup: (ctx: HostContext) => Promise<ActorDefinition>): void {
  if (isMainThread || !parentPort) throw new Error('runActor must run inside a worker thread');
  const boot = workerData as WorkerBoot;
  const port = parentPort;
  const config = boot.config as Config;
  const clock = clockFromSpec(boot.clock);
  const log = createLogger({ level: config.log.level, name: boot.actorId, db: { url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, level: config.ops.dbLogLevel } });
  const metrics = new WorkerMetrics();
  const report = (r: WorkerReport) => port.postMessage(r);
  let lifecycle: Lifecycle = 'starting';
  let degraded: string | null = null;
  let paused = false;
  let pool: Pool | null = null;
  let actor: AnyActorRef | null = null;
  let def: ActorDefinition | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let stopping = false;

  const setLifecycle = (s: Lifecycle, reason?: string) => {
    lifecycle = s;
    report({ kind: 'lifecycle', state: s, ...(reason ? { reason } : {}) });
  };

  const crash = (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    log.fatal({ err: { message: e.message, stack: e.stack } }, 'actor crashed');
    try {
      setLifecycle('faulted', e.message);
    } finally {
      log.flush?.();
      process.exit(1);
    }
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  const bus = new PortBus(boot.actorId, () => clock.now(), `${boot.actorId}-${boot.incarnation}-`, boot.out, boot.in);

  const ctx: HostContext = {
    actorId: boot.actorId,
    config,
    clock,
    log,
    bus,
    metrics,
    db: () => (pool ??= createPool({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: config.db.poolSize })),
    setDegraded: (reason) => {
      if (reason === degraded) return;
      degraded = reason;
      if (lifecycle === 'running' || lifecycle === 'degraded') setLifecycle(reason ? 'degraded' : 'running', reason ?? undefined);
    },
    testHooks: boot.testHooks,
  };

  const machineState = () => (actor ? stateString(actor.getSnapshot().value) : 'none');
  const status = (): ActorStatus => ({
    machineState: machineState(),
    lifecycle,
    paused,
    counters: bus.counters,
    details: { ...(actor && def?.details ? def.details(actor) : {}), ...(degraded ? { degraded } : {}) },
  });

  const api: ControlApi = {
    async start() {
      if (!def) throw new Error('actor is not ready');
      if (actor) return;
      const a = createActor(trackedEffects(def.machine), { clock, ...(def.input !== undefined ? { input: def.input } : {}) });
      actor = a;
      a.subscribe({ error: crash });
      bridge(a, bus, def.routes, { onPublish: (type, payload) => metrics.onPublish(type, payload), closed: () => stopping });
      a.start();
      await def.onStart?.(a);
      setLifecycle(degraded ? 'degraded' : 'running');
    },
    async status() {
      return status();
    },
    async pause() {
      paused = true;
      actor?.send({ type: 'control.pause' });
    },
    async resume() {
      paused = false;
      actor?.send({ type: 'control.resume' });
    },
    async command(name, args) {
      const fn = def?.commands?.[name];
      if (!fn || !actor) throw new Error(`actor ${boot.actorId} has no command "${name}"`);
      return fn(args, actor);
    },
    async rewireOut(to, topics, p) {
      bus.setOut({ to, topics, port: p });
    },
    async rewireIn(from, p) {
      bus.setIn({ from, port: p });
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      if (heartbeat) clearInterval(heartbeat);
      actor?.stop();
      if (clock instanceof SharedClock) clock.close();
      try {
        await def?.dispose?.();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'dispose failed');
      }
      bus.close();
      await pool?.end().catch(() => undefined);
      await closeLogger(log, 500);
      setLifecycle('stopped');
      log.flush?.();
      // Exit after comlink has posted this call's reply.
      setTimeout(() => process.exit(0), 20);
    },
    async crash() {
      if (!boot.testHooks) throw new Error('test hooks are disabled');
      // After the reply is posted, so the caller sees the call succeed before the thread dies.
      setTimeout(() => {
        throw new Error(`test-only crash of ${boot.actorId}`);
      }, 20);
    },
  };
  exposeOn(api, boot.control);

  const persistState = async () => {
    if (!pool) return;
    const s = status();
    await pool.query(
      `INSERT INTO actor_state (actor, incarnation, machine_state, lifecycle, details, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE incarnation = VALUES(incarnation), machine_state = VALUES(machine_state), lifecycle = VALUES(lifecycle), details = VALUES(details), updated_at = VALUES(updated_at)`,
      [boot.actorId, boot.incarnation, s.machineState.slice(0, 128), s.lifecycle, JSON.stringify(s.details), clock.now()],
    );
  };

  let beats = 0;
  heartbeat = setInterval(() => {
    const s = status();
    const h = getHeapStatistics();
    metrics.set('heap_bytes', { kind: 'used' }, h.used_heap_size);
    metrics.set('heap_bytes', { kind: 'total' }, h.total_heap_size);
    report({ kind: 'heartbeat', wallTs: Date.now(), machineState: s.machineState, lifecycle, counters: s.counters, details: s.details, metrics: metrics.snapshot(), heap: { used: h.used_heap_size, total: h.total_heap_size } });
    if (++beats % 5 === 0) persistState().catch((err) => log.debug({ err: (err as Error).message }, 'actor_state write failed'));
  }, boot.heartbeatMs);

  setLifecycle('starting');
  setup(ctx).then(
    (d) => {
      def = d;
      setLifecycle('ready');
    },
    crash,
  );
}
