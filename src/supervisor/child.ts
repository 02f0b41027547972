// One running incarnation of a supervised worker: its thread, control proxy and latest reports.
// Guarantees every control call settles: it races the worker's exit and a timeout.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { transfer, wrapPort, type Remote } from '../control/comlink.js';
import type { ScaledClockSpec } from '../clock/clock.js';
import type { Topic } from '../protocol/index.js';
import type { ChildSpec } from './spec.js';
import type { ControlApi, Heartbeat, Lifecycle, WorkerBoot, WorkerReport } from './worker-protocol.js';

export class ChildExitedError extends Error {
  constructor(readonly childId: string, readonly code: number | null) {
    super(`worker ${childId} exited (code ${code}) before the call settled`);
    this.name = 'ChildExitedError';
  }
}

export class CallTimeoutError extends Error {
  constructor(readonly childId: string, readonly what: string, ms: number) {
    super(`worker ${childId}: ${what} did not answer within ${ms} ms`);
    this.name = 'CallTimeoutError';
  }
}

export interface SpawnArgs {
  spec: ChildSpec;
  entryUrl: URL;
  config: unknown;
  clock: ScaledClockSpec;
  out: Array<{ to: string; topics: Topic[]; port: MessagePort }>;
  in: Array<{ from: string; port: MessagePort }>;
  incarnation: string;
  heartbeatMs: number;
  testHooks: boolean;
  onReport: (r: WorkerReport) => void;
}

export class ChildHandle {
  readonly worker: Worker;
  readonly remote: Remote<ControlApi>;
  readonly startedAt = Date.now();
  /** Resolves with the exit code once the thread is gone. */
  readonly exited: Promise<number>;
  lifecycle: Lifecycle = 'starting';
  lastHeartbeat: Heartbeat | null = null;
  lastError: Error | null = null;
  exitCode: number | null = null;
  private readonly controlPort: MessagePort;

  constructor(readonly id: string, args: SpawnArgs) {
    const { port1, port2 } = new MessageChannel();
    this.controlPort = port1;
    const boot: WorkerBoot = {
      actorId: id, config: args.config, clock: args.clock, control: port2,
      out: args.out, in: args.in, incarnation: args.incarnation, heartbeatMs: args.heartbeatMs, testHooks: args.testHooks,
    };
    const limits = args.spec.resourceLimits;
    this.worker = new Worker(args.entryUrl, {
      workerData: boot,
      transferList: [port2, ...args.out.map((e) => e.port), ...args.in.map((e) => e.port)],
      name: id,
      ...(limits ? { resourceLimits: limits } : {}),
      stdout: false,
      stderr: false,
    });
    this.remote = wrapPort<ControlApi>(port1);
    this.worker.on('message', (m: WorkerReport) => {
      if (m?.kind === 'heartbeat') {
        this.lastHeartbeat = m;
        this.lifecycle = m.lifecycle;
      } else if (m?.kind === 'lifecycle') this.lifecycle = m.state;
      args.onReport(m);
    });
    this.worker.on('error', (err) => {
      this.lastError = err;
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.exitCode = code;
        if (code !== 0) this.lifecycle = 'faulted';
        else if (this.lifecycle !== 'faulted') this.lifecycle = 'stopped';
        this.controlPort.close();
        resolve(code);
      });
    });
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  get alive(): boolean {
    return this.exitCode === null;
  }

  /** Calls the control API; rejects with ChildExitedError or CallTimeoutError instead of hanging. */
  async call<R>(what: string, fn: (api: Remote<ControlApi>) => Promise<R>, timeoutMs: number): Promise<R> {
    if (!this.alive) throw new ChildExitedError(this.id, this.exitCode);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(this.remote),
        this.exited.then((code) => Promise.reject(new ChildExitedError(this.id, code))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CallTimeoutError(this.id, what, timeoutMs)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  rewireOut(to: string, topics: Topic[], port: MessagePort, timeoutMs: number): Promise<void> {
    return this.call('rewireOut', (api) => api.rewireOut(to, topics, transfer(port, [port])), timeoutMs);
  }

  rewireIn(from: string, port: MessagePort, timeoutMs: number): Promise<void> {
    return this.call('rewireIn', (api) => api.rewireIn(from, transfer(port, [port])), timeoutMs);
  }

  /** Asks the worker to stop, then terminates it if it has not exited within `shutdownMs`. */
  async shutdown(shutdownMs: number): Promise<number> {
    if (!this.alive) return this.exitCode ?? 0;
    const deadline = Date.now() + shutdownMs;
    try {
      await this.call('stop', (api) => api.stop(), shutdownMs);
    } catch {
      // Falls through to terminate below.
    }
    const left = Math.max(0, deadline - Date.now());
    const exitedInTime = await Promise.race([this.exited.then(() => true), delay(left).then(() => false)]);
    if (!exitedInTime) await this.worker.terminate();
    return this.exited;
  }
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
