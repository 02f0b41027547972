// Stored AI swarm consensus in a backtest: each symbol's records become the analytics machine's timeline for it (each
// counts from the moment it was made, never earlier), and the result names how many there were and their sha256.
// Guarantees no records → nothing changes (the ai_consensus source is unavailable, the result bytes are as before), and
// one symbol's records hash as they always did (several: over every symbol's, in the order the symbols are given).
import { createHash } from 'node:crypto';
import type { AnalyticsInput } from '../../machines/analytics.machine.js';
import type { AiConsensusView } from '../protocol/index.js';
import { canonical } from './config-hash.js';

export function aiInputs(series: Array<{ symbol: string; ai?: AiConsensusView[] | undefined }>): { input: Pick<AnalyticsInput, 'ai'>; result: { ai?: { records: number; sha256: string } } } {
  const withRecords = series.filter((s) => s.ai?.length);
  if (!withRecords.length) return { input: {}, result: {} };
  const records = withRecords.flatMap((s) => s.ai!);
  return {
    input: { ai: Object.fromEntries(withRecords.map((s) => [s.symbol, s.ai!])) },
    result: { ai: { records: records.length, sha256: createHash('sha256').update(canonical(records)).digest('hex') } },
  };
}
