// `bosun pause|resume|flatten|force-exit|kill-switch`: operator actions over the control socket (the same path Telegram uses).
// Guarantees each request names who sent it (the daemon records it with the time) and the exit code tells success.
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { request } from '../../control/socket.js';
import { ExitCode } from '../../errors.js';
import type { ActionResult, OperatorAction } from '../../ops/operator.js';
import { socketOf, type CliContext } from '../shared.js';

/** `cli:<user>@<host>`, naming the sudo caller too when there is one. */
export function cliIdentity(env: NodeJS.ProcessEnv = process.env): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? 'unknown';
  }
  const sudo = env.SUDO_USER && env.SUDO_USER !== user ? ` (sudo by ${env.SUDO_USER})` : '';
  return `cli:${user}${sudo}@${hostname()}`.slice(0, 128);
}

const DESCRIPTIONS: Record<OperatorAction, string> = {
  pause: 'stop opening positions (stops and targets stay active); survives restarts until resume',
  resume: 'allow new positions again (also releases the kill switch)',
  flatten: 'cancel entries, close every position at market (reduce-only), then cancel leftover stops/targets',
  'force-exit': 'the same as flatten for one symbol only: bosun force-exit BTC/USDT:USDT',
  'kill-switch': 'pause + flatten + halt execution; stays halted across restarts until `bosun resume`',
};

export function register(program: Command, ctx: CliContext): void {
  for (const action of Object.keys(DESCRIPTIONS) as OperatorAction[]) {
    const c = program
      .command(action === 'force-exit' ? 'force-exit <symbol>' : action)
      .description(DESCRIPTIONS[action])
      .option('-c, --config <file>', 'config file, to find the control socket')
      .option('--socket <path>', 'control socket path (overrides the config)')
      .option('--json', 'print the daemon\'s answer as JSON');
    if (action === 'kill-switch') c.option('--reason <text>', 'why (shown in status and on Telegram)');
    c.action(async (...argv: unknown[]) => {
      const symbol = action === 'force-exit' ? String(argv[0]) : undefined;
      const o = argv[action === 'force-exit' ? 1 : 0] as { config?: string; socket?: string; json?: boolean; reason?: string };
      const r = (await request(socketOf(o), action, { by: cliIdentity(), source: 'cli', ...(o.reason ? { reason: o.reason } : {}), ...(symbol ? { symbol } : {}) }, 90_000)) as ActionResult;
      if (o.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else {
        const extra = Object.entries(r.result).filter(([k]) => k !== 'ok').map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
        process.stdout.write(`${action} ${r.ok ? 'done' : 'INCOMPLETE'} by ${r.by}${r.recorded ? '' : ' (NOT recorded: the database is unreachable)'}${extra ? `: ${extra}` : ''}\n`);
      }
      ctx.code = r.ok ? ExitCode.ok : ExitCode.failure;
    });
  }
}
