// Locations of the project's own files (sql/, config/, supervisor.config.json), from source or dist.
// Guarantees the same answer whether the caller runs as .ts under tsx or as compiled .js in dist/.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'sql'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`bosun: cannot find the project root above ${start}`);
    dir = up;
  }
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const fromRoot = (...parts: string[]): string => resolve(projectRoot, ...parts);
/** Compiled JS lives under dist/; worker entries resolve there so the daemon never needs tsx. */
export const distRoot = fromRoot('dist');
