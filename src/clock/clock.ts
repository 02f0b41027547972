// The one source of time for machines and effects: wall, scaled (accelerated paper), lockstep (replay) and simulated.
// Guarantees: timers fire in due-time order, and a SimClock (or SharedClock) reads exactly the due time inside a timer.
import { LockstepCell, lockstepWork } from './lockstep.js';
import { SharedClock } from './shared-clock.js';
import { TimerQueue } from './timer-queue.js';

export interface Clock {
  /** Milliseconds since the Unix epoch, in this clock's time. */
  now(): number;
  /** Schedules `fn` after `ms` of this clock's time. Shape matches XState's `clock` option. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export class WallClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): unknown {
    return globalThis.setTimeout(fn, Math.max(0, ms));
  }
  clearTimeout(handle: unknown): void {
    globalThis.clearTimeout(handle as NodeJS.Timeout);
  }
}

/** Parameters every worker needs to compute the same accelerated time from its own wall clock. */
export interface ScaledClockSpec {
  /** Clock time at `wallStart`. */
  simStart: number;
  wallStart: number;
  speed: number;
  /**
   * Lockstep replay (paper, `clock.pace: "lockstep"`): the shared cell every thread reads time from; simStart, wallStart
   * and speed are then informative only (speed still converts wall-denominated durations such as watchdogs).
   */
  lockstep?: SharedArrayBuffer;
}

/** Clock time runs `speed` times faster than the wall; all workers sharing a spec agree on now(). */
export class ScaledClock implements Clock {
  constructor(readonly spec: ScaledClockSpec) {}
  now(): number {
    return Math.floor(this.spec.simStart + (Date.now() - this.spec.wallStart) * this.spec.speed);
  }
  setTimeout(fn: () => void, ms: number): unknown {
    return globalThis.setTimeout(fn, Math.max(0, ms / this.spec.speed));
  }
  clearTimeout(handle: unknown): void {
    globalThis.clearTimeout(handle as NodeJS.Timeout);
  }
}

export function clockFromSpec(spec: ScaledClockSpec): Clock {
  if (spec.lockstep) {
    // One cell per thread: this thread's hand-overs (bus messages, effects) are counted in it from now on.
    const cell = lockstepWork.cell?.sab === spec.lockstep ? lockstepWork.cell : new LockstepCell(spec.lockstep);
    lockstepWork.install(cell);
    return new SharedClock(cell);
  }
  return spec.speed === 1 && spec.simStart === spec.wallStart ? new WallClock() : new ScaledClock(spec);
}

/** Simulated time that only moves when told to; used by unit tests and backtests. */
export class SimClock implements Clock {
  private t: number;
  private readonly timers = new TimerQueue();

  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    return this.timers.add(this.t + Math.max(0, ms), fn);
  }
  clearTimeout(handle: unknown): void {
    this.timers.remove(handle);
  }
  /** Number of timers still scheduled. */
  get pending(): number {
    return this.timers.size;
  }
  /** Due time of the earliest timer, or undefined. */
  nextDue(): number | undefined {
    return this.timers.nextDue();
  }
  /** Moves time forward to `target`, firing each timer at its own due time, in order (FIFO on ties). */
  advanceTo(target: number): void {
    if (target < this.t) throw new RangeError(`SimClock cannot go back from ${this.t} to ${target}`);
    for (let next = this.timers.takeDue(target); next; next = this.timers.takeDue(target)) {
      this.t = next.due;
      next.fn();
    }
    this.t = target;
  }
  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }
}
