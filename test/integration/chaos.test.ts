// The crash test in CI: 20 kill -9 restarts of the paper daemon against a `bosun venue` process.
// Guarantees after every restart: no duplicate client id, stops within 5 s, venue and DB agree, no fill lost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runChaos } from '../helpers/chaos.js';

// The crash test (npm run chaos) with a CI-sized count: kill -9 at startup, right after a venue order, right after a
// venue fill, or at random; after every restart the venue and the daemon's DB are compared (test/helpers/chaos.ts).
test('kill -9 at random points of the order lifecycle, 20 times: no duplicate order, every position stopped within 5 s, venue and DB agree', async () => {
  const iterations = Number(process.env.CHAOS_ITERATIONS ?? 20);
  const seed = Number(process.env.CHAOS_SEED ?? 20261121);
  const r = await runChaos({ iterations, seed, eventWaitMs: 8000, randomKillMs: 1500, timeoutMs: 240_000, log: process.env.CHAOS_VERBOSE ? (l) => console.log(l) : undefined });
  console.log(`${r.summary} (seed ${seed}, ${r.checks} restarts checked, kills ${JSON.stringify(r.killsBy)}, venue ${r.venueOrders} orders ${r.venueFills} fills)`);
  assert.is(r.failures.length, 0, r.failures.join('\n'));
  assert.is(r.kills, iterations);
  assert.is(r.duplicates, 0);
  assert.is(r.mismatches, 0);
  assert.ok(r.maxUnprotectedSec <= 5, `a position went ${r.maxUnprotectedSec} s without a stop-loss`);
  // Not vacuous: the daemon traded, and kills landed right after venue orders and fills.
  assert.ok(r.venueFills >= 1 && (r.killsBy.order ?? 0) + (r.killsBy.fill ?? 0) >= 2, `too little trading to test anything: ${JSON.stringify(r.killsBy)}, ${r.venueFills} fills`);
  assert.ok(r.checks >= iterations / 2, `most restarts reached the end of reconciliation (${r.checks})`);
});

test.run();
