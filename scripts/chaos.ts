// `npm run chaos`: the crash test from the command line (loopback only: a `bosun venue` process and the paper daemon).
// Guarantees one summary line and a non-zero exit when any invariant failed or the run was aborted.
import { parseArgs } from 'node:util';
import { runChaos } from '../test/helpers/chaos.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', short: 'n' },
    seed: { type: 'string', short: 's' },
    'timeout-sec': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
});
const iterations = Number(values.iterations ?? process.env.CHAOS_ITERATIONS ?? 20);
const seed = Number(values.seed ?? process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const timeoutSec = Number(values['timeout-sec'] ?? process.env.CHAOS_TIMEOUT_SEC ?? 1800);
if (!Number.isInteger(iterations) || iterations < 1 || !Number.isFinite(seed) || !(timeoutSec > 0)) {
  console.error('usage: npm run chaos -- [--iterations N] [--seed S] [--timeout-sec T] [--quiet]  (or CHAOS_ITERATIONS, CHAOS_SEED, CHAOS_TIMEOUT_SEC)');
  process.exit(64);
}
const t0 = Date.now();
console.error(`chaos: seed=${seed} iterations=${iterations}`);
const r = await runChaos({ iterations, seed, timeoutMs: timeoutSec * 1000, log: values.quiet ? undefined : (l) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}`) });
for (const f of r.failures) console.error(`failure: ${f}`);
console.error(`chaos: kills by point ${JSON.stringify(r.killsBy)}, ${r.checks} restarts checked, venue ${r.venueOrders} orders and ${r.venueFills} fills, ${((Date.now() - t0) / 1000).toFixed(1)} s, seed ${seed}`);
console.log(r.summary);
process.exit(r.failures.length ? 1 : 0);
