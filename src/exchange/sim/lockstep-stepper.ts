// The stepper of a lockstep replay, in the venue's thread: moves the shared clock bar by bar, each step only once every
// actor is idle. Guarantees the backtest's order per bar (src/backtest/engine.ts): timers due by the close fire and
// settle; the venue trades the bar and its fills settle; the mark and the closed kline go out and settle; then the next.
import type { LockstepCell } from '../../clock/lockstep.js';
import type { Logger } from '../../log/logger.js';
import type { Venue } from './venue.js';

export interface Stepper {
  readonly stats: { bars: number; firstAt: number | null; lastAt: number | null; done: boolean };
  stop(): void;
}

export function startStepper(venue: Venue, cell: LockstepCell, log: Logger): Stepper {
  let stopped = false;
  const stats: Stepper['stats'] = { bars: 0, firstAt: null, lastAt: null, done: false };
  // No quiet-period heuristic: a step waits for the count of work in flight to reach 0, however long that takes; a
  // warning says so when it takes more than 30 s of wall time (a leak or a hung actor).
  const quiet = (what: string) => cell.quiet((inflight) => log.warn({ inflight, at: new Date(cell.now()).toISOString(), what }, 'lockstep: still waiting for the actors to settle'));
  const loop = async () => {
    await cell.started();
    log.info({ at: new Date(cell.now()).toISOString() }, 'lockstep replay starting');
    for (;;) {
      await quiet('before the next bar');
      const t = venue.nextBarClose();
      if (stopped || t === null) break;
      cell.advance(t);
      await quiet('timers due by the bar close');
      await venue.tradeBar(t);
      await quiet('the bar\'s fills');
      venue.releaseFrames();
      stats.bars++;
      stats.firstAt ??= Date.now();
      stats.lastAt = Date.now();
    }
    stats.done = true;
    if (!stopped) log.info({ bars: stats.bars, at: new Date(cell.now()).toISOString(), wallMs: stats.firstAt && stats.lastAt ? stats.lastAt - stats.firstAt : 0 }, 'lockstep replay reached the end of its market');
  };
  loop().catch((err: Error) => log.error({ err: err.message }, 'lockstep stepper failed; the replay stops here'));
  return { stats, stop: () => (stopped = true) };
}
