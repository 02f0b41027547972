// The embedded database: when the configured MariaDB is on this host and nothing answers, a private `mariadbd` from the
// installed binaries, with its data under var/mariadb/<port>/ and its own socket, listening on the configured port.
// Guarantees a server that answers is never replaced (refused logins stay errors), one start per port at a time, and
// `stop()` waits until the server it owns has exited.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import * as mariadb from 'mariadb';
import { DbUnavailableError } from '../errors.js';
import { fromRoot, projectRoot } from '../paths.js';
import { parseDbUrl } from './pool.js';

export interface EmbeddedDb {
  /** Where its data, socket, pid file and error log live. */
  dir: string;
  host: string;
  port: number;
  pid: number;
  socket: string;
  /** This process started it (or adopted one a crashed run left behind): `stop()` ends it. */
  owned: boolean;
  /** 'started' here, 'adopted' from a starter that died, or 'shared' (its starter still runs and stops it). */
  how: 'started' | 'adopted' | 'shared';
  /** What status shows: `embedded mariadbd 10.11 (pid 123, var/mariadb/3306)`. */
  describe(): string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  env?: NodeJS.ProcessEnv;
  /** Adopt a server of ours whose starter has died (a daemon killed before its shutdown), to stop it when done (the daemon
   * does; one-shot commands do not). A server whose starter still runs is used, never adopted. */
  adopt?: boolean;
  startTimeoutMs?: number;
}

const LOCAL = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLocalDbHost = (host: string): boolean => LOCAL.has(host);

/** The directory of the embedded server for a port (BOSUN_EMBEDDED_DB_DIR replaces var/mariadb, e.g. in tests). */
export const embeddedDir = (port: number, env: NodeJS.ProcessEnv = process.env): string => resolve(env.BOSUN_EMBEDDED_DB_DIR ?? fromRoot('var', 'mariadb'), String(port));

const which = (name: string, extra: string[]): string | null => {
  for (const d of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...extra]) if (existsSync(join(d, name))) return join(d, name);
  return null;
};

/** The installed MariaDB binaries, or null when MariaDB is not installed. */
export function mariadbBinaries(env: NodeJS.ProcessEnv = process.env): { mariadbd: string; installDb: string } | null {
  const mariadbd = env.BOSUN_MARIADBD ?? which('mariadbd', ['/usr/sbin', '/usr/local/sbin']);
  const installDb = which('mariadb-install-db', ['/usr/bin', '/usr/local/bin']);
  return mariadbd && installDb && existsSync(mariadbd) ? { mariadbd, installDb } : null;
}

type Probe = 'answers' | 'refused' | 'error';

async function probe(host: string, port: number, timeoutMs: number): Promise<Probe> {
  try {
    const c = await mariadb.createConnection({ host, port, user: 'root', connectTimeout: timeoutMs });
    await c.end();
    return 'answers';
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT') return 'refused';
    // Access denied, a handshake from something else: a server answers. Anything else is not ours to replace.
    return (err as { errno?: number }).errno !== undefined && (err as { sqlState?: string }).sqlState ? 'answers' : 'error';
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const isMariadbd = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('mariadbd');
  } catch {
    return alive(pid);
  }
};

const readPid = (file: string): number | null => {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A short socket path: Unix sockets are limited to ~107 bytes. */
const socketPath = (dir: string, port: number): string => {
  const p = join(dir, 'mariadbd.sock');
  return p.length < 100 ? p : join(tmpdir(), `bosun-mariadbd-${port}.sock`);
};

const tail = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no error log)';
  }
};

function handle(dir: string, host: string, port: number, pid: number, how: EmbeddedDb['how'], version: string): EmbeddedDb {
  const where = relative(projectRoot, dir).startsWith('..') ? dir : relative(projectRoot, dir);
  const owned = how !== 'shared';
  return {
    dir, host, port, pid, socket: socketPath(dir, port), owned, how,
    describe: () => `embedded mariadbd${version ? ` ${version}` : ''} (pid ${pid}, ${where}, port ${port})`,
    async stop() {
      if (!owned || !alive(pid)) return;
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 600 && alive(pid); i++) await sleep(50);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
    },
  };
}

