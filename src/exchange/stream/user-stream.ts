// The Binance user-data stream: listenKey create, keep-alive, re-create on expiry or error; a WebSocket watched by
// ping/pong; reconnects with exponential backoff and jitter. Guarantees: the consumer hears `down` whenever events
// may be missed (it then polls REST) and `up` after every reconnect (it then catches up once); frames are validated.
import WebSocket from 'ws';
import { lockstepWork } from '../../clock/lockstep.js';
import type { Logger } from '../../log/logger.js';
import { parseUserFrame, type UserFrame } from './frames.js';

export interface UserStreamOptions {
  wsBase: string;
  /** POST listenKey (returns the account's key, extending it). */
  createKey(): Promise<string>;
  /** PUT listenKey; rejects when the key no longer exists. */
  keepAlive(): Promise<void>;
  keepAliveMs: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  onFrame(f: Exclude<UserFrame, { kind: 'expired' }>): void;
  onStatus(up: boolean, reason: string): void;
  /** A frame that failed validation (counted and dropped). */
  onMalformed?(error: string): void;
  log: Logger;
}

export class UserStream {
  private ws: WebSocket | null = null;
  private stopped = false;
  private attempts = 0;
  private timers: NodeJS.Timeout[] = [];
  private reconnectTimer: NodeJS.Timeout | null = null;
  private isUp = false;
  readonly counters = { connects: 0, frames: 0, malformed: 0, ignored: 0, expired: 0, keepAliveFailures: 0 };

  constructor(private readonly o: UserStreamOptions) {}

  get up(): boolean {
    return this.isUp;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.teardown();
  }

  private setUp(up: boolean, reason: string): void {
    if (this.isUp === up) return;
    this.isUp = up;
    this.o.onStatus(up, reason);
  }

  private teardown(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
    }
  }

  /** Drops the connection and reconnects after the backoff (with jitter). */
  private restart(reason: string): void {
    this.teardown();
    this.setUp(false, reason);
    if (this.stopped || this.reconnectTimer) return;
    const base = Math.min(this.o.reconnectMaxMs, this.o.reconnectInitialMs * 2 ** Math.min(this.attempts, 16));
    const delay = Math.round(base * (0.5 + Math.random() * 0.5));
    this.attempts++;
    this.o.log.warn({ reason, retryInMs: delay }, 'user-data stream down; polling REST until it is back');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    // A lockstep replay waits for the stream to be up (or down again); each frame the venue counted is lowered once handled.
    const opening = lockstepWork.hold();
    let key: string;
    try {
      key = await this.o.createKey();
    } catch (err) {
      opening();
      return this.restart(`listenKey could not be created: ${(err as Error).message}`);
    }
    if (this.stopped) return opening();
    const ws = new WebSocket(`${this.o.wsBase}/ws/${key}`, { handshakeTimeout: 10_000 });
    this.ws = ws;
    this.counters.connects++;
    let lastPong = Date.now();
    ws.on('open', () => {
      this.attempts = 0;
      lastPong = Date.now();
      this.setUp(true, 'connected');
      opening();
      this.timers.push(setInterval(() => {
        if (Date.now() - lastPong > this.o.pingIntervalMs + this.o.pongTimeoutMs) return this.restart('no pong: connection silently dead');
        ws.ping();
      }, this.o.pingIntervalMs));
      this.timers.push(setInterval(() => {
        this.o.keepAlive().catch((err) => {
          this.counters.keepAliveFailures++;
          this.restart(`listenKey keep-alive failed: ${(err as Error).message}`);
        });
      }, this.o.keepAliveMs));
    });
    ws.on('pong', () => (lastPong = Date.now()));
    ws.on('message', (data) => {
      try {
        lastPong = Date.now();
        this.counters.frames++;
        const r = parseUserFrame(data.toString());
        if (!r.ok) {
          if (r.ignored) this.counters.ignored++;
          else {
            this.counters.malformed++;
            this.o.log.warn({ error: r.error }, 'malformed user-data frame dropped');
            this.o.onMalformed?.(r.error);
          }
          return;
        }
        if (r.event.kind === 'expired') {
          this.counters.expired++;
          return this.restart('listenKey expired');
        }
        this.o.onFrame(r.event);
      } finally {
        lockstepWork.endSoon();
      }
    });
    const onClose = (reason: string) => {
      opening();
      if (this.ws === ws) this.restart(reason);
    };
    ws.on('close', (code) => onClose(`closed (${code})`));
    ws.on('error', (err) => onClose(`error: ${err.message}`));
  }
}
