// The timers of a clock whose time moves only when told to (SimClock, SharedClock): kept by due time.
// Guarantees the earliest due timer is taken first and timers due at the same time in the order they were set.

export interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export class TimerQueue {
  private seq = 0;
  private timers: Timer[] = [];

  /** Schedules `fn` at `due`; returns its handle. */
  add(due: number, fn: () => void): number {
    const timer = { id: ++this.seq, due, fn };
    this.timers.push(timer);
    return timer.id;
  }

  /** Cancels a timer; false when the handle is not (or no longer) scheduled. */
  remove(handle: unknown): boolean {
    const n = this.timers.length;
    this.timers = this.timers.filter((x) => x.id !== handle);
    return this.timers.length !== n;
  }

  clear(): void {
    this.timers = [];
  }

  get size(): number {
    return this.timers.length;
  }

  /** Due time of the earliest timer, or undefined. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const x of this.timers) if (min === undefined || x.due < min) min = x.due;
    return min;
  }

  /** Removes and returns the earliest timer due by `target` (FIFO on ties), or undefined when none is. */
  takeDue(target: number): Timer | undefined {
    let next: Timer | undefined;
    for (const x of this.timers) if (x.due <= target && (!next || x.due < next.due || (x.due === next.due && x.id < next.id))) next = x;
    if (next) this.timers = this.timers.filter((x) => x !== next);
    return next;
  }
}
