// `bosun config check`: validate a config file and the supervisor config.
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { fromRoot } from '../../paths.js';
import { loadSupervisorSpec } from '../../supervisor/spec.js';
import { configOf, type CliContext } from '../shared.js';

export function register(program: Command, _ctx: CliContext): void {
  const cfg = program.command('config').description('configuration tools');
  cfg
    .command('check [file]')
    .description('validate a config file (and the supervisor config); exits non-zero on any error')
    .option('--supervisor <file>', 'supervisor config', fromRoot('supervisor.config.json'))
    .action(async (file: string | undefined, o: { supervisor: string }) => {
      const f = configOf(file);
      const { config, files } = loadConfig(f);
      loadSupervisorSpec(o.supervisor);
      process.stdout.write(`${f}: valid (${config.mode} mode, ${config.exchange.environment} on ${config.exchange.venue}, symbols ${config.symbols.join(', ')}; merged ${files.length} file${files.length > 1 ? 's' : ''})\n`);
    });
}
