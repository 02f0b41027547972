// The learning loop: Wilson intervals and seed 000's actions, seed 001's bounded evolution, and the loop end to end on
// MariaDB: outcomes attributed, insights ACTIVE after 20 trades and applied, every change in history, reversible.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evolveWeights, patternAction, wilson, type Outcome } from '../../src/decision/learning.js';
import { listInsights, resetScope, setInsightStatus } from '../../src/store/repos/learning.js';
import { testConfig } from '../helpers/config.js';
import { cli, daemonConfig } from '../helpers/daemon.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { harnessOn, type H } from '../helpers/decision-harness.js';
import { bullish } from '../helpers/snapshots.js';

let db: TestDb;
let harness: ReturnType<typeof harnessOn>;
test.before(async () => {
  db = await createTestDb('learning');
  harness = harnessOn(db);
});
test.after(async () => {
  await harness.closeAll();
  await db.drop();
});

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const lc = testConfig().decision.learning;

test('Wilson score interval matches the textbook values', () => {
  const rows: Array<[wins: number, n: number, lo: number, hi: number]> = [
    [12, 20, 0.3866, 0.7812], [0, 20, 0, 0.1611], [20, 20, 0.8389, 1], [5, 10, 0.2366, 0.7634], [81, 263, 0.2553, 0.3662],
  ];
  for (const [w, n, lo, hi] of rows) {
    const r = wilson(w, n, 1.96);
    close(r.lo, lo, 1e-4, `lo ${w}/${n}`);
    close(r.hi, hi, 1e-4, `hi ${w}/${n}`);
  }
});

test('seed 000 pattern actions: ci_hi < 0.45 skip, < 0.50 reduce, ci_lo > 0.55/0.65/0.75 boost 1.2/1.4/1.6, ACTIVE from 20 trades', () => {
  const rows: Array<[lo: number, hi: number, n: number, action: string, mult: number, status: string]> = [
    [0.2, 0.449, 20, 'skip', 0, 'ACTIVE'], [0.25, 0.499, 40, 'reduce', 0.5, 'ACTIVE'], [0.3, 0.5, 20, 'none', 1, 'ACTIVE'],
    [0.551, 0.8, 20, 'boost', 1.2, 'ACTIVE'], [0.651, 0.85, 30, 'boost', 1.4, 'ACTIVE'], [0.751, 0.9, 50, 'boost', 1.6, 'ACTIVE'],
    [0.55, 0.8, 20, 'none', 1, 'ACTIVE'], [0.2, 0.4, 19, 'skip', 0, 'PENDING'],
  ];
  for (const [lo, hi, n, action, mult, status] of rows) assert.equal(patternAction(lo, hi, n, lc), { action, multiplier: mult, status }, `lo ${lo} hi ${hi} n ${n}`);
});

test('seed 001 signal evolution: right ×1.06, wrong ×0.94, bounded to [0.5, 1.5] × base', () => {
  const o = (win: boolean, dir: 1 | -1): Outcome => ({ side: 'long', win, conditions: {}, votes: [{ source: 's', weight: 0.1, direction: dir, strength: 1, contribution: 0.1 * dir }] });
  let m: Record<string, number> = { s: 1 };
  const step = (batch: Outcome[]) => (m = { s: evolveWeights(m, batch, lc)[0]!.next });
  step(Array.from({ length: 20 }, () => o(true, 1)));
  close(m.s!, 1.06, 1e-12, 'winner boosted');
  for (let i = 0; i < 20; i++) step(Array.from({ length: 20 }, () => o(true, 1)));
  assert.is(m.s, 1.5, 'capped at 1.5 × base');
  for (let i = 0; i < 40; i++) step(Array.from({ length: 20 }, () => o(false, 1)));
  assert.is(m.s, 0.5, 'floored at 0.5 × base');
  step([...Array.from({ length: 10 }, () => o(true, 1)), ...Array.from({ length: 10 }, () => o(true, -1))]);
  assert.is(m.s, 0.5, 'half right: unchanged');
  const against = evolveWeights({ s: 1 }, Array.from({ length: 20 }, () => o(false, -1)), lc);
  close(against[0]!.next, 1.06, 1e-12, 'voting against a losing trade was right');
});

const WEEK = 7 * 86_400_000;
const T0 = Date.UTC(2026, 2, 4, 12, 0, 0);

async function trade(h: H, t: number, id: number, pnl: number): Promise<string> {
  const d = h.snap(bullish(t));
  assert.ok(d.intent, `trade ${id}: ${d.reasoning}`);
  h.position(d.symbol, 'long');
  h.position(d.symbol, null);
  h.closed(id, pnl, d.intent!.decisionId);
  await h.flush();
  return d.intent!.decisionId;
}

