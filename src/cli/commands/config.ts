// `bosun config check`: validate a config file and the supervisor config.
import type { Command } from 'commander';
import { databaseNameProblem, stampProblem } from '../../config/db-mode.js';
import { loadConfig } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { recordedMode } from '../../store/migrate.js';
import { parseDbUrl } from '../../store/pool.js';
import { fromRoot } from '../../paths.js';
import { loadSupervisorSpec } from '../../supervisor/spec.js';
import { configOf, type CliContext } from '../shared.js';

export function register(program: Command, _ctx: CliContext): void {
  const cfg = program.command('config').description('configuration tools');
  cfg
    .command('check [file]')
    .description('validate a config file (and the supervisor config) and its database\'s mode (name, and stamp when reachable); exits non-zero on any error')
    .option('--supervisor <file>', 'supervisor config', fromRoot('supervisor.config.json'))
    .action(async (file: string | undefined, o: { supervisor: string }) => {
      const f = configOf(file);
      const { config, files } = loadConfig(f);
      loadSupervisorSpec(o.supervisor);
      // The database must be this mode's: by name (mainnet) and by the mode it recorded. Reading it changes nothing.
      const named = databaseNameProblem(config);
      if (named) throw new ConfigError(`config: ${f}: ${named}`);
      const database = parseDbUrl(config.db.url).database;
      let stamp: string;
      try {
        const recorded = await recordedMode(config.db.url, Math.min(config.db.connectTimeoutMs, 3000));
        const bad = stampProblem(database, recorded, config.mode);
        if (bad) throw new ConfigError(`config: ${f}: db.url: ${bad}`);
        stamp = recorded === null ? `database ${database} not created or not stamped yet` : `database ${database} stamped ${recorded}`;
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        stamp = `database ${database} not reachable (${(err as Error).message.split('\n')[0]}): its mode stamp was not checked`;
      }
      process.stderr.write(`${stamp}\n`);
      process.stdout.write(`${f}: valid (${config.mode} mode, ${config.exchange.environment} on ${config.exchange.venue}, symbols ${config.symbols.join(', ')}; merged ${files.length} file${files.length > 1 ? 's' : ''})\n`);
    });
}
