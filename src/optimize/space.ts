// A search space over config values (dotted paths into the config, e.g. "analytics.emaFast"): int, float, log-float and
// choice dimensions; sampling them from uniforms, and applying a parameter set to a config. Guarantees a parameter set
// only ever changes the paths of its space, and the result is validated by the config schema (a bad space is named).
import { configSchema, type Config } from '../config/schema.js';
import { UsageError } from '../backtest/cli-support.js';

export { dimSchema, spaceSchema, type Dim, type Space } from './space-schema.js';
import type { Dim, Space } from './space-schema.js';

export type ParamValue = string | number | boolean | null;
export type Params = Record<string, ParamValue>;

/** The value of a dimension at u ∈ [0, 1) (uniform over its values; log-uniform for log-float). */
export function fromUnit(d: Dim, u: number): ParamValue {
  switch (d.type) {
    case 'int': {
      const step = d.step ?? 1;
      const k = Math.floor((d.high - d.low) / step) + 1;
      return d.low + Math.min(k - 1, Math.floor(u * k)) * step;
    }
    case 'float':
      return d.low + u * (d.high - d.low);
    case 'log-float':
      return Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low)));
    case 'choice':
      return d.values[Math.min(d.values.length - 1, Math.floor(u * d.values.length))]!;
  }
}

/** Snaps a value to the dimension's grid and bounds. */
export function clampTo(d: Exclude<Dim, { type: 'choice' }>, x: number): number {
  const v = Math.min(d.high, Math.max(d.low, x));
  if (d.type !== 'int') return v;
  const step = d.step ?? 1;
  return Math.min(d.high, d.low + Math.round((v - d.low) / step) * step);
}

/** A stable key of a parameter set (same params ↔ same key). */
export const paramsKey = (space: Space, p: Params): string => JSON.stringify(Object.keys(space).map((k) => p[k]));

function setPath(obj: unknown, path: string[], value: ParamValue, full: string): unknown {
  const [head, ...rest] = path;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || !(head! in (obj as object))) {
    throw new UsageError(`search space: ${full} is not a config value (no "${head}" there)`);
  }
  const o = obj as Record<string, unknown>;
  if (!rest.length) {
    const old = o[head!];
    if (old !== null && typeof old === 'object') throw new UsageError(`search space: ${full} is a config section, not a value`);
    return { ...o, [head!]: value };
  }
  return { ...o, [head!]: setPath(o[head!], rest, value, full) };
}

/** The config with the parameters set at their paths, validated by the config schema. */
export function applyParams(config: Config, params: Params): Config {
  let out: unknown = config;
  for (const [path, v] of Object.entries(params)) out = setPath(out, path.split('.'), v, path);
  const r = configSchema.safeParse(out);
  if (!r.success) throw new UsageError(`search space: the config with ${JSON.stringify(params)} is not valid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Checks every path of the space exists as a value in the config (before any trial runs). */
export function checkSpace(config: Config, space: Space): void {
  let out: unknown = config;
  for (const path of Object.keys(space)) out = setPath(out, path.split('.'), 0, path);
}

/** The parameters as a nested config fragment (what the best-config file overrides). */
export function paramsAsConfig(params: Params): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(params)) {
    const parts = path.split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
    o[parts.at(-1)!] = v;
  }
  return out;
}
