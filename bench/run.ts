// Runs every benchmark module in dist/bench (*.bench.js) in turn and prints its lines.
// Args filter modules by substring. Exit code 0: benchmarks report, they do not assert.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { print, type BenchLine } from './report.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.js') && (!filters.length || filters.some((x) => f.includes(x)))).sort();
process.stdout.write(`bosun benchmarks — node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
for (const f of files) {
  process.stdout.write(`\n[${f.replace('.bench.js', '')}]\n`);
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default: () => Promise<BenchLine[]> };
  const t0 = Date.now();
  print(await mod.default());
  process.stdout.write(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
