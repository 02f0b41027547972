// The daemon's start-up check of the exchange account (position mode, leverage brackets, margin type), bounded in time.
// Guarantees: a refusal (ConfigError, exit 78) stops the start before any actor runs; an exchange that cannot be reached
// in time is a warning (execution's reconciliation and health handle an unreachable exchange as they always do).
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { checkAccount, type AccountReport } from '../exchange/account-check.js';
import { gatewayFromConfig } from '../exchange/from-config.js';
import type { Logger } from '../log/logger.js';

export async function startupAccountCheck(config: Config, clock: Clock, log: Logger, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<AccountReport | null> {
  const gw = gatewayFromConfig(config, { now: () => clock.now(), log, private: true, env });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      checkAccount(gw, config, log),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    log.warn({ err: (err as Error).message }, 'the exchange account could not be checked at start; execution reconciles before trading');
    return null;
  } finally {
    clearTimeout(timer);
    await gw.close().catch(() => undefined);
  }
}
