#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own process, a few at a time, and sums up.
// Ends with one line: "N passed, N failed". Exit code 1 if anything failed. Args filter files by substring.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'dist', 'test');
const filters = process.argv.slice(2);
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
const timeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 300_000);

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' || name === 'helpers' ? [] : find(p);
    return name.endsWith('.test.js') ? [p] : [];
  });
}

// Slow files (spawning daemons) first, so they overlap with the many quick ones.
const files = find(testDir)
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
  .sort((a, b) => Number(b.includes('/integration/')) - Number(a.includes('/integration/')) || a.localeCompare(b));

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--enable-source-maps', file], { env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[runner] timed out after ${timeoutMs} ms; killed\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const num = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(out)?.[1] ?? NaN);
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped') || 0;
      let p = Number.isFinite(passed) ? passed : 0;
      // uvu's Total counts the tests that ran; skipped ones are reported apart.
      let f = Number.isFinite(total) && Number.isFinite(passed) ? Math.max(0, total - passed) : 1;
      if (code !== 0 && f === 0) f = 1; // crashed after its tests, or never printed a summary
      resolve({ file, passed: p, failed: f, skipped, code, out, ms: Date.now() - started });
    });
  });
}

const results = [];
let next = 0;
async function worker() {
  while (next < files.length) {
    const file = files[next++];
    const r = await runFile(file);
    results.push(r);
    const name = relative(root, r.file);
    const tag = r.failed ? 'FAIL' : 'ok  ';
    process.stdout.write(`${tag} ${name}  (${r.passed} passed${r.skipped ? `, ${r.skipped} skipped` : ''}${r.failed ? `, ${r.failed} failed` : ''}, ${(r.ms / 1000).toFixed(1)}s)\n`);
    if (r.failed) process.stdout.write(r.out.split('\n').map((l) => `    ${l}`).join('\n') + '\n');
    else if (r.skipped) process.stdout.write(r.out.split('\n').filter((l) => /skip/i.test(l)).map((l) => `    ${l}`).join('\n') + '\n');
  }
}
// The test database server: when nothing answers at BOSUN_TEST_DB_URL (default 127.0.0.1:3306), bosun's embedded
// mariadbd serves it for the whole run, started here once (as the daemon would) and stopped at the end.
let embedded = null;
if (files.length) {
  const dbUrl = process.env.BOSUN_TEST_DB_URL ?? 'mariadb://root@127.0.0.1:3306';
  const { ensureEmbeddedDb } = await import(pathToFileURL(join(root, 'dist', 'src', 'store', 'embedded.js')).href);
  embedded = await ensureEmbeddedDb(`${dbUrl}/bosun_test`, { adopt: true }).catch((err) => {
    process.stdout.write(`runner: ${err.message}\n`);
    return null;
  });
  if (embedded) process.stdout.write(`runner: ${embedded.how === 'started' ? `nothing answered at ${dbUrl}: ` : ''}the tests run on the ${embedded.describe()}\n`);
}
const t0 = Date.now();
await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
await embedded?.stop();
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
process.stdout.write(`\n${files.length} files in ${((Date.now() - t0) / 1000).toFixed(1)}s\n${passed} passed, ${failed} failed\n`);
process.exit(failed ? 1 : 0);
