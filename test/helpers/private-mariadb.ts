// A private MariaDB server (its own datadir, port and socket) that a test may kill and restart, so a DB outage can be
// tested without touching the shared server on 127.0.0.1:3306. Guarantees the server is killed and its datadir removed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './config.js';
import { waitFor } from './wait.js';

export interface PrivateMariaDb {
  /** mariadb://root@127.0.0.1:<port> (append /<database>). */
  url: string;
  port: number;
  running(): boolean;
  /** Kills the server (SIGKILL: a crash, InnoDB recovers on start) or shuts it down (SIGTERM). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same datadir and port; resolves once it accepts connections. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

const MARIADBD = process.env.BOSUN_MARIADBD ?? '/usr/sbin/mariadbd';

export const privateMariaDbAvailable = () => existsSync(MARIADBD) && spawnSync('mariadb-install-db', ['--version']).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const user = () => (process.getuid?.() === 0 ? ['--user=root'] : []);

export async function startPrivateMariaDb(): Promise<PrivateMariaDb> {
  const dir = tempDir('mariadb');
  const datadir = join(dir, 'data');
  // --no-defaults: the host's my.cnf (user=mysql, log paths) must not leak into a throwaway server.
  const init = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${datadir}`, ...user(), '--auth-root-authentication-method=normal', '--skip-test-db'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stdout}${init.stderr}`);
  const port = await freePort();
  let proc: ChildProcess | null = null;
  let out = '';
  const ping = () => spawnSync('mariadb', ['--no-defaults', '-h127.0.0.1', `-P${port}`, '-uroot', '-e', 'SELECT 1'], { encoding: 'utf8' }).status === 0;
  const h: PrivateMariaDb = {
    url: `mariadb://root@127.0.0.1:${port}`,
    port,
    running: () => proc !== null && proc.exitCode === null && proc.signalCode === null,
    async start() {
      if (h.running()) return;
      const p = spawn(MARIADBD, ['--no-defaults', `--datadir=${datadir}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'sock')}`, `--pid-file=${join(dir, 'pid')}`, ...user(), '--innodb-buffer-pool-size=32M', '--skip-log-bin', '--max-connections=200'], { stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout!.on('data', (d) => (out += d));
      p.stderr!.on('data', (d) => (out += d));
      proc = p;
      await waitFor('the private MariaDB accepting connections', () => {
        if (p.exitCode !== null) throw new Error(`mariadbd exited ${p.exitCode}: ${out.slice(-2000)}`);
        return ping();
      }, 30_000, 100);
    },
    async stop(signal = 'SIGKILL') {
      const p = proc;
      if (!p || !h.running()) return;
      const gone = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill(signal);
      await gone;
    },
    async destroy() {
      await h.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await h.start();
  return h;
}
