// Buffers rows and writes them in batches; on failure keeps them and retries with backoff.
// Guarantees: rows are written in the order queued, none is dropped while the process lives, and
// `flush()` resolves only when everything queued before it is written (or throws after `flushTimeoutMs`).
export interface BatchWriterOptions<T> {
  write: (rows: T[]) => Promise<void>;
  maxBatch: number;
  flushMs: number;
  /** Called with an error when a write fails, and with null when writes succeed again. */
  onHealth?: (err: Error | null) => void;
  maxBackoffMs?: number;
}

export class BatchWriter<T> {
  private buf: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private failures = 0;
  private closed = false;
  written = 0;

  constructor(private readonly o: BatchWriterOptions<T>) {}

  get pending(): number {
    return this.buf.length;
  }

  push(row: T): void {
    this.buf.push(row);
    if (this.buf.length >= this.o.maxBatch) this.kick(0);
    else this.kick(this.o.flushMs);
  }

  private kick(ms: number): void {
    if (this.closed || this.writing) return;
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, ms);
  }

  private drain(): Promise<void> {
    if (this.writing) return this.writing;
    if (!this.buf.length) return Promise.resolve();
    const batch = this.buf.slice(0, this.o.maxBatch);
    this.writing = this.o.write(batch).then(
      () => {
        this.buf.splice(0, batch.length);
        this.written += batch.length;
        if (this.failures) this.o.onHealth?.(null);
        this.failures = 0;
        this.writing = null;
        if (this.buf.length) this.kick(this.buf.length >= this.o.maxBatch ? 0 : this.o.flushMs);
      },
      (err: Error) => {
        this.failures++;
        this.o.onHealth?.(err);
        this.writing = null;
        const backoff = Math.min(this.o.maxBackoffMs ?? 10_000, 100 * 2 ** Math.min(this.failures, 10));
        this.kick(backoff);
      },
    );
    return this.writing;
  }

  /** Writes everything queued so far. */
  async flush(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length || this.writing) {
      if (Date.now() > deadline) throw new Error(`batch writer: ${this.buf.length} rows still unwritten after ${timeoutMs} ms`);
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      await (this.writing ?? this.drain());
      if (this.failures) await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(timeoutMs = 5000): Promise<void> {
    try {
      await this.flush(timeoutMs);
    } finally {
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
    }
  }
}
