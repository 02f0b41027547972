// Runs `bosun venue` as its own process (as an operator or a chaos test would) and talks to its control endpoints.
// Guarantees the process is the real CLI, on its own database, and is killed in stop() whatever happened.
import { spawn, type ChildProcess } from 'node:child_process';
import { BOSUN } from './daemon.js';
import { tempDir, writeConfig } from './config.js';
import { waitFor } from './wait.js';

export interface VenueProcess {
  proc: ChildProcess;
  url: string;
  output: () => string;
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startVenueProcess(o: { dbUrl: string; overrides?: Record<string, unknown>; env?: Record<string, string> }): Promise<VenueProcess> {
  const dir = tempDir('venue');
  const cfg = writeConfig(dir, { log: { level: 'warn' }, ...(o.overrides ?? {}) });
  const proc = spawn(process.execPath, [BOSUN, 'venue', '--config', cfg, '--port', '0', '--db', o.dbUrl], { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const url = await waitFor('bosun venue listening', async () => {
    if (proc.exitCode !== null) throw new Error(`bosun venue exited ${proc.exitCode}: ${out}`);
    return /listening on (http:\/\/[^\s]+)/.exec(out)?.[1] ?? null;
  }, 20_000, 50);
  return {
    proc, url, output: () => out,
    control: async (method, path, body) => {
      const r = await fetch(`${url}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
      return (await r.json()) as never;
    },
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
