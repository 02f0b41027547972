// `bosun doctor`: one line per check (config, DB, migrations, keys, exchange, clock); exits 1 on any failure.
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { fromRoot } from '../../paths.js';
import { configOf, type CliContext } from '../shared.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check config, database, migrations, keys, exchange and clock offset; one line each, exit 1 on any failure')
    .option('-c, --config <file>', 'config file (default config/paper.json or $BOSUN_CONFIG)')
    .option('--supervisor <file>', 'supervisor config', fromRoot('supervisor.config.json'))
    .action(async (o: { config?: string; supervisor: string }) => {
      const { runDoctor } = await import('../../ops/doctor.js');
      const ok = await runDoctor({ configFile: configOf(o.config), supervisorFile: o.supervisor, env: process.env }, (l) =>
        process.stdout.write(`${l.status.padEnd(4)}  ${l.name.padEnd(10)}  ${l.detail}\n`),
      );
      ctx.code = ok ? ExitCode.ok : ExitCode.failure;
    });
}
