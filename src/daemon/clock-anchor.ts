// Where simulated time starts: the wall clock for live modes; for accelerated paper, where it stopped.
// Guarantees paper time never runs backwards across restarts (candles stay strictly increasing).
import type { Pool } from 'mariadb';
import type { ScaledClockSpec } from '../clock/clock.js';
import { getMeta, setMeta } from '../store/repos/meta.js';

export const ANCHOR_KEY = 'clock.sim_now';

export async function clockSpecFor(pool: Pool, speed: number, wallNow = Date.now()): Promise<ScaledClockSpec> {
  if (speed === 1) return { simStart: wallNow, wallStart: wallNow, speed: 1 };
  const anchor = Number((await getMeta(pool, ANCHOR_KEY)) ?? 0);
  const rows = await pool.query<Array<{ t: number | null }>>("SELECT MAX(open_time) + 60000 AS t FROM candles WHERE tf = '1m'");
  const lastCandle = rows[0]?.t ?? 0;
  const resume = Math.max(anchor, lastCandle);
  return { simStart: resume > 0 ? resume : wallNow, wallStart: wallNow, speed };
}

export async function saveAnchor(pool: Pool, simNow: number): Promise<void> {
  await setMeta(pool, ANCHOR_KEY, String(simNow), simNow);
}
