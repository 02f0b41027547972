// Progress bars for long CLI work (backtest, walk-forward, training, downloads): done / total, rate and ETA on stderr.
// Guarantees nothing at all is written unless stderr is a terminal, so piped and redirected runs stay quiet.
import { SingleBar } from 'cli-progress';

export interface Progress {
  /** Sets how far the work is; `total` may change (e.g. once it is known). */
  update(done: number, total?: number): void;
  /** Removes the bar (the command's own output follows). */
  stop(): void;
}

const QUIET: Progress = { update: () => undefined, stop: () => undefined };

const fmtRate = (r: number): string => (r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2));

/** A bar labelled `label`, counting `unit`s (e.g. "candles"), or a silent stand-in when stderr is not a terminal. */
export function progressBar(label: string, unit: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || process.env.BOSUN_PROGRESS === 'off') return QUIET;
  const bar = new SingleBar({
    stream, format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
    barsize: 24, hideCursor: true, clearOnComplete: true, fps: 8, etaBuffer: 50, etaAsynchronousUpdate: true,
  });
  const t0 = Date.now();
  let started = false;
  let last = 0;
  let all = total;
  return {
    update(done, t) {
      all = t ?? all;
      const rate = { rate: fmtRate(done / Math.max(0.001, (Date.now() - t0) / 1000)) };
      if (!started) {
        bar.start(all, done, rate);
        started = true;
      } else {
        if (all !== bar.getTotal()) bar.setTotal(all);
        bar.update(done, rate);
      }
      last = done;
    },
    stop() {
      if (started) {
        bar.update(last);
        bar.stop();
        started = false; // a later update() draws it again (below a line the command printed meanwhile)
      }
    },
  };
}
