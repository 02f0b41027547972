// Spawns the real daemon (`bosun run`, compiled JS) on a test database with a private control socket.
// Guarantees tests talk to it exactly as an operator would: CLI, control socket, signals.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { request } from '../../src/control/socket.js';
import type { StatusDoc } from '../../src/daemon/status.js';
import { fromRoot } from '../../src/paths.js';
import { deepMerge, tempDir, writeConfig } from './config.js';
import { waitFor } from './wait.js';

export const BOSUN = fromRoot('bin', 'bosun.mjs');

export interface DaemonHandle {
  proc: ChildProcess;
  configFile: string;
  socket: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  status(): Promise<StatusDoc>;
  waitRunning(timeoutMs?: number): Promise<StatusDoc>;
  /** The HTTP API's base URL once it listens (it starts after the actors). */
  waitApi(timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface DaemonOptions {
  dbUrl: string;
  dir?: string;
  overrides?: Record<string, unknown>;
  base?: string;
  env?: Record<string, string>;
  args?: string[];
  supervisorFile?: string;
}

export function daemonConfig(o: DaemonOptions): { configFile: string; socket: string; dir: string } {
  const dir = o.dir ?? tempDir('daemon');
  const socket = join(dir, 'bosun.sock');
  const overrides = deepMerge(
    { db: { url: o.dbUrl }, control: { socketPath: socket }, clock: { speed: 600 }, log: { level: 'info' }, ops: { metrics: { port: 0 }, api: { port: 0, tokenFile: join(dir, 'api-token') } } },
    (o.overrides ?? {}) as never,
  );
  return { configFile: writeConfig(dir, overrides, o.base ?? 'paper'), socket, dir };
}

export function startDaemon(o: DaemonOptions): DaemonHandle {
  const { configFile, socket } = daemonConfig(o);
  const args = [BOSUN, 'run', '--config', configFile, ...(o.supervisorFile ? ['--supervisor', o.supervisorFile] : []), ...(o.args ?? [])];
  const proc = spawn(process.execPath, args, { env: { ...process.env, BOSUN_TEST_HOOKS: '1', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  // A test process that dies (an uncaught error) must not leave its daemon running on the shared machine.
  const orphan = () => proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL');
  process.once('exit', orphan);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => {
      process.off('exit', orphan);
      r({ code, signal });
    }),
  );
  const h: DaemonHandle = {
    proc, configFile, socket, exited,
    output: () => out,
    status: () => request(socket, 'status', {}, 5000) as Promise<StatusDoc>,
    waitRunning: (timeoutMs = 120_000) =>
      waitFor('all six actors running', async () => {
        if (proc.exitCode !== null) throw new Error(`daemon exited ${proc.exitCode}: ${out.slice(-2000)}`);
        const s = await h.status();
        return s.actors.length === 6 && s.actors.every((a) => a.lifecycle === 'running') ? s : null;
      }, timeoutMs, 100),
    waitApi: (timeoutMs = 30_000) =>
      waitFor('the HTTP API listening', async () => {
        if (proc.exitCode !== null) throw new Error(`daemon exited ${proc.exitCode}: ${out.slice(-2000)}`);
        const s = await h.status();
        if (!s.api.url && s.api.error !== 'starting') throw new Error(`the API is off: ${s.api.error}`);
        return s.api.url;
      }, timeoutMs, 100),
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  return h;
}

/** Runs the CLI to completion without blocking the test's event loop (servers in the test keep answering). */
export function cliAsync(args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BOSUN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (c) => (stdout += c));
    p.stderr!.on('data', (c) => (stderr += c));
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the CLI to completion. */
export function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 180_000) {
  const r = spawnSync(process.execPath, [BOSUN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
