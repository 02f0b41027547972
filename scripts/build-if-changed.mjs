#!/usr/bin/env node
// Runs `npm run build` only when a source changed since the last successful build (`--stamp` records one).
// Guarantees a tree built from its current sources is never rebuilt, and a changed or new source always is.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');
// Everything the build reads: the TypeScript trees, the dashboard, the build's own config and dependencies.
const SOURCES = ['src', 'actors', 'machines', 'test', 'bench', 'scripts', 'web', 'tsconfig.json', 'package.json', 'package-lock.json'];

/** The newest modification time under a path (directories count too: a deleted file changes its directory). */
function newest(p) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const name of readdirSync(p)) if (name !== 'node_modules') m = Math.max(m, newest(join(p, name)));
  return m;
}

// The build calls `--begin` first and `--stamp` last: the stamp carries the time the build began, so a source saved
// while it ran still counts as changed.
const begun = join(root, 'dist', '.build-begin');
if (process.argv.includes('--begin')) {
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(begun, `${new Date().toISOString()}\n`);
  process.exit(0);
}
if (process.argv.includes('--stamp')) {
  if (existsSync(begun)) renameSync(begun, stamp);
  process.exit(0);
}
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const changed = SOURCES.reduce((m, s) => Math.max(m, newest(join(root, s))), 0);
if (built && changed <= built) process.exit(0);
process.stderr.write(built ? 'bosun: sources changed since the last build; building\n' : 'bosun: no build yet; building\n');
const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
