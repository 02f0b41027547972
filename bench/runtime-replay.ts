// The six-worker runtime's replay throughput: the real daemon (`bosun run`, paper, embedded venue replaying the
// candles with `venue.matching: "bars"`) on the lockstep clock (`clock.pace: "lockstep"`: the venue trades the next bar
// as soon as every actor is idle, so this is as fast as the runtime can go without falling behind), every candle
// snapshotted and decided. Guarantees the figure is wall time between the daemon's first and last decision (start-up
// excluded), in candles/s, counting only the replayed bars: decisions on the history (the warm-up decides on it at
// start, in a burst) are left out.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Candle } from '../src/protocol/index.js';
import { tempDir } from '../test/helpers/config.js';
import { startDaemon } from '../test/helpers/daemon.js';
import { createTestDb } from '../test/helpers/db.js';

const MINUTE = 60_000;
/** Lockstep does not follow the wall: speed only scales wall-denominated durations (the feed's watchdog). */
const SPEED = 400;

export interface RuntimeReplay {
  candles: number;
  wallMs: number;
  decisions: number;
  pace: 'lockstep';
}

/** Replays `candles` (the first `history` only serve as the venue's history and the analytics warm-up). */
export async function runtimeReplay(candles: Candle[], history: number, strategy: string): Promise<RuntimeReplay> {
  const dir = tempDir('bench-runtime');
  const csv = join(dir, 'replay.csv');
  writeFileSync(csv, `open_time,open,high,low,close,volume\n${candles.map((c) => `${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`);
  const db = await createTestDb('benchrt');
  const last = candles.at(-1)!.openTime + MINUTE;
  const d = startDaemon({
    dbUrl: db.url, dir, env: { BOSUN_LOG_FORMAT: 'json' },
    overrides: {
      symbols: [candles[0]!.symbol], clock: { speed: SPEED, pace: 'lockstep' }, log: { level: 'warn' },
      reconciler: { confirmMs: 20 },
      decision: { strategy },
      // Every candle is analysed and every 5-minute snapshot decided, however late it reaches the analytics worker.
      analytics: { warmupCandles: history, fullSnapshotSec: 300, catchUpSec: null },
      venue: { matching: 'bars', market: { source: 'replay_csv', files: { [candles[0]!.symbol]: csv }, dbUrl: null }, historyMinutes: history },
    },
  });
  try {
    await d.waitRunning(120_000);
    const replayStart = candles[history]!.openTime;
    const q = async () => (await db.pool.query<Array<{ n: number; lo: number | null; hi: number | null }>>('SELECT COUNT(*) AS n, MIN(ts) AS lo, MAX(ts) AS hi FROM decisions WHERE ts >= ?', [replayStart]))[0]!;
    let firstAt = 0;
    let r = await q();
    for (const deadline = Date.now() + 900_000; Date.now() < deadline; r = await q()) {
      if (!firstAt && Number(r.n) > 0) firstAt = Date.now();
      if (r.hi !== null && Number(r.hi) >= last - 300_000) break;
      if (d.proc.exitCode !== null) throw new Error(`daemon exited: ${d.output().slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const wallMs = Date.now() - firstAt;
    return { candles: (Number(r.hi) - Number(r.lo)) / MINUTE, wallMs, decisions: Number(r.n), pace: 'lockstep' };
  } finally {
    await d.stop();
    await db.drop();
  }
}
