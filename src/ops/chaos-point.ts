// Kill points for the crash test: chaosPoint(name) SIGKILLs this process the n-th time `name` is reached, when the
// environment says so. Guarantees a no-op function (decided once, at load) unless BOSUN_CHAOS_POINT and BOSUN_TEST_HOOKS=1.

/**
 * Where the crash test can aim a kill: `order.written` the order row is committed and the request not yet sent;
 * `order.answered` the venue answered and the answer is not yet written; `fill.recorded` a fill is in the ledger and
 * the position's stop not yet placed; `reconcile.step` between two steps of startup reconciliation.
 */
export const CHAOS_POINTS = ['order.written', 'order.answered', 'fill.recorded', 'reconcile.step'] as const;
export type ChaosPointName = (typeof CHAOS_POINTS)[number];

/** `name` or `name:n` (the n-th time it is reached in this thread, 1 by default). */
export function parseChaosPoint(spec: string): { name: ChaosPointName; n: number } {
  const [name, count] = spec.split(':');
  const n = count === undefined ? 1 : Number(count);
  if (!CHAOS_POINTS.includes(name as ChaosPointName) || !Number.isInteger(n) || n < 1) {
    throw new Error(`BOSUN_CHAOS_POINT=${spec}: expected one of ${CHAOS_POINTS.join(', ')}, optionally :N (N ≥ 1)`);
  }
  return { name: name as ChaosPointName, n };
}

function armed(spec: string): (name: ChaosPointName) => void {
  const { name, n } = parseChaosPoint(spec);
  let left = n;
  return (at) => {
    if (at !== name || --left > 0) return;
    process.kill(process.pid, 'SIGKILL');
  };
}

const spec = process.env.BOSUN_CHAOS_POINT;
export const chaosPoint: (name: ChaosPointName) => void = spec && process.env.BOSUN_TEST_HOOKS === '1' ? armed(spec) : () => undefined;
