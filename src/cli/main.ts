// The bosun command line. Each command lives in src/cli/commands/<name>.ts and registers itself here.
// Guarantees each failure class exits with its own code (see ExitCode) and one clear message on stderr.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { NotRunningError } from '../control/socket.js';
import { BosunError, ExitCode } from '../errors.js';
import * as aiCmd from './commands/ai.js';
import * as backtestCmd from './commands/backtest.js';
import * as configCmd from './commands/config.js';
import * as controlCmd from './commands/control.js';
import * as doctorCmd from './commands/doctor.js';
import * as inputCmd from './commands/input.js';
import * as learningCmd from './commands/learning.js';
import * as dataCmd from './commands/data.js';
import * as migrateCmd from './commands/migrate.js';
import * as optimizeCmd from './commands/optimize.js';
import * as promoteCmd from './commands/promote.js';
import * as runCmd from './commands/run.js';
import * as statusCmd from './commands/status.js';
import * as trainCmd from './commands/train.js';
import * as venueCmd from './commands/venue.js';
import * as walkforwardCmd from './commands/walkforward.js';
import * as workerCmd from './commands/worker.js';
import { fromRoot } from '../paths.js';
import { configOf, type CliContext } from './shared.js';
import { loadConfig } from '../config/load.js';
import type { EmbeddedDb } from '../store/embedded.js';

const COMMANDS = [runCmd, statusCmd, migrateCmd, configCmd, controlCmd, doctorCmd, inputCmd, learningCmd, venueCmd, dataCmd, backtestCmd, trainCmd, walkforwardCmd, promoteCmd, aiCmd, optimizeCmd, workerCmd];

/** One-shot commands that use the configured database: when it is local and down, they run on the embedded one. */
const DB_COMMANDS = new Set(['migrate', 'input', 'learning', 'data', 'backtest', 'train', 'walkforward', 'promote', 'ai', 'venue', 'optimize']);

async function main(argv: string[]): Promise<number> {
  const version = (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;
  const program = new Command('bosun').description('a trading daemon for crypto perpetual futures').version(version, '-V, --version', 'print the version and exit').exitOverride();
  const ctx: CliContext = { code: ExitCode.ok };
  for (const c of COMMANDS) c.register(program, ctx);
  let embedded: EmbeddedDb | null = null;
  program.hook('preAction', async (_program, action) => {
    let top: Command = action;
    while (top.parent && top.parent !== program) top = top.parent;
    if (!DB_COMMANDS.has(top.name())) return;
    const o = action.opts() as { config?: string; db?: string };
    let url: string;
    try {
      url = o.db ?? loadConfig(configOf(o.config)).config.db.url;
    } catch {
      return; // the command reports its own config error
    }
    const { ensureEmbeddedDb } = await import('../store/embedded.js');
    embedded = await ensureEmbeddedDb(url);
    if (embedded?.how === 'started') process.stderr.write(`bosun: nothing answered at ${embedded.host}:${embedded.port}: started the ${embedded.describe()} for this command\n`);
  });
  try {
    await program.parseAsync(argv);
    return ctx.code;
  } catch (err) {
    const e = err as { code?: string };
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
  } finally {
    await (embedded as EmbeddedDb | null)?.stop();
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
  // Give stdout a tick, then leave even if a library left a handle open.
  setTimeout(() => process.exit(code), 50).unref();
});
