// `bosun migrate`: create the database if needed and apply pending migrations.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { prepareDatabase } from '../../store/migrate.js';
import { safeDbUrl } from '../../store/pool.js';
import { configOf, type CliContext } from '../shared.js';

export function register(program: Command, _ctx: CliContext): void {
  program
    .command('migrate')
    .description('create the database if needed and apply pending migrations')
    .option('-c, --config <file>', 'config file')
    .action(async (o: { config?: string }) => {
      const { config } = loadConfig(configOf(o.config));
      const r = await prepareDatabase(config.db.url, config.mode, config.db.connectTimeoutMs);
      process.stdout.write(`${safeDbUrl(config.db.url)}: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'} (schema version ${r.current}, mode ${config.mode})\n`);
    });
}
