// The embedded database: the daemon pointed at a local port where nothing answers starts its own mariadbd there, runs
// the six actors on it, reports it in status, and stops it on shutdown.
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mariadbBinaries } from '../../src/store/embedded.js';
import { tempDir } from '../helpers/config.js';
import { startDaemon, type DaemonHandle } from '../helpers/daemon.js';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let d: DaemonHandle | null = null;
let pid = 0;
test.after(async () => {
  if (d && d.proc.exitCode === null) await d.stop('SIGKILL');
  if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
});

const run = mariadbBinaries() ? test : test.skip;
if (!mariadbBinaries()) console.log('skip: MariaDB is not installed (mariadbd, mariadb-install-db)');

run('nothing on the configured local port: six actors on an embedded mariadbd, shown in status, stopped with the daemon', async () => {
  const port = await freePort();
  const dir = tempDir('embedded');
  d = startDaemon({ dbUrl: `mariadb://root@127.0.0.1:${port}/bosun_paper`, env: { BOSUN_EMBEDDED_DB_DIR: dir } });
  const s = await d.waitRunning(90_000);
  assert.is(s.actors.length, 6);
  assert.ok(s.actors.every((a) => a.lifecycle === 'running'), JSON.stringify(s.actors.map((a) => [a.id, a.lifecycle])));
  assert.ok(s.db.ok, s.db.error ?? '');
  const e = s.db.embedded!;
  assert.ok(e, 'status names the embedded server');
  assert.is(e.port, port);
  assert.is(e.dir, join(dir, String(port)));
  assert.match(e.text, 'embedded mariadbd');
  assert.ok(existsSync(join(e.dir, 'data', 'bosun_paper')), 'the database lives in the embedded data directory');
  pid = e.pid;
  assert.ok(alive(pid));
  assert.is(d.output().split('\n').filter((l) => l.includes('nothing answered at') && l.includes('embedded mariadbd')).length, 1, d.output().slice(-3000));
  const r = await d.stop('SIGTERM');
  assert.is(r.code, 0, d.output().slice(-3000));
  assert.not.ok(alive(pid), 'the embedded mariadbd stopped with the daemon');
});

test.run();
