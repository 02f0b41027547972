// Lockstep replay time shared by every thread of a paper daemon: one SharedArrayBuffer holds the clock, the count of
// work handed over and not yet done, and each thread's earliest timer. Guarantees: time moves only through advance()
// (the venue's stepper), the count is raised before work is handed over and lowered only after the receiver's
// synchronous reaction (so it never reads 0 while a reaction is under way), and quiet() resolves only at 0.

const INFLIGHT = 0;
const SLOTS = 1;
const GO = 2;
const SLOT_BASE = 8;
const MAX_SLOTS = 64;
/** Int32 cells: counters, then per slot [active, owed]. */
const I32_LEN = SLOT_BASE + 2 * MAX_SLOTS;
/** BigInt64 cells (after the Int32 ones): the time, then per slot its earliest timer's due time. */
const B64_OFFSET = I32_LEN * 4;
const NONE = BigInt(Number.MAX_SAFE_INTEGER);

type WaitResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
/** Atomics.waitAsync (Node ≥ 16; not in this TypeScript lib). */
export const waitAsync = (a: Int32Array, index: number, value: number, timeoutMs?: number): WaitResult =>
  (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t?: number): WaitResult }).waitAsync(a, index, value, timeoutMs);

export class LockstepCell {
  readonly i32: Int32Array;
  readonly b64: BigInt64Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab, 0, I32_LEN);
    this.b64 = new BigInt64Array(sab, B64_OFFSET, 1 + MAX_SLOTS);
  }

  static create(start = 0): SharedArrayBuffer {
    const sab = new SharedArrayBuffer(B64_OFFSET + 8 * (1 + MAX_SLOTS));
    const c = new LockstepCell(sab);
    c.setNow(start);
    for (let s = 0; s < MAX_SLOTS; s++) Atomics.store(c.b64, 1 + s, NONE);
    return sab;
  }

  now(): number {
    return Number(Atomics.load(this.b64, 0));
  }

  setNow(t: number): void {
    Atomics.store(this.b64, 0, BigInt(Math.floor(t)));
  }

  /** Work handed over (a message posted, a frame sent, an effect started): counted until end(). */
  begin(n = 1): void {
    Atomics.add(this.i32, INFLIGHT, n);
  }

  end(n = 1): void {
    if (Atomics.sub(this.i32, INFLIGHT, n) - n <= 0) Atomics.notify(this.i32, INFLIGHT);
  }

  get inflight(): number {
    return Atomics.load(this.i32, INFLIGHT);
  }

  /** Resolves once no work is in flight (or after `warnMs` of wall time, calling `onStall`, and then keeps waiting). */
  async quiet(onStall?: (inflight: number) => void, warnMs = 30_000): Promise<void> {
    let warned = false;
    const since = Date.now();
    for (;;) {
      const v = Atomics.load(this.i32, INFLIGHT);
      if (v <= 0) return;
      const r = waitAsync(this.i32, INFLIGHT, v, warned || !onStall ? undefined : warnMs);
      if (r.async && (await r.value) === 'timed-out' && Date.now() - since >= warnMs && !warned) {
        warned = true;
        onStall?.(Atomics.load(this.i32, INFLIGHT));
      }
    }
  }

  /** The daemon lets the stepper start once every actor is running. */
  go(): void {
    Atomics.store(this.i32, GO, 1);
    Atomics.notify(this.i32, GO);
  }

  async started(): Promise<void> {
    while (Atomics.load(this.i32, GO) === 0) {
      const r = waitAsync(this.i32, GO, 0);
      if (r.async) await r.value;
    }
  }

  /** A thread with clock timers takes a slot; its earliest due time is published there. */
  register(): number {
    const s = Atomics.add(this.i32, SLOTS, 1);
    if (s >= MAX_SLOTS) throw new RangeError(`lockstep clock: more than ${MAX_SLOTS} threads`);
    Atomics.store(this.b64, 1 + s, NONE);
    Atomics.store(this.i32, SLOT_BASE + 2 * s, 1);
    return s;
  }

  unregister(s: number): void {
    Atomics.store(this.i32, SLOT_BASE + 2 * s, 0);
    Atomics.store(this.b64, 1 + s, NONE);
    if (this.takeOwed(s)) this.end();
  }

  setDue(s: number, due: number | null): void {
    Atomics.store(this.b64, 1 + s, due === null || !Number.isFinite(due) ? NONE : BigInt(Math.floor(due)));
  }

  /** Index of the owed flag of slot `s` (a thread waits on it for its timers to be due). */
  owedIndex(s: number): number {
    return SLOT_BASE + 2 * s + 1;
  }

  takeOwed(s: number): boolean {
    return Atomics.exchange(this.i32, this.owedIndex(s), 0) === 1;
  }

  /**
   * The stepper moves time to `t`: every thread with a timer due by then owes one reaction (counted as work in flight
   * before time moves, lowered by the thread once its timers have fired) and is woken.
   */
  advance(t: number): void {
    const n = Atomics.load(this.i32, SLOTS);
    const woken: number[] = [];
    for (let s = 0; s < Math.min(n, MAX_SLOTS); s++) {
      if (Atomics.load(this.i32, SLOT_BASE + 2 * s) !== 1) continue;
      if (Atomics.load(this.b64, 1 + s) > BigInt(Math.floor(t))) continue;
      if (Atomics.exchange(this.i32, this.owedIndex(s), 1) === 0) {
        this.begin();
        woken.push(s);
      }
    }
    this.setNow(t);
    for (const s of woken) Atomics.notify(this.i32, this.owedIndex(s));
  }
}

let installed: LockstepCell | null = null;

/**
 * This thread's share in the lockstep count: hand-overs and effects whose outcome the replay must wait for. A no-op
 * outside lockstep (nothing installed), so live, testnet and scaled paper pay nothing.
 */
export const lockstepWork = {
  install(cell: LockstepCell): void {
    installed = cell;
  },
  get cell(): LockstepCell | null {
    return installed;
  },
  begin(n = 1): void {
    installed?.begin(n);
  },
  /** Lowers the count after this turn's synchronous work and microtasks (a reaction started now is counted first). */
  endSoon(n = 1): void {
    const c = installed;
    if (c) setImmediate(() => c.end(n));
  },
  /** Counts `p` until it settles (and the callbacks it resolves into have run). */
  track<T>(p: Promise<T>): Promise<T> {
    if (!installed) return p;
    installed.begin();
    const done = () => lockstepWork.endSoon();
    p.then(done, done);
    return p;
  },
  /** Counts from now until the returned function is first called (e.g. a connection until it opens or fails). */
  hold(): () => void {
    if (!installed) return () => undefined;
    installed.begin();
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      lockstepWork.endSoon();
    };
  },
};
