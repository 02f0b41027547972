// Test configs: the real config/paper.json with overrides, validated exactly as the daemon does.
// Guarantees tests exercise the same loader and schema as production.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepMerge, loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { fromRoot } from '../../src/paths.js';

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `bosun-${tag}-`));
}

/** Writes a config file that extends config/<base>.json with `overrides`; returns its path. */
export function writeConfig(dir: string, overrides: Record<string, unknown>, base = 'paper'): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2, 8)}.json`);
  writeFileSync(file, JSON.stringify({ extends: fromRoot('config', `${base}.json`), ...overrides }, null, 2));
  return file;
}

export function testConfig(overrides: Record<string, unknown> = {}, base = 'paper'): Config {
  const dir = tempDir('cfg');
  return loadConfig(writeConfig(dir, overrides, base), {}).config;
}

export { deepMerge };

/** execution.protection's default stop and target distances from config/default.json (where every default lives). */
export const PROTECTION: { defaultStopPct: number; defaultTakeProfitPct: number } = (() => {
  const p = (JSON.parse(readFileSync(fromRoot('config', 'default.json'), 'utf8')) as { execution: { protection: { defaultStopPct: number; defaultTakeProfitPct: number } } }).execution.protection;
  return { defaultStopPct: p.defaultStopPct, defaultTakeProfitPct: p.defaultTakeProfitPct };
})();
