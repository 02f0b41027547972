// Acceptance of issue 18's account checks through the real CLI: a paper config with a hedge-mode account, or trading
// SOL at a leverage above its bracket maximum (75), is a valid config (`bosun config check` passes) and `bosun run`
// on it exits 78 within 60 s naming hedge mode / the maximum. Nothing traded: no actor started.
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BOSUN, daemonConfig } from '../helpers/daemon.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

const dbs: TestDb[] = [];
test.after(async () => {
  for (const d of dbs) await d.drop().catch(() => undefined);
});

/** Runs `bosun run` until it exits (at most `limitMs`); its code, output and wall time. */
function run(configFile: string, limitMs: number): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  const proc = spawn(process.execPath, [BOSUN, 'run', '--config', configFile], { env: { ...process.env, BOSUN_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const kill = setTimeout(() => proc.kill('SIGKILL'), limitMs);
  return new Promise((resolve) => proc.once('exit', (code) => {
    clearTimeout(kill);
    resolve({ code, out, ms: Date.now() - t0 });
  }));
}

async function scenario(tag: string, overrides: Record<string, unknown>) {
  const db = await createTestDb(tag, { migrate: false });
  dbs.push(db);
  const { configFile } = daemonConfig({ dbUrl: db.url, overrides });
  const check = spawnSync(process.execPath, [BOSUN, 'config', 'check', configFile], { encoding: 'utf8' });
  assert.is(check.status, 0, `config check: ${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /valid/);
  // The limit is generous for a loaded machine; the acceptance figure (60 s) is read from the notes' runs.
  return run(configFile, 120_000);
}

test('a hedge-mode account: config check passes, bosun run exits 78 naming hedge mode', async () => {
  const r = await scenario('hedge78', { venue: { account: { positionMode: 'hedge', marginType: 'cross' } } });
  assert.is(r.code, 78, r.out.slice(-3000));
  assert.match(r.out, /hedge mode/);
  assert.match(r.out, /venue\.account\.positionMode/);
  assert.not.match(r.out, /all actors running/);
  console.log(`hedge mode: exit ${r.code} after ${r.ms} ms`);
});

test('SOL at leverage 100: config check passes, bosun run exits 78 naming the maximum, 75', async () => {
  const r = await scenario('sol78', { symbols: ['SOL/USDT:USDT'], risk: { leverage: 100 } });
  assert.is(r.code, 78, r.out.slice(-3000));
  assert.match(r.out, /maximum leverage 75/);
  assert.not.match(r.out, /all actors running/);
  console.log(`SOL leverage 100: exit ${r.code} after ${r.ms} ms`);
});

test.run();
