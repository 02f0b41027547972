// systemd's notify protocol (sd_notify): READY=1, STATUS=, WATCHDOG=1, STOPPING=1 datagrams to $NOTIFY_SOCKET.
// Node has no AF_UNIX datagram sockets, so this uses unix-dgram (a small native binding by a Node core
// maintainer), loaded only when NOTIFY_SOCKET is set. Guarantees: a send never throws into the daemon; watchdog
// pings go out at half of WATCHDOG_USEC, only while `healthy()` says the supervisor is alive.
import { createRequire } from 'node:module';
import type { UnixDgramSocket } from 'unix-dgram';

export interface SdNotifyLog {
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export class SdNotify {
  private watchdog: NodeJS.Timeout | null = null;
  private lastWarn = 0;
  sent = 0;
  failed = 0;

  private constructor(private readonly sock: UnixDgramSocket, private readonly path: string, private readonly log: SdNotifyLog) {
    sock.on('error', (err: Error) => this.failure(err));
  }

  /** A full receive queue (EAGAIN) or a vanished socket: counted, and logged at most once a minute. */
  private failure(err: Error, state?: string): void {
    this.failed++;
    if (Date.now() - this.lastWarn < 60_000) return;
    this.lastWarn = Date.now();
    this.log.warn({ err: err.message, socket: this.path, failedSoFar: this.failed, ...(state ? { state: state.split('\n')[0] } : {}) }, 'systemd notify failed');
  }

  /** Null when not started by systemd with Type=notify (no NOTIFY_SOCKET). */
  static fromEnv(env: NodeJS.ProcessEnv, log: SdNotifyLog): SdNotify | null {
    const path = env.NOTIFY_SOCKET;
    if (!path) return null;
    if (path.startsWith('@')) {
      log.error({ socket: path }, 'NOTIFY_SOCKET is an abstract socket, which unix-dgram cannot address; systemd READY/WATCHDOG are disabled');
      return null;
    }
    try {
      const unix = createRequire(import.meta.url)('unix-dgram') as typeof import('unix-dgram');
      return new SdNotify(unix.createSocket('unix_dgram'), path, log);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'cannot load unix-dgram (run `npm ci` with a C++ toolchain); systemd READY/WATCHDOG are disabled');
      return null;
    }
  }

  send(state: string): void {
    const buf = Buffer.from(state);
    try {
      this.sock.send(buf, 0, buf.length, this.path, (err) => {
        if (err) this.failure(err, state);
        else this.sent++;
      });
    } catch (err) {
      this.failure(err as Error, state);
    }
  }

  /** Pings WATCHDOG=1 every WATCHDOG_USEC/2 while `healthy()` holds; a wedged daemon gets killed and restarted. */
  startWatchdog(env: NodeJS.ProcessEnv, healthy: () => boolean): number | null {
    const usec = Number(env.WATCHDOG_USEC);
    if (!Number.isFinite(usec) || usec <= 0) return null;
    if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== process.pid) return null;
    const every = Math.max(50, Math.floor(usec / 2000));
    const ping = () => {
      if (healthy()) this.send('WATCHDOG=1');
    };
    ping();
    this.watchdog = setInterval(ping, every);
    this.watchdog.unref();
    return every;
  }

  close(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    try {
      this.sock.close();
    } catch {
      // already closed
    }
  }
}
