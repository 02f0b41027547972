// A pino destination that copies WARN-and-above lines into the `logs` table, in the background.
// Guarantees: never blocks or throws into the logger; with the DB down it keeps at most `maxQueue` lines (dropping the
// oldest, counted) and retries with backoff. Lines arrive already scrubbed of secrets (the logger's streamWrite hook).
import { createPool, type Pool } from '../store/pool.js';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const OMIT = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'name']);

interface Row {
  ts: number;
  level: string;
  actor: string;
  msg: string;
  data: string | null;
}

export interface DbSinkOptions {
  url: string;
  connectTimeoutMs: number;
  /** Lowest level copied, as a pino number (40 = warn). */
  minLevel: number;
  maxQueue?: number;
}

export class DbLogSink {
  private pool: Pool | null = null;
  private queue: Row[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private failures = 0;
  private closed = false;
  dropped = 0;
  written = 0;
  lastError: string | null = null;

  constructor(private readonly o: DbSinkOptions) {}

  /** pino calls this with one serialized line. */
  write(line: string): void {
    if (this.closed) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const level = Number(o.level);
    if (!(level >= this.o.minLevel)) return;
    const data: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (!OMIT.has(k)) data[k] = v;
    const json = Object.keys(data).length ? JSON.stringify(data) : null;
    this.queue.push({
      ts: typeof o.time === 'number' ? o.time : Date.now(),
      level: LEVELS[level] ?? String(level),
      actor: String(o.name ?? 'bosun').slice(0, 32),
      msg: String(o.msg ?? ''),
      data: json && json.length > 16_000 ? JSON.stringify({ truncated: json.slice(0, 16_000) }) : json,
    });
    if (this.queue.length > (this.o.maxQueue ?? 1000)) {
      this.queue.shift();
      this.dropped++;
    }
    this.schedule(this.failures ? Math.min(30_000, 500 * 2 ** this.failures) : 100);
  }

  private schedule(ms: number): void {
    if (this.timer || this.busy || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    if (this.busy || !this.queue.length) return;
    this.busy = true;
    const batch = this.queue.splice(0, 100);
    try {
      if (!this.pool) {
        this.pool = createPool({ url: this.o.url, connectTimeoutMs: this.o.connectTimeoutMs, poolSize: 1 });
        (this.pool as unknown as NodeJS.EventEmitter).on('error', () => undefined);
      }
      await this.pool.batch('INSERT INTO logs (ts, level, actor, msg, data) VALUES (?, ?, ?, ?, ?)', batch.map((r) => [r.ts, r.level, r.actor, r.msg, r.data]));
      this.written += batch.length;
      this.failures = 0;
      this.lastError = null;
    } catch (err) {
      this.queue.unshift(...batch);
      if (this.queue.length > (this.o.maxQueue ?? 1000)) this.dropped += this.queue.splice(0, this.queue.length - (this.o.maxQueue ?? 1000)).length;
      this.failures++;
      this.lastError = (err as Error).message.slice(0, 200);
    } finally {
      this.busy = false;
    }
    if (this.queue.length) this.schedule(this.failures ? Math.min(30_000, 500 * 2 ** this.failures) : 0);
  }

  /** Writes what is queued (bounded by `timeoutMs`), then releases the connection. */
  async close(timeoutMs = 1000): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length || this.busy) && Date.now() < deadline && this.failures < 2) {
      if (this.busy) await new Promise((r) => setTimeout(r, 10));
      else await Promise.race([this.flush(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
    }
    this.closed = true;
    await this.pool?.end().catch(() => undefined);
  }
}
