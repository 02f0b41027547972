// Replay of the shared March 2023 BTC candles through the real analytics and decision machines, persisted in MariaDB:
// every decision row has complete reasoning and votes; every intent has a stop-loss on the right side and a size within the caps.
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decisionEffects, engineConfig } from '../../src/decision/host-effects.js';
import { decisionTimeframe, roundTripCost } from '../../src/decision/engine.js';
import { TIMEFRAME_MS } from '../../src/domain/timeframes.js';
import { fromRoot } from '../../src/paths.js';
import type { DecisionDetail, Intent } from '../../src/protocol/index.js';
import { testConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { analyticsSnapshots, parseCandleCsv, replayDecisions } from '../helpers/decision-replay.js';

const FILE = fromRoot('..', 'shared', 'data', 'btcusdt-1m-2023-03-01_21.csv');
const present = existsSync(FILE);
let db: TestDb;
test.before(async () => {
  if (present) db = await createTestDb('replay');
});
test.after(async () => {
  if (present) await db.drop();
});

const STRATEGIES = ['imba', 'ema_rsi', 'voting13', 'rules'];
/** The default preset goes through MariaDB (the write path is the same for every preset); the others are checked as emitted. */
const PERSISTED = 'imba';

type Row = { id: string; verdict: string; vetoed: number; vetoes: Array<{ code: string; detail: string }>; detail: DecisionDetail; intent: Intent | null; reasoning: string };
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

(present ? test : test.skip)(`the shared month replayed through ${STRATEGIES.join(', ')}: complete reasoning, every intent stopped and within the caps`, async () => {
  const candles = parseCandleCsv(readFileSync(FILE, 'utf8'), 'BTC/USDT:USDT');
  assert.is(candles.length, 30_240);
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  const summary: string[] = [];
  const snapshots = analyticsSnapshots(testConfig({ analytics: { fullSnapshotSec: 300 } }), candles);
  for (const strategy of STRATEGIES) {
    const config = testConfig({ decision: { strategy }, analytics: { fullSnapshotSec: 300 } });
    let clockNow = candles[0]!.openTime;
    const fx = decisionEffects({ pool: db.pool, config, now: () => clockNow, log, onLearning: () => {} });
    const persist = strategy === PERSISTED;
    const r = replayDecisions({ config, candles, snapshots, ...(persist ? { actions: fx.actions } : {}), onDecision: (d) => (clockNow = d.ts) });
    await fx.close();
    let rows: Row[];
    if (persist) {
      const raw = await db.pool.query<Array<Record<string, unknown>>>('SELECT id, verdict, vetoed, vetoes, source_votes, intent, reasoning FROM decisions WHERE strategy = ? ORDER BY ts', [strategy]);
      assert.is(raw.length, r.decisions.length, `${strategy}: every decision persisted once`);
      rows = raw.map((x) => ({ id: x.id as string, verdict: x.verdict as string, vetoed: Number(x.vetoed), vetoes: json(x.vetoes), detail: json(x.source_votes), intent: json(x.intent), reasoning: x.reasoning as string }));
    } else {
      rows = r.decisions.map((d) => ({ id: d.decisionId, verdict: d.verdict, vetoed: d.vetoes.length ? 1 : 0, vetoes: d.vetoes, detail: d.detail!, intent: d.intent, reasoning: d.reasoning }));
    }
    const preset = config.decision.presets[strategy]!;
    // A decision on each close of the preset's timeframe that is also a 5-minute full snapshot.
    const every = Math.max(TIMEFRAME_MS[decisionTimeframe(preset)], 300_000);
    assert.ok(rows.length >= Math.floor((30_240 * 60_000) / every) - 5, `${strategy}: a decision per ${every / 60_000}-minute close (${rows.length})`);
    const { risk, takerFee } = engineConfig(config);
    const cost = roundTripCost(takerFee, risk);
    const sources = preset.kind === 'weighted' || preset.kind === 'imba' ? Object.keys(preset.weights).length : preset.kind === 'rules' ? preset.required.length + preset.confirmers.length : 2;
    let intents = 0;
    const vetoCounts: Record<string, number> = {};
    for (const row of rows) {
      const { detail, vetoes } = row;
      const what = `${strategy} ${row.id}`;
      assert.ok(row.reasoning.startsWith(`${strategy} (${preset.kind}): `), `${what}: reasoning names the strategy`);
      for (const part of ['score', 'coverage', 'agreement', 'gates:']) assert.ok(row.reasoning.includes(part), `${what}: reasoning has ${part}`);
      assert.ok(row.reasoning.includes(row.verdict), `${what}: reasoning has the verdict`);
      assert.is(detail.votes.length, sources, `${what}: all source votes persisted`);
      for (const v of detail.votes) {
        assert.type(v.weight, 'number');
        assert.ok(v.unavailable ? v.contribution === 0 && v.direction === null : v.direction !== null && v.strength !== null, `${what}: vote ${v.source} complete`);
      }
      assert.type(detail.coverage, 'number');
      assert.ok(detail.conditions && detail.rawVerdict, `${what}: conditions and raw verdict`);
      assert.is(row.vetoed, vetoes.length ? 1 : 0);
      for (const v of vetoes) {
        assert.ok(v.code && v.detail && row.reasoning.includes(v.code), `${what}: veto ${v.code} explained`);
        vetoCounts[v.code] = (vetoCounts[v.code] ?? 0) + 1;
      }
      const intent = row.intent;
      if (!intent) continue;
      intents++;
      assert.is(vetoes.length, 0, `${what}: an intent is never vetoed`);
      const ref = Number(intent.entry.reference);
      const stop = Number(intent.stopLoss);
      const qty = Number(intent.qty);
      assert.ok(stop > 0 && (intent.side === 'long' ? stop < ref : stop > ref), `${what}: stop-loss ${stop} on the losing side of ${ref}`);
      assert.ok(intent.takeProfits.length > 0 && intent.takeProfits.every((t) => (intent.side === 'long' ? Number(t.price) > ref : Number(t.price) < ref)), `${what}: take-profits`);
      assert.ok(qty > 0, `${what}: size`);
      const s = detail.sizing!;
      const cap = Number(s.equity) * risk.maxNotionalPctEquity * risk.leverage;
      assert.ok(Math.abs(Number(s.cap) - cap) < 1e-6, `${what}: cap is equity × max notional × leverage`);
      assert.ok(qty * ref <= cap + 1e-6, `${what}: notional ${qty * ref} within the cap ${cap}`);
      assert.ok(Number(intent.notional) <= cap, `${what}: stated notional within the cap`);
      if (risk.sizing === 'fixed_fractional') assert.ok(qty * (Math.abs(ref - stop) + cost * ref) <= Number(s.equity) * risk.riskPerTrade + 1e-6, `${what}: risk at the stop, round trip included, within equity × risk per trade`);
      else assert.ok(qty * ref <= Number(s.equity) * risk.kelly.max + 1e-6, `${what}: Kelly notional within equity × kelly.max`);
      if (risk.minStopCostMultiple !== null) assert.ok(Math.abs(ref - stop) / ref >= risk.minStopCostMultiple * cost - 1e-12, `${what}: stop beyond ${risk.minStopCostMultiple} round trips`);
      assert.ok(intent.expiresAt > Number(row.id.split('-').pop()), `${what}: expires after it was made`);
    }
    if (strategy !== 'voting13') assert.ok(intents > 10, `${strategy}: it traded (${intents} intents)`);
    summary.push(`${strategy}${persist ? ' (MariaDB)' : ''}: ${rows.length} decisions, ${intents} intents, ${r.trades.length} trades, equity ${r.equity.toFixed(2)}, vetoes ${JSON.stringify(vetoCounts)}`);
  }
  console.log(summary.join('\n'));
});

test.run();
