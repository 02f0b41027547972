// `bosun run`: the daemon in the foreground (what systemd runs).
import type { Command } from 'commander';
import { fromRoot } from '../../paths.js';
import { configOf, type CliContext } from '../shared.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run the daemon in the foreground (systemd runs exactly this)')
    .option('-c, --config <file>', 'config file (default config/paper.json or $BOSUN_CONFIG)')
    .option('--supervisor <file>', 'supervisor config', fromRoot('supervisor.config.json'))
    .option('--confirm-mainnet', 'required to trade on mainnet (or BOSUN_CONFIRM_MAINNET=yes)')
    .action(async (o: { config?: string; supervisor: string; confirmMainnet?: boolean }) => {
      // Loaded on demand: the daemon pulls in everything; other commands stay quick to start.
      const { runDaemon } = await import('../../daemon/daemon.js');
      ctx.code = await runDaemon({ configFile: configOf(o.config), supervisorFile: o.supervisor, confirmMainnet: !!o.confirmMainnet });
    });
}
