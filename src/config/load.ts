// Loads a config file and its `extends` chain, applies env overrides, validates with the schema.
// Guarantees: a returned Config is valid; any error names the file, the JSON path and the fix.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { fromRoot } from '../paths.js';
import { configSchema, type Config } from './schema.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Layer = { file: string; data: Record<string, Json> };

export interface LoadedConfig {
  config: Config;
  /** Files in the order they were merged (base first). */
  files: string[];
}

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readLayer(file: string): Layer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config: cannot read ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config: ${file} is not valid JSON: ${(err as Error).message} — fix the syntax (trailing commas and comments are not allowed)`);
  }
  if (!isObject(data)) throw new ConfigError(`config: ${file} must hold a JSON object at the top level`);
  return { file, data };
}

/** Reads `file` and every file it extends; returns layers base-first. */
export function readLayers(file: string): Layer[] {
  const layers: Layer[] = [];
  const seen = new Set<string>();
  let current: string | undefined = resolve(file);
  while (current) {
    if (seen.has(current)) throw new ConfigError(`config: ${current} extends itself through a cycle`);
    seen.add(current);
    const layer = readLayer(current);
    const ext = layer.data.extends;
    delete layer.data.extends;
    layers.unshift(layer);
    if (ext === undefined) break;
    if (typeof ext !== 'string') throw new ConfigError(`config: ${current}: $.extends must be a file name string`);
    current = resolve(dirname(current), ext);
  }
  return layers;
}

export function deepMerge(base: Record<string, Json>, over: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Environment overrides that are not secrets. Secrets live in `readSecrets`, never in Config. */
function envOverrides(env: NodeJS.ProcessEnv): Record<string, Json> {
  const o: Record<string, Json> = {};
  if (env.BOSUN_DB_URL) o.db = { url: env.BOSUN_DB_URL };
  if (env.BOSUN_LOG_LEVEL) o.log = { level: env.BOSUN_LOG_LEVEL };
  if (env.BOSUN_CONTROL_SOCKET) o.control = { socketPath: env.BOSUN_CONTROL_SOCKET };
  if (env.BOSUN_VENUE_URL) o.exchange = { url: env.BOSUN_VENUE_URL };
  return o;
}

const jsonPath = (path: readonly PropertyKey[]): string =>
  '$' + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');

function getAt(data: Json | undefined, path: readonly PropertyKey[]): Json | undefined {
  let cur: Json | undefined = data;
  for (const p of path) {
    if (Array.isArray(cur) && typeof p === 'number') cur = cur[p];
    else if (isObject(cur)) cur = cur[String(p)];
    else return undefined;
  }
  return cur;
}

function fixFor(issue: z.core.$ZodIssue, present: boolean): string {
  switch (issue.code) {
    case 'invalid_type':
      return present ? `use a ${issue.expected}` : `add it (a ${issue.expected})`;
    case 'unrecognized_keys':
      return 'remove it, or check its spelling against config/default.json';
    case 'invalid_value':
      return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array' || issue.origin === 'set') return `give at least ${String(issue.minimum)} item${Number(issue.minimum) === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return `use at least ${String(issue.minimum)} character${Number(issue.minimum) === 1 ? '' : 's'}`;
      return `use a value ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array' || issue.origin === 'set') return `give at most ${String(issue.maximum)} item${Number(issue.maximum) === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return `use at most ${String(issue.maximum)} character${Number(issue.maximum) === 1 ? '' : 's'}`;
      return `use a value ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
    case 'invalid_format':
      return 'use the expected format';
    default:
      return 'see config/default.json for a valid value';
  }
}

/** Formats schema issues as one line each: file, JSON path, problem, fix. */
export function describeIssues(issues: z.core.$ZodIssue[], layers: Layer[], env: Record<string, Json>, merged?: Json): string[] {
  return issues.flatMap((issue) => {
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    return paths.map((path) => {
      const fromEnv = getAt(env, path) !== undefined;
      const owner = fromEnv ? 'environment' : [...layers].reverse().find((l) => getAt(l.data, path) !== undefined)?.file ?? layers.at(-1)!.file;
      const what = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
      const present = getAt(merged ?? layers.at(-1)!.data, path) !== undefined;
      if (issue.code === 'unrecognized_keys' && SECRET_KEY.test(String(path.at(-1)))) {
        return `${owner}: ${jsonPath(path)}: a secret cannot live in a config file — fix: remove it and set it in the environment (${SECRET_ENV})`;
      }
      return `${owner}: ${jsonPath(path)}: ${what} — fix: ${fixFor(issue, present)}`;
    });
  });
}

/** Key names that look like credentials; the value is never echoed in the error. */
const SECRET_KEY = /(api_?key|secret|token|password|passphrase|private_?key)$/i;
const SECRET_ENV = 'BOSUN_API_KEY, BOSUN_API_SECRET, BOSUN_TELEGRAM_TOKEN, BOSUN_DB_URL, BOSUN_API_TOKEN, BOSUN_AI_API_KEY';

/** A database password belongs in BOSUN_DB_URL, never in a file. */
function rejectFilePasswords(layers: Layer[]): void {
  for (const l of layers) {
    const url = getAt(l.data, ['db', 'url']);
    if (typeof url === 'string' && /^mariadb:\/\/[^:@/]+:[^@]+@/.test(url)) {
      throw new ConfigError(`config: ${l.file}: $.db.url carries a password — fix: remove it from the file and set the full URL in BOSUN_DB_URL (${SECRET_ENV} are read only from the environment)`);
    }
  }
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const layers = readLayers(file);
  rejectFilePasswords(layers);
  const overrides = envOverrides(env);
  const merged = deepMerge(layers.reduce<Record<string, Json>>((acc, l) => deepMerge(acc, l.data), {}), overrides);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = describeIssues(parsed.error.issues, layers, overrides, merged);
    throw new ConfigError(`config: ${file} is invalid:\n  ${lines.join('\n  ')}`);
  }
  return { config: parsed.data, files: layers.map((l) => l.file) };
}

export const defaultConfigFile = (mode = 'paper'): string => fromRoot('config', `${mode}.json`);

// Secrets live in their own module (no zod): worker threads read them without loading the config schema.
export { readSecrets, type Secrets } from './secrets.js';
