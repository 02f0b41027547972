// `bosun status`: everything an operator asks first, from the running daemon over its control socket.
// Guarantees the exit code: 0 healthy, 1 degraded (the reasons are listed), 2 not running.
import type { Command } from 'commander';
import { NotRunningError, request } from '../../control/socket.js';
import type { StatusDoc } from '../../daemon/status.js';
import { ExitCode } from '../../errors.js';
import { renderStatus } from '../format.js';
import { socketOf, type CliContext } from '../shared.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show the running daemon: mode, actors, exchange, DB, positions, equity, risk, last decision, notifications (exit 0 healthy, 1 degraded, 2 not running)')
    .option('-c, --config <file>', 'config file, to find the control socket')
    .option('--socket <path>', 'control socket path (overrides the config)')
    .option('--json', 'machine-readable output')
    .option('--watch [seconds]', 'refresh every N seconds (default 2)')
    .action(async (o: { config?: string; socket?: string; json?: boolean; watch?: string | boolean }) => {
      const socket = socketOf(o);
      const once = async () => {
        let s: StatusDoc;
        try {
          s = (await request(socket, 'status')) as StatusDoc;
        } catch (err) {
          // Scripts always get a document: a daemon that is not running is an answer, not an error.
          if (!(err instanceof NotRunningError) || !o.json) throw err;
          process.stdout.write(JSON.stringify({ running: false, healthy: false, socket, error: err.message }, null, o.watch ? 0 : 2) + '\n');
          return ExitCode.notRunning;
        }
        // With --watch, --json prints one compact document per line (NDJSON) for scripts that follow it.
        process.stdout.write((o.json ? JSON.stringify({ running: true, ...s }, null, o.watch ? 0 : 2) : renderStatus(s)) + '\n');
        return s.healthy ? ExitCode.ok : ExitCode.failure;
      };
      if (!o.watch) {
        ctx.code = await once();
        return;
      }
      const every = typeof o.watch === 'string' && Number(o.watch) > 0 ? Number(o.watch) * 1000 : 2000;
      for (;;) {
        if (!o.json) process.stdout.write('\x1b[2J\x1b[H');
        ctx.code = await once();
        await new Promise((r) => setTimeout(r, every));
      }
    });
}
