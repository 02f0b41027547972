// `npm run chaos`: the crash test from the command line (loopback only: a `bosun venue` process and the paper daemon).
// Guarantees the run's figures as the last line of stdout, and a non-zero exit when any invariant failed or the run aborted.
import { parseArgs } from 'node:util';
import { runChaos } from '../test/helpers/chaos.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', short: 'n' },
    seed: { type: 'string', short: 's' },
    faults: { type: 'boolean', short: 'f' },
    'timeout-sec': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
});
const iterations = Number(values.iterations ?? process.env.CHAOS_ITERATIONS ?? 20);
const seed = Number(values.seed ?? process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const timeoutSec = Number(values['timeout-sec'] ?? process.env.CHAOS_TIMEOUT_SEC ?? 7200);
const faults = values.faults ?? process.env.CHAOS_FAULTS === '1';
if (!Number.isInteger(iterations) || iterations < 1 || !Number.isFinite(seed) || !(timeoutSec > 0)) {
  console.error('usage: npm run chaos -- [--iterations N] [--seed S] [--faults] [--timeout-sec T] [--quiet]  (or CHAOS_ITERATIONS, CHAOS_SEED, CHAOS_FAULTS=1, CHAOS_TIMEOUT_SEC)');
  process.exit(64);
}
const t0 = Date.now();
console.error(`chaos: seed=${seed} iterations=${iterations}${faults ? ' with venue faults' : ''}`);
const r = await runChaos({ iterations, seed, faults, timeoutMs: timeoutSec * 1000, log: values.quiet ? undefined : (l) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}`) });
for (const f of r.failures) console.error(`failure: ${f}`);
const worst = [...r.episodes].sort((a, b) => b.bareMs - a.bareMs).slice(0, 5).map((e) => `${e.symbol} ${e.side} ${new Date(e.openedAt).toISOString()} bare ${(e.bareMs / (r.speed * 1000)).toFixed(2)} s`);
console.error(`chaos: kills by point ${JSON.stringify(r.killsBy)}; faults ${JSON.stringify(r.faultsBy)}; ${r.checks} restarts checked, ${r.selfExits} exits on its own at startup (started again); venue ${r.venueOrders} orders and ${r.venueFills} fills; ${r.episodes.length} position episodes on ${new Set(r.episodes.map((e) => e.symbol)).size} symbols, at most ${r.maxConcurrent} open at once, ${r.uncoveredFills} fills taken with no stop live; ${((Date.now() - t0) / 1000).toFixed(1)} s, seed ${seed}`);
if (worst.length) console.error(`chaos: longest bare episodes (venue records): ${worst.join('; ')}`);
console.log(r.summary);
process.exit(r.failures.length ? 1 : 0);
