// The execution machine's input from config: traded symbols, account-wide entry limits (risk.*) and loop timing.
// Guarantees one place builds it for the daemon, the backtest and the tests, so the limits are the same everywhere.
import type { EntryLimits, ExecutionInput } from '../../machines/execution.machine.js';
import type { Config } from '../config/schema.js';

export const entryLimits = (c: Config): EntryLimits => ({
  maxPositions: c.risk.maxPositions, maxPerSector: c.risk.maxPerSector, sectors: c.risk.sectors, leverage: c.risk.leverage,
});

export function executionInput(c: Config, now: () => number, timing: Pick<ExecutionInput, 'loopMs' | 'idleLoopMs' | 'reconcileTimeoutMs'>): ExecutionInput {
  return { symbols: c.symbols, limits: entryLimits(c), now, ...timing };
}
