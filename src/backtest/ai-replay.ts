// Stored AI swarm consensus in a backtest: the records become the analytics machine's timeline (each counts from the
// moment it was made, never earlier), and the result names how many there were and their sha256.
// Guarantees no records → nothing changes (the ai_consensus source is unavailable, the result bytes are as before).
import { createHash } from 'node:crypto';
import type { AnalyticsInput } from '../../machines/analytics.machine.js';
import type { AiConsensusView } from '../protocol/index.js';
import { canonical } from './config-hash.js';

export function aiInputs(symbol: string, records: AiConsensusView[] | undefined): { input: Pick<AnalyticsInput, 'ai'>; result: { ai?: { records: number; sha256: string } } } {
  if (!records?.length) return { input: {}, result: {} };
  return {
    input: { ai: { [symbol]: records } },
    result: { ai: { records: records.length, sha256: createHash('sha256').update(canonical(records)).digest('hex') } },
  };
}
