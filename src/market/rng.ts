// A small seeded PRNG (mulberry32) with its state as a plain number, so machines can hold it in context.
// Guarantees the same seed yields the same sequence on every platform; no Math.random anywhere.
export interface Rng {
  state: number;
}

export const seedRng = (seed: number): Rng => ({ state: seed >>> 0 });

/** Returns a float in [0, 1) and advances `rng` in place. */
export function nextFloat(rng: Rng): number {
  rng.state = (rng.state + 0x6d2b79f5) >>> 0;
  let t = rng.state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Standard normal via Box-Muller. */
export function nextGaussian(rng: Rng): number {
  const u = Math.max(nextFloat(rng), 1e-12);
  const v = nextFloat(rng);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