/** Takes the per-directory start lock (a file holding our pid); a lock whose owner died is taken over. */
function tryLock(file: string): boolean {
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readPid(file);
      if (owner !== null && alive(owner)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

/**
 * The database the URL names, made available: null when it answers (or is not on this host, or embedding is off with
 * BOSUN_EMBEDDED_DB=off); otherwise the embedded server now listening on the URL's port.
 * Throws DbUnavailableError when nothing answers and MariaDB is not installed, or the server does not come up.
 */
export async function ensureEmbeddedDb(url: string, opts: EmbeddedOptions = {}): Promise<EmbeddedDb | null> {
  const env = opts.env ?? process.env;
  const t = parseDbUrl(url);
  if (env.BOSUN_EMBEDDED_DB === 'off' || !isLocalDbHost(t.host)) return null;
  const host = t.host === 'localhost' ? '127.0.0.1' : t.host.replace(/^\[|\]$/g, '');
  const dir = embeddedDir(t.port, env);
  const pidFile = join(dir, 'mariadbd.pid');
  const errLog = join(dir, 'mariadbd.err');
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const version = (): string => {
    const b = mariadbBinaries(env);
    return b ? (/Ver ([0-9.]+)/.exec(spawnSync(b.mariadbd, ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? '') : '';
  };

  // One of ours already runs there: use it. Adopt it only when whoever started it is gone (the owner file names them).
  const ownerFile = join(dir, 'owner.pid');
  const running = readPid(pidFile);
  if (running !== null && isMariadbd(running) && (await probe(host, t.port, 2000)) === 'answers') {
    const owner = readPid(ownerFile);
    const orphan = owner === null || (owner !== process.pid && !alive(owner));
    if (orphan && opts.adopt) writeFileSync(ownerFile, String(process.pid));
    return handle(dir, host, t.port, running, orphan && opts.adopt ? 'adopted' : 'shared', version());
  }

  const p = await probe(host, t.port, 2000);
  if (p !== 'refused') return null;
  const bin = mariadbBinaries(env);
  if (!bin) {
    throw new DbUnavailableError(
      `nothing answers on ${t.host}:${t.port} (the configured database) and MariaDB is not installed, so bosun cannot start its embedded one: ` +
        'install MariaDB ≥ 10.6 (e.g. `apt-get install mariadb-server`), or point db.url / BOSUN_DB_URL at a running server.',
    );
  }
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'start.lock');
  const deadline = Date.now() + timeoutMs;
  // Another process is starting it: wait for it to answer and use it (it belongs to whoever started it).
  while (!tryLock(lock)) {
    if (Date.now() > deadline) throw new DbUnavailableError(`the embedded MariaDB in ${dir} did not come up within ${timeoutMs} ms (another process holds ${lock})`);
    await sleep(200);
    if ((await probe(host, t.port, 1000)) === 'answers') {
      const pid = readPid(pidFile);
      return handle(dir, host, t.port, pid ?? 0, 'shared', version());
    }
  }
  try {
    const root = process.getuid?.() === 0 ? ['--user=root'] : [];
    const datadir = join(dir, 'data');
    if (!existsSync(join(datadir, 'mysql'))) {
      rmSync(datadir, { recursive: true, force: true });
      // --no-defaults: the host's my.cnf (user=mysql, its datadir and log paths) must not leak into our server. --force:
      // no host-name lookup first (a fresh machine or container whose own name does not resolve would fail it; the grants
      // for 127.0.0.1, ::1 and localhost are made all the same).
      const init = spawnSync(bin.installDb, ['--no-defaults', `--datadir=${datadir}`, ...root, '--auth-root-authentication-method=normal', '--skip-test-db', '--force'], { encoding: 'utf8' });
      if (init.status !== 0) throw new DbUnavailableError(`mariadb-install-db failed for the embedded database in ${datadir}: ${(init.stdout + init.stderr).slice(-2000)}`);
    }
    const socket = socketPath(dir, t.port);
    rmSync(socket, { force: true });
    const args = [
      '--no-defaults', `--datadir=${datadir}`, `--port=${t.port}`, `--bind-address=${host}`, `--socket=${socket}`, `--pid-file=${pidFile}`,
      `--log-error=${errLog}`, ...root, '--character-set-server=utf8mb4', '--collation-server=utf8mb4_general_ci',
      '--innodb-buffer-pool-size=64M', '--skip-log-bin', '--max-connections=300',
    ];
    // Its own session: a Ctrl-C in the terminal goes to bosun, which stops the actors first and then this server.
    const child = spawn(bin.mariadbd, args, { detached: true, stdio: 'ignore' });
    child.unref();
    let exited: number | null = null;
    child.once('exit', (code) => (exited = code ?? -1));
    for (;;) {
      if ((await probe(host, t.port, 1000)) === 'answers') break;
      if (exited !== null) throw new DbUnavailableError(`the embedded mariadbd exited (${exited}) before answering on ${host}:${t.port}; its log (${errLog}):\n${tail(errLog)}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new DbUnavailableError(`the embedded mariadbd did not answer on ${host}:${t.port} within ${timeoutMs} ms; its log (${errLog}):\n${tail(errLog)}`);
      }
      await sleep(100);
    }
    await ensureUser(host, t.port, t.user, t.password);
    writeFileSync(ownerFile, String(process.pid));
    return handle(dir, host, t.port, child.pid!, 'started', version());
  } finally {
    rmSync(lock, { force: true });
  }
}

/** The URL's user, when it is not password-less root (what the fresh server has), gets an account with every right. */
async function ensureUser(host: string, port: number, user: string, password: string): Promise<void> {
  if (user === 'root' && !password) return;
  const ok = await mariadb.createConnection({ host, port, user, password, connectTimeout: 5000 }).then((c) => c.end().then(() => true), () => false);
  if (ok) return;
  const c = await mariadb.createConnection({ host, port, user: 'root', connectTimeout: 5000 });
  try {
    if (user === 'root') {
      await c.query("ALTER USER 'root'@'localhost' IDENTIFIED BY ?", [password]);
      return;
    }
    for (const h of ['localhost', '127.0.0.1', '::1']) {
      await c.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, h, password]);
      await c.query('GRANT ALL PRIVILEGES ON *.* TO ?@?', [user, h]);
    }
  } finally {
    await c.end();
  }
}
