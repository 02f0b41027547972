// Trading session and hour of day from a UTC time.
// Guarantees every UTC hour maps to exactly one session (Asia 00–07, Europe 08–13, US 14–23).
import type { Session } from '../protocol/index.js';

export const hourUtc = (ts: number): number => new Date(ts).getUTCHours();

export function sessionAt(ts: number): Session {
  const h = hourUtc(ts);
  if (h < 8) return 'asia';
  if (h < 14) return 'europe';
  return 'us';
}
