// One-for-one supervision of worker threads, with OTP restart types, intensity and ordered shutdown.
// Guarantees: children start in order (their threads load and set up side by side first) and stop in reverse; a crash restarts only that child with
// backoff and fresh data-plane ports; too many restarts in the period stop everything and report it.
import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { PortBus } from '../bus/port-bus.js';
import type { ScaledClockSpec } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import type { AlertPayload } from '../protocol/index.js';
import { ChildHandle } from './child.js';
import { edgesOf, SUPERVISOR_NODE, type ChildSpec, type Edge, type SupervisorSpec } from './spec.js';
import type { WorkerReport } from './worker-protocol.js';

export interface SupervisorOptions {
  spec: SupervisorSpec;
  /** Maps a child's `entry` to the module URL the worker runs. */
  resolveEntry: (entry: string) => URL;
  config: unknown;
  clock: ScaledClockSpec;
  log: Logger;
  testHooks?: boolean;
  /** Clock time for envelopes the supervisor originates. */
  now?: () => number;
}

export interface ChildStatus {
  id: string;
  lifecycle: string;
  machineState: string | null;
  threadId: number | null;
  uptimeMs: number | null;
  restarts: number;
  heartbeatAgeMs: number | null;
  messagesIn: number;
  messagesOut: number;
  lastMessageAgeMs: number | null;
  /** The worker's V8 heap from its last heartbeat (bytes in use, bytes held); null before one or while down. */
  heap: { used: number; total: number } | null;
  details: Record<string, unknown>;
}

interface EdgeState extends Edge {
  /** Undelivered ends; null once handed to a worker (or to the supervisor's own bus). */
  fromEnd: MessagePort | null;
  toEnd: MessagePort | null;
}

interface Slot {
  spec: ChildSpec;
  handle: ChildHandle | null;
  restarts: number;
  consecutive: number;
  restartTimer: NodeJS.Timeout | null;
}

export class StartError extends Error {}

