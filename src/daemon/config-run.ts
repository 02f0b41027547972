// The daemon's record of which config it runs (config_runs: the paper/testnet track record a mainnet promotion needs),
// and the mainnet guard: a config never promoted to mainnet does not start. Guarantees the refusal names the config
// hash, the last refused request's reasons, and the commands that promote it.
import type { Pool } from 'mariadb';
import { configIdentity } from '../backtest/config-hash.js';
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { passedPromotion, startConfigRun, touchConfigRun } from '../store/repos/backtest.js';

export async function requireMainnetPromotion(pool: Pool, config: Config, file: string): Promise<void> {
  if (config.mode !== 'mainnet') return;
  const id = configIdentity(config);
  if (await passedPromotion(pool, 'mainnet', id.hash)) return;
  const [last] = await pool.query<Array<{ id: number; reasons: unknown }>>(
    "SELECT id, reasons FROM promotions WHERE target = 'mainnet' AND config_hash = ? ORDER BY id DESC LIMIT 1", [id.hash]);
  const reasons = last ? (typeof last.reasons === 'string' ? (JSON.parse(last.reasons) as string[]) : (last.reasons as string[])) : [];
  throw new ConfigError(
    `refusing to start on MAINNET: ${file} (strategy ${id.strategy}, config ${id.hash.slice(0, 12)}) was never promoted to mainnet` +
      (last ? `; promotion request #${last.id} was refused: ${reasons.join('; ')}` : '') +
      `. Backtest and walk-forward this exact config, then \`bosun promote --config ${file} --to mainnet\` (an edit after a promotion changes the hash and needs a new one).`,
  );
}

/** Records this start in config_runs and keeps its last-seen time fresh; `stop` writes the final time. */
export async function recordConfigRun(pool: Pool, config: Config, clock: Clock, log: Pick<Logger, 'warn'>): Promise<{ stop(): Promise<void> }> {
  const id = configIdentity(config);
  const run = await startConfigRun(pool, { configHash: id.hash, strategyHash: id.strategyHash, strategy: id.strategy, mode: config.mode, clockNow: clock.now(), wallNow: Date.now() });
  const touch = () => touchConfigRun(pool, run, clock.now(), Date.now());
  const timer = setInterval(() => touch().catch((err: Error) => log.warn({ err: err.message }, 'config run heartbeat failed')), 5000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await touch().catch(() => undefined);
    },
  };
}
