// Memory soak: runs the paper daemon (config/paper.json on a fresh database, its own socket, ports 0) for N minutes and
// samples the process RSS (all six worker threads included); prints the series, the RSS at 10 minutes and the slope.
// Guarantees the daemon it started is stopped (SIGTERM, then SIGKILL) and its database dropped, whatever happens.
// Usage: npm run soak -- [--minutes 60] [--every 30] [--config FILE] [--supervisor FILE]   (BOSUN_DB_URL's server, else the config's)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { request } from '../src/control/socket.js';
import type { StatusDoc } from '../src/daemon/status.js';
import { fromRoot } from '../src/paths.js';
import { connect } from '../src/store/pool.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const minutes = Number(arg('minutes', '60'));
const everySec = Number(arg('every', '30'));
const base = arg('config', fromRoot('config', 'paper.json'));
const supervisor = arg('supervisor', fromRoot('supervisor.config.json'));

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den ? num / den : NaN;
}

const rssMb = (pid: number): number | null => {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
};

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-soak-'));
  const hostUrl = (process.env.BOSUN_DB_URL ?? loadConfig(base, {}).config.db.url).replace(/\/[^/]*$/, '');
  const dbName = `bosun_soak_${Date.now()}`;
  const socket = join(dir, 'bosun.sock');
  const configFile = join(dir, 'soak.json');
  writeFileSync(configFile, JSON.stringify({ extends: base, db: { url: `${hostUrl}/${dbName}` }, control: { socketPath: socket }, ops: { metrics: { port: 0 }, api: { port: 0, tokenFile: join(dir, 'api-token') } } }, null, 2));
  const env = { ...process.env };
  delete env.BOSUN_DB_URL; // the soak's own database, from its config
  const proc = spawn(process.execPath, [fromRoot('bin', 'bosun.mjs'), 'run', '--config', configFile, '--supervisor', supervisor], { env: { ...env, BOSUN_LOG_FORMAT: 'json' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  const kill = () => proc.exitCode === null && proc.kill('SIGKILL');
  process.once('exit', kill);
  const t0 = Date.now();
  process.stdout.write(`soak: ${minutes} min of paper trading (${base}, database ${dbName}), RSS of pid ${proc.pid} every ${everySec} s; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  process.stdout.write('min\tRSS MB\tcandles\tdecisions\tload1\n');
  const xs: number[] = [];
  const ys: number[] = [];
  let ready = false;
  try {
    while (Date.now() - t0 < minutes * 60_000) {
      await new Promise((r) => setTimeout(r, everySec * 1000));
      if (proc.exitCode !== null) throw new Error(`the daemon exited (${proc.exitCode}): ${err}`);
      const rss = rssMb(proc.pid!);
      if (rss === null) continue;
      let counts = '-\t-';
      try {
        const s = (await request(socket, 'status', {}, 10_000)) as StatusDoc;
        ready ||= s.actors.length === 6 && s.actors.every((a) => a.lifecycle === 'running');
        const a = s.actors.find((x) => x.id === 'analytics');
        const d = s.actors.find((x) => x.id === 'decision');
        counts = `${a?.messagesIn ?? '-'}\t${d?.messagesOut ?? '-'}`;
      } catch {
        // not listening yet
      }
      const m = (Date.now() - t0) / 60_000;
      xs.push(m);
      ys.push(rss);
      process.stdout.write(`${m.toFixed(1)}\t${rss.toFixed(1)}\t${counts}\t${loadavg()[0]!.toFixed(2)}\n`);
    }
  } finally {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => (kill(), r(null)), 30_000);
        proc.once('exit', () => (clearTimeout(t), r(null)));
      });
    }
    const c = await connect({ url: `${hostUrl}/${dbName}`, connectTimeoutMs: 3000, poolSize: 1, noDatabase: true }).catch(() => null);
    await c?.query(`DROP DATABASE IF EXISTS \`${dbName}\``).catch(() => undefined);
    await c?.end();
  }
  if (!ready) process.stdout.write('soak: the six actors never all ran\n');
  const at10 = ys[xs.findIndex((m) => m >= 10)] ?? null;
  const lastFrom = Math.max(0, minutes - 30);
  const tail = xs.map((m, i) => [m, ys[i]!] as const).filter(([m]) => m >= lastFrom);
  const s = slope(tail.map(([m]) => m), tail.map(([, y]) => y));
  process.stdout.write(
    `RSS at 10 min: ${at10 === null ? 'n/a (shorter run)' : `${at10.toFixed(1)} MB`} · max ${Math.max(...ys).toFixed(1)} MB · last ${ys.at(-1)?.toFixed(1)} MB\n` +
      `slope over minutes ${lastFrom.toFixed(0)}–${minutes}: ${s.toFixed(3)} MB/min (${tail.length} samples) · load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  return ready ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`soak: ${(e as Error).message}\n`);
  process.exit(1);
});
