// `bosun learning list|history|disable|enable|reset`: see and reverse what the learning loop learned (learning_insights).
// Changes are logged in learning_history; a running daemon is told to reload them.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { NotRunningError, request } from '../../control/socket.js';
import { BosunError } from '../../errors.js';
import { fromRoot } from '../../paths.js';
import { createPool, safeDbUrl, unreachable, type Pool } from '../../store/pool.js';
import { listInsights, resetScope, setInsightStatus } from '../../store/repos/learning.js';
import { configOf, type CliContext } from '../shared.js';

type Opts = { config?: string; scope?: string; json?: boolean };

async function withDb<T>(o: Opts, fn: (pool: Pool, config: Config, scope: string) => Promise<T>): Promise<T> {
  const { config } = loadConfig(configOf(o.config));
  const pool = createPool({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 2 });
  try {
    await pool.query('SELECT 1').catch((err: Error) => {
      throw unreachable(config.db.url, err);
    });
    return await fn(pool, config, o.scope ?? config.decision.strategy);
  } catch (err) {
    if ((err as { errno?: number }).errno === 1146) throw new BosunError(`${safeDbUrl(config.db.url)} has no learning tables yet: run \`bosun migrate${o.config ? ` -c ${o.config}` : ''}\` first`);
    throw err;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** Tells a running daemon's decision actor to re-read the insights; fine when no daemon runs. */
async function reload(config: Config): Promise<string> {
  try {
    await request(fromRoot(config.control.socketPath), 'command', { actor: 'decision', name: 'learning.reload' });
    return 'the running daemon reloaded its insights';
  } catch (err) {
    if (err instanceof NotRunningError) return 'no daemon running; applied at its next start';
    return `the daemon did not reload: ${(err as Error).message}`;
  }
}

export function register(program: Command, _ctx: CliContext): void {
  const cmd = program.command('learning').description('what the learning loop learned: patterns (Wilson intervals) and signal weights');
  const common = (c: Command) => c.option('-c, --config <file>', 'config file').option('--scope <strategy>', 'strategy preset (default: the configured one)');

  common(cmd.command('list').description('every insight with its samples, interval, action, multiplier and status').option('--json', 'machine-readable output'))
    .action((o: Opts) => withDb(o, async (pool, _config, scope) => {
      const rows = await listInsights(pool, scope);
      if (o.json) return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      if (!rows.length) return void process.stdout.write(`no insights for ${scope} yet (learning.enabled must be true and trades must have closed)\n`);
      for (const r of rows) {
        const ci = r.ci_lo === null ? '' : ` CI ${Number(r.ci_lo).toFixed(3)}–${Number(r.ci_hi).toFixed(3)}`;
        process.stdout.write(`${r.status.padEnd(8)} ${r.pattern_key.padEnd(32)} n=${String(r.sample_count).padEnd(4)} wins=${String(r.wins).padEnd(4)}${ci.padEnd(18)} ${r.action.padEnd(6)} ×${Number(r.multiplier).toFixed(4)}\n`);
      }
    }));

  common(cmd.command('history <key>').description('every change of one insight, oldest first'))
    .action((key: string, o: Opts) => withDb(o, async (pool, _config, scope) => {
      const rows = await pool.query<Array<{ ts: number; old_action: string | null; new_action: string; old_multiplier: string | null; new_multiplier: string; old_status: string | null; new_status: string; why: string }>>(
        'SELECT ts, old_action, new_action, old_multiplier, new_multiplier, old_status, new_status, why FROM learning_history WHERE scope = ? AND pattern_key = ? ORDER BY id', [scope, key]);
      for (const r of rows) {
        process.stdout.write(`${new Date(Number(r.ts)).toISOString()}  ${r.old_status ?? '-'}/${r.old_action ?? '-'} ×${r.old_multiplier ?? '-'} → ${r.new_status}/${r.new_action} ×${r.new_multiplier}  (${r.why})\n`);
      }
    }));

  for (const [name, status] of [['disable', 'DISABLED'], ['enable', 'ACTIVE']] as const) {
    common(cmd.command(`${name} <key>`).description(name === 'disable' ? 'stop applying one insight (its statistics keep updating)' : 'apply a disabled insight again'))
      .action((key: string, o: Opts) => withDb(o, async (pool, config, scope) => {
        if (!(await setInsightStatus(pool, scope, key, status, Date.now(), config.decision.learning.minTrades))) {
          throw new BosunError(`no insight "${key}" for ${scope}; see \`bosun learning list\``);
        }
        process.stdout.write(`${key}: ${name}d; ${await reload(config)}\n`);
      }));
  }

  common(cmd.command('reset').description('disable every insight of the strategy: weights back to base, no pattern applied (reversible with enable)'))
    .action((o: Opts) => withDb(o, async (pool, config, scope) => {
      const n = await resetScope(pool, scope, Date.now());
      process.stdout.write(`${n} insight(s) of ${scope} disabled; ${await reload(config)}\n`);
    }));
}
