// Moves an engine between threads: a structured clone of an engine (plain data, typed arrays, Maps) is
// copied back into a freshly constructed engine of the same parameters. Guarantees the restored engine
// continues exactly as the original would (same fields, same numbers), or throws on a shape mismatch.
const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

const isComposite = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof Map) && !(v instanceof Set);

/** Copies `data` into `target` field by field, recursing where both sides are objects. */
export function restoreInto(target: object, data: unknown, path = '$'): void {
  if (!isPlain(data)) throw new TypeError(`engine state at ${path} is not a plain object`);
  const t = target as Record<string, unknown>;
  for (const [k, v] of Object.entries(data)) {
    const cur = t[k];
    if (isPlain(v) && isComposite(cur)) restoreInto(cur, v, `${path}.${k}`);
    else if (ArrayBuffer.isView(cur) && ArrayBuffer.isView(v) && (cur as Float64Array).length !== (v as Float64Array).length) {
      throw new TypeError(`engine state at ${path}.${k} has length ${(v as Float64Array).length}, expected ${(cur as Float64Array).length} (different parameters?)`);
    } else t[k] = v;
  }
}
