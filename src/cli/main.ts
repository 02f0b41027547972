// The bosun command line: run, status, migrate, config check.
// Guarantees each failure class exits with its own code (see ExitCode) and one clear message on stderr.
import { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultConfigFile, loadConfig } from '../config/load.js';
import { NotRunningError, request } from '../control/socket.js';
import { runDaemon } from '../daemon/daemon.js';
import type { StatusDoc } from '../daemon/status.js';
import { BosunError, ExitCode } from '../errors.js';
import { fromRoot } from '../paths.js';
import { prepareDatabase } from '../store/migrate.js';
import { safeDbUrl } from '../store/pool.js';
import { loadSupervisorSpec } from '../supervisor/spec.js';
import { renderStatus } from './format.js';

const configOf = (file?: string) => resolve(file ?? process.env.BOSUN_CONFIG ?? defaultConfigFile('paper'));

async function main(argv: string[]): Promise<number> {
  const program = new Command('bosun').description('a trading daemon for crypto perpetual futures').exitOverride();
  let code: number = ExitCode.ok;

  program
    .command('run')
    .description('run the daemon in the foreground (systemd runs exactly this)')
    .option('-c, --config <file>', 'config file (default config/paper.json or $BOSUN_CONFIG)')
    .option('--supervisor <file>', 'supervisor config', fromRoot('supervisor.config.json'))
    .option('--confirm-mainnet', 'required to trade on mainnet (or BOSUN_CONFIRM_MAINNET=yes)')
    .action(async (o: { config?: string; supervisor: string; confirmMainnet?: boolean }) => {
      code = await runDaemon({ configFile: configOf(o.config), supervisorFile: o.supervisor, confirmMainnet: !!o.confirmMainnet });
    });

  program
    .command('status')
    .description('show the running daemon: actors, database, positions, equity')
    .option('-c, --config <file>', 'config file, to find the control socket')
    .option('--socket <path>', 'control socket path (overrides the config)')
    .option('--json', 'machine-readable output')
    .option('--watch [seconds]', 'refresh every N seconds (default 2)')
    .action(async (o: { config?: string; socket?: string; json?: boolean; watch?: string | boolean }) => {
      const socket = o.socket ? resolve(o.socket) : fromRoot(loadConfig(configOf(o.config)).config.control.socketPath);
      const once = async () => {
        const s = (await request(socket, 'status')) as StatusDoc;
        process.stdout.write((o.json ? JSON.stringify(s, null, 2) : renderStatus(s)) + '\n');
        return s.healthy ? ExitCode.ok : ExitCode.failure;
      };
      if (!o.watch) {
        code = await once();
        return;
      }
      const every = typeof o.watch === 'string' ? Number(o.watch) * 1000 : 2000;
      for (;;) {
        if (!o.json) process.stdout.write('\x1b[2J\x1b[H');
        code = await once();
        await new Promise((r) => setTimeout(r, every));
      }
    });

  for (const cmd of ['pause', 'resume'] as const) {
    program
      .command(cmd)
      .description(cmd === 'pause' ? 'stop opening positions (protection stays active)' : 'allow new positions again')
      .option('-c, --config <file>', 'config file, to find the control socket')
      .action(async (o: { config?: string }) => {
        await request(fromRoot(loadConfig(configOf(o.config)).config.control.socketPath), cmd);
        process.stdout.write(`${cmd}d\n`);
      });
  }

  program
    .command('migrate')
    .description('create the database if needed and apply pending migrations')
    .option('-c, --config <file>', 'config file')
    .action(async (o: { config?: string }) => {
      const { config } = loadConfig(configOf(o.config));
      const r = await prepareDatabase(config.db.url, config.mode, config.db.connectTimeoutMs);
      process.stdout.write(`${safeDbUrl(config.db.url)}: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'} (schema version ${r.current}, mode ${config.mode})\n`);
    });

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

  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code?.startsWith('commander.')) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? ExitCode.ok : ExitCode.usage;
    if (err instanceof NotRunningError) {
      process.stderr.write(`${err.message}\n`);
      return ExitCode.notRunning;
    }
    if (err instanceof BosunError) {
      process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`bosun: ${(err as Error).stack ?? String(err)}\n`);
    return ExitCode.failure;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
  // Give stdout a tick, then leave even if a library left a handle open.
  setTimeout(() => process.exit(code), 50).unref();
});