test('end to end: 20 losing trades make their patterns ACTIVE skips that veto the next entry; weights evolve; a reset reverses it', async () => {
  const over = { decision: { strategy: 'voting13', cooldownSec: 0, learning: { enabled: true } }, risk: { lossCooldownMin: [0], maxTradesPerDay: 1000 } };
  const h = harness(T0, over);
  for (let i = 1; i <= 19; i++) await trade(h, T0 + i * 60_000, i, -5);
  let rows = await listInsights(db.pool, 'voting13');
  assert.ok(rows.length > 0 && rows.every((r) => r.status === 'PENDING'), 'under 20 trades: PENDING, not applied');
  const last = await trade(h, T0 + 20 * 60_000, 20, -5);
  h.closed(20, -5, last); // the same close redelivered is counted once
  await h.flush();
  const n = await db.pool.query<Array<{ n: number | bigint }>>('SELECT COUNT(*) AS n FROM trade_outcomes');
  assert.is(Number(n[0]!.n), 20);
  rows = await listInsights(db.pool, 'voting13');
  const regime = rows.find((r) => r.pattern_key === 'regime:TRENDING_UP')!;
  assert.is(regime.status, 'ACTIVE');
  assert.is(regime.action, 'skip');
  assert.is(regime.sample_count, 20);
  assert.ok(Number(regime.ci_hi) < 0.45);
  const whale = rows.find((r) => r.pattern_key === 'weight:whale_flow')!;
  close(Number(whale.multiplier), 0.94, 1e-9, 'every source voted long on 20 losers: ×0.94');
  const d = h.snap(bullish(T0 + 21 * 60_000));
  assert.ok(d.vetoes.some((v) => v.code === 'learning_skip'), d.reasoning);
  close(d.detail!.votes.find((v) => v.source === 'whale_flow')!.weight, 0.12 * 0.94, 1e-12, 'evolved weight applied');
  const hist = await db.pool.query<Array<{ n: number | bigint }>>("SELECT COUNT(*) AS n FROM learning_history WHERE scope = 'voting13' AND pattern_key = 'regime:TRENDING_UP'");
  assert.ok(Number(hist[0]!.n) >= 2, 'PENDING → ACTIVE skip is in the history');
  // Reversible: the operator disables everything; the engine reloads and trades at base weights again.
  assert.ok((await resetScope(db.pool, 'voting13', T0)) > 0);
  const { loadLearning } = await import('../../src/store/repos/learning.js');
  h.send({ type: 'decision.learning', learning: await loadLearning(db.pool, 'voting13') });
  const again = h.snap(bullish(T0 + 22 * 60_000));
  assert.ok(again.intent, again.reasoning);
  assert.is(again.detail!.votes.find((v) => v.source === 'whale_flow')!.weight, 0.12);
  h.position(again.symbol, 'long');
  h.position(again.symbol, null);
  // A disabled insight stays disabled while its statistics keep updating; enabling it back restores it.
  await trade(h, T0 + 23 * 60_000, 21, -5);
  const r2 = (await listInsights(db.pool, 'voting13')).find((r) => r.pattern_key === 'regime:TRENDING_UP')!;
  assert.is(r2.status, 'DISABLED');
  assert.is(r2.sample_count, 21);
  assert.ok(await setInsightStatus(db.pool, 'voting13', 'regime:TRENDING_UP', 'ACTIVE', T0, lc.minTrades));
  h.send({ type: 'decision.learning', learning: await loadLearning(db.pool, 'voting13') });
  assert.ok(h.snap(bullish(T0 + 24 * 60_000)).vetoes.some((v) => v.code === 'learning_skip'));
});

test('bosun learning list / enable: visible and reversible from the CLI, logged in learning_history', async () => {
  const { configFile } = daemonConfig({ dbUrl: db.url, overrides: { decision: { strategy: 'voting13' } } });
  const list = cli(['learning', 'list', '-c', configFile]);
  assert.is(list.code, 0, list.stderr);
  assert.match(list.stdout, /ACTIVE\s+regime:TRENDING_UP\s+n=21/);
  // The reset above disabled weight:vpin; the operator turns it back on.
  const on = cli(['learning', 'enable', 'weight:vpin', '-c', configFile]);
  assert.is(on.code, 0, on.stderr);
  assert.match(on.stdout, 'no daemon running');
  assert.is((await listInsights(db.pool, 'voting13')).find((r) => r.pattern_key === 'weight:vpin')!.status, 'ACTIVE');
  const hist = await db.pool.query<Array<{ old_status: string; new_status: string; why: string }>>("SELECT old_status, new_status, why FROM learning_history WHERE pattern_key = 'weight:vpin' ORDER BY id DESC LIMIT 1");
  assert.equal([hist[0]!.old_status, hist[0]!.new_status, hist[0]!.why], ['DISABLED', 'ACTIVE', 'operator']);
});

test('learning is opt-in: with it off, nothing is attributed and no insight is applied', async () => {
  const h = harness(T0 + WEEK, { decision: { strategy: 'voting13', cooldownSec: 0 }, risk: { lossCooldownMin: [0] } });
  const before = Number((await db.pool.query<Array<{ n: number | bigint }>>('SELECT COUNT(*) AS n FROM trade_outcomes'))[0]!.n);
  await trade(h, T0 + WEEK + 60_000, 500, -5);
  const after = Number((await db.pool.query<Array<{ n: number | bigint }>>('SELECT COUNT(*) AS n FROM trade_outcomes'))[0]!.n);
  assert.is(after, before);
  const d = h.snap(bullish(T0 + WEEK + 120_000));
  assert.ok(d.intent, 'the ACTIVE skip in the DB is not applied when learning is off');
});

test.run();
