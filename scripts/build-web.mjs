#!/usr/bin/env node
// Builds the dashboard (web/) into dist/web: index.html, app.js (TypeScript and uPlot bundled by esbuild) and app.css.
// Guarantees the output needs nothing at run time but the daemon (no CDN): everything is bundled into these files.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(root, 'web', 'src', 'main.ts') },
  bundle: true, format: 'iife', target: ['es2020'], minify: true, sourcemap: false, outdir: out, logLevel: 'warning', legalComments: 'none',
});
await build({ entryPoints: { app: join(root, 'web', 'src', 'app.css') }, bundle: true, minify: true, outdir: out, logLevel: 'warning' });
copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));
