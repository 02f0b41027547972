#!/usr/bin/env node
// The `bosun` command: runs the compiled CLI (build with `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('bosun: the compiled CLI is missing (dist/). Run `npm run build` first.\n');
  process.exit(64);
}
await import(pathToFileURL(main).href);