export class Supervisor extends EventEmitter {
  private readonly slots: Slot[];
  private readonly edges: EdgeState[];
  private readonly restartLog: number[] = [];
  private state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  private incarnations = 0;
  private hangTimer: NodeJS.Timeout | null = null;
  readonly bus: PortBus;
  /** Set when intensity was exceeded; the owner should exit non-zero. */
  escalated = false;

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.slots = opts.spec.children.map((spec) => ({ spec, handle: null, restarts: 0, consecutive: 0, restartTimer: null }));
    this.edges = edgesOf(opts.spec).map((e) => ({ ...e, fromEnd: null, toEnd: null }));
    const now = opts.now ?? Date.now;
    this.bus = new PortBus(SUPERVISOR_NODE, now, `sup-${process.pid.toString(36)}-`, [], []);
  }

  private get spec(): SupervisorSpec {
    return this.opts.spec;
  }

  /** Starts every child in order, each reaching `running` before the next is spawned. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new StartError(`supervisor already ${this.state}`);
    this.state = 'starting';
    this.takeSupervisorEnds();
    // Every thread loads its modules and sets up at once (no child is alive yet, so the wiring is static: no rewiring),
    // then each is started in order: the start order is kept, the load time is paid once rather than six times.
    const wirings = new Map<Slot, Awaited<ReturnType<Supervisor['wire']>>>();
    for (const slot of this.slots) wirings.set(slot, await this.wire(slot.spec.id));
    const loading = this.slots.map((slot) => {
      const handle = this.createHandle(slot, wirings.get(slot)!);
      // They share the CPU while loading: together they get the budget they had one after the other.
      return { slot, ready: this.awaitReady(handle, this.spec.startTimeoutMs * this.slots.length).then(() => null, (err: Error) => err) };
    });
    for (const { slot, ready } of loading) {
      try {
        const err = await ready;
        if (err) throw err;
        await this.startHandle(slot);
      } catch (err) {
        this.opts.log.error({ child: slot.spec.id, err: (err as Error).message }, 'child failed to start; stopping the others');
        await Promise.all(loading.map((l) => l.ready));
        await this.shutdown();
        throw new StartError(`child ${slot.spec.id} failed to start: ${(err as Error).message}`, { cause: err });
      }
    }
    this.state = 'running';
    const hangMs = this.spec.heartbeatMs * 15;
    this.hangTimer = setInterval(() => this.checkHangs(hangMs), this.spec.heartbeatMs);
    this.hangTimer.unref();
  }

  /** Stops children in reverse order, each within its shutdownMs. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    if (this.state === 'stopping') return new Promise((r) => this.once('stopped', r));
    this.state = 'stopping';
    if (this.hangTimer) clearInterval(this.hangTimer);
    for (const slot of this.slots) if (slot.restartTimer) clearTimeout(slot.restartTimer);
    for (const slot of [...this.slots].reverse()) {
      const h = slot.handle;
      if (!h) continue;
      const code = await h.shutdown(slot.spec.shutdownMs);
      this.opts.log.info({ child: slot.spec.id, code }, 'child stopped');
    }
    this.bus.close();
    for (const e of this.edges) {
      e.fromEnd?.close();
      e.toEnd?.close();
    }
    this.state = 'stopped';
    this.emit('stopped');
  }

  get running(): boolean {
    return this.state === 'running';
  }

  child(id: string): ChildHandle | null {
    return this.slots.find((s) => s.spec.id === id)?.handle ?? null;
  }

  status(): ChildStatus[] {
    const now = Date.now();
    return this.slots.map(({ spec, handle, restarts }) => {
      const hb = handle?.lastHeartbeat ?? null;
      const alive = handle?.alive ?? false;
      return {
        id: spec.id,
        lifecycle: handle ? handle.lifecycle : 'stopped',
        machineState: hb?.machineState ?? null,
        threadId: alive ? handle!.threadId : null,
        uptimeMs: alive ? now - handle!.startedAt : null,
        restarts,
        heartbeatAgeMs: hb ? now - hb.wallTs : null,
        messagesIn: hb?.counters.messagesIn ?? 0,
        messagesOut: hb?.counters.messagesOut ?? 0,
        lastMessageAgeMs: hb?.counters.lastInWallAt != null ? Math.max(0, now - hb.counters.lastInWallAt) : null,
        heap: alive && hb?.heap ? hb.heap : null,
        details: hb?.details ?? {},
      };
    });
  }

  /** Calls a control method on one child; rejects (never hangs) if it is down or slow. */
  async call<R>(id: string, what: string, fn: (h: ChildHandle) => Promise<R>): Promise<R> {
    const h = this.child(id);
    if (!h || !h.alive) throw new Error(`actor ${id} is not running`);
    return fn(h);
  }

  get callTimeoutMs(): number {
    return this.spec.callTimeoutMs;
  }

  private alert(a: AlertPayload): void {
    if (this.state === 'stopped') return;
    this.bus.publish('supervisor.alert', a);
  }

  private takeSupervisorEnds(): void {
    for (const e of this.edges) {
      if (e.from !== SUPERVISOR_NODE) continue;
      const ch = new MessageChannel();
      e.toEnd = ch.port2;
      this.bus.setOut({ to: e.to, topics: e.topics, port: ch.port1 });
    }
  }

  /** Gives `slot` fresh ends on every edge it touches; live peers are rewired to the other ends. */
  private async wire(id: string): Promise<{ out: SpawnEdgeOut[]; in: SpawnEdgeIn[]; peers: Array<() => Promise<void>> }> {
    const out: SpawnEdgeOut[] = [];
    const inn: SpawnEdgeIn[] = [];
    const peers: Array<() => Promise<void>> = [];
    for (const e of this.edges) {
      if (e.from !== id && e.to !== id) continue;
      const isFrom = e.from === id;
      const mine = isFrom ? e.fromEnd : e.toEnd;
      if (!mine) {
        // Our previous end went to an earlier incarnation: open a new channel for this edge.
        const ch = new MessageChannel();
        (isFrom ? e.toEnd : e.fromEnd)?.close();
        e.fromEnd = ch.port1;
        e.toEnd = ch.port2;
      }
      if (isFrom) {
        out.push({ to: e.to, topics: e.topics, port: e.fromEnd! });
        e.fromEnd = null;
      } else {
        inn.push({ from: e.from, port: e.toEnd! });
        e.toEnd = null;
      }
      const peer = isFrom ? e.to : e.from;
      const peerEnd = isFrom ? e.toEnd : e.fromEnd;
      if (!peerEnd) continue;
      if (peer === SUPERVISOR_NODE) {
        this.bus.setOut({ to: e.to, topics: e.topics, port: peerEnd });
        e.fromEnd = null;
        continue;
      }
      const peerHandle = this.child(peer);
      if (!peerHandle?.alive) continue; // stays pending until the peer is spawned
      if (isFrom) e.toEnd = null;
      else e.fromEnd = null;
      peers.push(() =>
        isFrom
          ? peerHandle.rewireIn(id, peerEnd, this.spec.callTimeoutMs)
          : peerHandle.rewireOut(e.to, e.topics, peerEnd, this.spec.callTimeoutMs),
      );
    }
    return { out, in: inn, peers };
  }

  private async spawn(slot: Slot): Promise<void> {
    const wiring = await this.wire(slot.spec.id);
    const handle = this.createHandle(slot, wiring);
    await Promise.all(wiring.peers.map((f) => f().catch((err) => this.opts.log.warn({ child: slot.spec.id, err: err.message }, 'peer rewire failed'))));
    await this.awaitReady(handle);
    await this.startHandle(slot);
  }

  /** The worker thread of a slot, on its wiring (it loads and sets up; `startHandle` starts it once ready). */
  private createHandle(slot: Slot, wiring: Awaited<ReturnType<Supervisor['wire']>>): ChildHandle {
    const id = slot.spec.id;
    const handle = new ChildHandle(id, {
      spec: slot.spec,
      entryUrl: this.opts.resolveEntry(slot.spec.entry),
      config: this.opts.config,
      clock: this.opts.clock,
      out: wiring.out,
      in: wiring.in,
      incarnation: `${process.pid.toString(36)}${(++this.incarnations).toString(36)}`,
      heartbeatMs: this.spec.heartbeatMs,
      testHooks: this.opts.testHooks ?? false,
      onReport: (r) => this.onReport(id, r),
    });
    slot.handle = handle;
    handle.exited.then((code) => this.onExit(slot, handle, code));
    return handle;
  }

  private async startHandle(slot: Slot): Promise<void> {
    const id = slot.spec.id;
    const handle = slot.handle!;
    await handle.call('start', (api) => api.start(), this.spec.startTimeoutMs);
    if (handle.lifecycle === 'ready' || handle.lifecycle === 'starting') handle.lifecycle = 'running';
    this.opts.log.info({ child: id, threadId: handle.threadId }, 'child running');
  }

  private awaitReady(h: ChildHandle, timeoutMs = this.spec.startTimeoutMs): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
      const onMsg = (m: WorkerReport) => {
        if (m?.kind === 'lifecycle' && m.state === 'ready') done(null);
      };
      const done = (err: Error | null) => {
        clearTimeout(timer);
        h.worker.off('message', onMsg);
        if (err) reject(err);
        else resolve();
      };
      h.worker.on('message', onMsg);
      h.exited.then((code) => done(new Error(`exited with code ${code} during start${h.lastError ? `: ${h.lastError.message}` : ''}`)));
    });
  }

  private onReport(id: string, r: WorkerReport): void {
    if (r?.kind === 'heartbeat') this.emit('heartbeat', id, r);
    if (r?.kind === 'lifecycle') {
      this.opts.log.debug({ child: id, lifecycle: r.state, reason: r.reason }, 'lifecycle');
      this.emit('lifecycle', id, r.state);
    }
  }

  private checkHangs(hangMs: number): void {
    if (this.state !== 'running') return;
    const now = Date.now();
    for (const slot of this.slots) {
      const h = slot.handle;
      if (!h?.alive || !h.lastHeartbeat) continue;
      if (now - h.lastHeartbeat.wallTs > hangMs) {
        this.opts.log.error({ child: slot.spec.id, ageMs: now - h.lastHeartbeat.wallTs }, 'child stopped heartbeating; terminating it');
        h.lastError = new Error('heartbeat lost');
        void h.worker.terminate();
      }
    }
  }

  private onExit(slot: Slot, handle: ChildHandle, code: number): void {
    if (slot.handle !== handle) return;
    const id = slot.spec.id;
    if (this.state === 'stopping' || this.state === 'stopped') return;
    const abnormal = code !== 0;
    const err = handle.lastError?.message;
    this.opts.log[abnormal ? 'error' : 'info']({ child: id, code, err }, 'child exited');
    this.emit('child_exit', id, code);
    const restart = slot.spec.restart === 'permanent' || (slot.spec.restart === 'transient' && abnormal);
    if (!restart) {
      slot.handle = null;
      return;
    }
    if (this.state === 'starting') return; // start() itself reports the failure
    const now = Date.now();
    this.restartLog.push(now);
    while (this.restartLog.length && now - this.restartLog[0]! > this.spec.periodMs) this.restartLog.shift();
    if (this.restartLog.length > this.spec.intensity) {
      this.escalated = true;
      this.opts.log.fatal({ child: id, restarts: this.restartLog.length, periodMs: this.spec.periodMs }, 'restart intensity exceeded; stopping everything');
      this.emit('escalated', id);
      void this.shutdown();
      return;
    }
    slot.consecutive = now - handle.startedAt > this.spec.periodMs ? 1 : slot.consecutive + 1;
    const backoff = Math.min(this.spec.backoff.maxMs, this.spec.backoff.initialMs * 2 ** (slot.consecutive - 1));
    this.alert({ severity: 'warning', code: 'supervisor.actor_restarted', text: `actor ${id} exited (code ${code}${err ? `: ${err}` : ''}); restarting in ${backoff} ms`, data: { actor: id, code } });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.state !== 'running') return;
      slot.restarts++;
      this.spawn(slot).then(
        () => this.emit('child_restarted', id),
        (e: Error) => {
          this.opts.log.error({ child: id, err: e.message }, 'restart failed');
        },
      );
    }, backoff);
  }
}

type SpawnEdgeOut = { to: string; topics: Edge['topics']; port: MessagePort };
type SpawnEdgeIn = { from: string; port: MessagePort };
