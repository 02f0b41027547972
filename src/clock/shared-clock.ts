// The Clock of a lockstep replay: reads the stepped time of the shared cell; its timers fire when the stepper moves
// time to or past their due time. Guarantees SimClock's semantics in every thread: timers fire in due-time order (FIFO
// on ties), now() reads exactly the due time inside a timer, and a timer never fires before time has moved past now.
import type { Clock } from './clock.js';
import { waitAsync, type LockstepCell } from './lockstep.js';
import { TimerQueue } from './timer-queue.js';

export class SharedClock implements Clock {
  private readonly slot: number;
  private readonly timers = new TimerQueue();
  private firing: number | null = null;
  private closed = false;

  constructor(readonly cell: LockstepCell) {
    this.slot = cell.register();
    void this.watch();
  }

  now(): number {
    return this.firing ?? this.cell.now();
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.timers.add(this.now() + Math.max(0, ms), fn);
    this.publish();
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (this.timers.remove(handle)) this.publish();
  }

  /** Releases the slot (a stopping thread owes the stepper nothing more). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timers.clear();
    this.cell.unregister(this.slot);
  }

  private publish(): void {
    this.cell.setDue(this.slot, this.timers.nextDue() ?? null);
  }

  private async watch(): Promise<void> {
    const idx = this.cell.owedIndex(this.slot);
    while (!this.closed) {
      const r = waitAsync(this.cell.i32, idx, 0);
      if (r.async) await r.value;
      if (this.closed || !this.cell.takeOwed(this.slot)) continue;
      try {
        this.fire(this.cell.now());
      } finally {
        // Lowered after whatever the timers started has been counted.
        const c = this.cell;
        setImmediate(() => c.end());
      }
    }
  }

  private fire(target: number): void {
    for (let next = this.timers.takeDue(target); next; next = this.timers.takeDue(target)) {
      this.firing = next.due;
      try {
        next.fn();
      } finally {
        this.firing = null;
      }
    }
    this.publish();
  }
}
