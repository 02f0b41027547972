// The crash test in CI: kill -9 of the paper daemon at its kill points and around venue events, on a `bosun venue` process.
// Guarantees from the venue's own records: no duplicate order, no lost fill, venue and DB agree (fill contents and final
// order states included), every restart trades again (`halted` is not ready), bare time measured for every episode.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runChaos, type Kind } from '../helpers/chaos.js';

/**
 * Protection before exposure: the entry's stop is on the exchange before the entry can fill (issue 15) — the entry is a
 * post-only limit (it fills only when the price comes to it, before the price can reach the stop beyond it), what the
 * exchange said executed counts before its fills arrive, and the stop is read from the exchange before any later entry
 * order. No fill may open or grow a position while no stop covers it, kills and venue faults included.
 */
const STOP_BEFORE_ENTRY = true;

/** Each aimed kill once: order row written / request in flight / answer not written / fill without its stop yet / mid-reconciliation / startup. */
const KINDS: Kind[] = ['written', 'inflight', 'answered', 'fill', 'reconcile', 'startup'];

test('kill -9 at each kill point: no duplicate, nothing lost, venue and DB agree (fills, final order states), trading resumes', async () => {
  const iterations = Number(process.env.CHAOS_ITERATIONS ?? KINDS.length);
  const seed = Number(process.env.CHAOS_SEED ?? 20261121);
  // A budget below the test runner's limit (300 s per file): on a loaded machine fewer iterations run (at least 3), never
  // a timeout; what is asserted holds whatever the load.
  const r = await runChaos({ iterations, seed, kinds: KINDS, eventWaitMs: 20_000, randomKillMs: 1500, timeoutMs: 230_000, minIterations: 3, log: process.env.CHAOS_VERBOSE ? (l) => console.log(l) : undefined });
  console.log(`${r.summary} (${r.checks} restarts checked, kills ${JSON.stringify(r.killsBy)}, venue ${r.venueOrders} orders ${r.venueFills} fills, ${r.episodes.length} episodes, at most ${r.maxConcurrent} open at once, ${r.uncoveredFills} fills with no stop live)`);
  assert.is(r.failures.length, 0, r.failures.join('\n'));
  assert.ok(r.iterations >= 3 && r.kills === r.iterations, `${r.iterations} iterations, ${r.kills} kills`);
  assert.is(r.duplicates, 0);
  assert.is(r.lost, 0);
  assert.is(r.mismatches, 0);
  // Not vacuous: the daemon traded, positions came and went, and kills landed at the points they were aimed at.
  assert.ok(r.venueFills >= 2 && r.episodes.length >= 1, `too little trading to test anything: ${r.venueFills} fills, ${r.episodes.length} episodes`);
  const aimed = Object.entries(r.killsBy).filter(([k]) => k !== 'no_event' && !k.includes('not reached')).reduce((a, [, n]) => a + n, 0);
  assert.ok(aimed >= r.iterations / 2, `most kills landed where they were aimed: ${JSON.stringify(r.killsBy)}`);
  assert.ok(r.checks >= r.iterations / 2, `most restarts reached trading and were checked (${r.checks})`);
  if (STOP_BEFORE_ENTRY) assert.is(r.uncoveredFills, 0, 'a fill opened or grew a position while no stop covered it');
});

test.run();
