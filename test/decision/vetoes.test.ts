// Each gate, veto and breaker fires in a scenario on the real machine with the real MariaDB effects, and its reason
// code is persisted in `decisions` (breakers also in `risk_breakers`). Table-driven.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LearningState } from '../../src/decision/learning.js';
import type { Decision } from '../../src/protocol/index.js';
import { decisionRow } from '../../src/store/repos/decisions.js';
import { deepMerge } from '../helpers/config.js';
import { harnessOn, type H, type HarnessExtra } from '../helpers/decision-harness.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { BTC, ETH, bearish, bullish } from '../helpers/snapshots.js';

let db: TestDb;
let harness: ReturnType<typeof harnessOn>;
test.before(async () => {
  db = await createTestDb('vetoes');
  harness = harnessOn(db);
});
test.after(async () => {
  await harness.closeAll();
  await db.drop();
});

const WEEK = 7 * 86_400_000;
/** Wednesday 2026-01-07 12:00 UTC: not a blocked or boosted hour, mid-week. */
const T0 = Date.UTC(2026, 0, 7, 12, 0, 0);
const MIN = 60_000;
const codes = (d: Decision) => d.vetoes.map((v) => v.code);

async function persisted(d: Decision) {
  const row = await decisionRow(db.pool, d.decisionId);
  assert.ok(row, `decision ${d.decisionId} persisted`);
  return row!;
}

interface Case {
  code: string;
  strategy?: string;
  overrides?: Record<string, unknown>;
  learning?: LearningState;
  extra?: HarnessExtra;
  run: (h: H, t: number) => Decision;
}

const noSpacing = { decision: { cooldownSec: 0 } };

const CASES: Case[] = [
  { code: 'hour_blocked', run: (h, t) => h.snap(bullish(t + 6 * 60 * MIN)) }, // 18:00 UTC
  { code: 'regime_ranging', run: (h, t) => h.snap(bullish(t, { regime: { label: 'RANGING', confidence: 0.7 } })) },
  {
    code: 'min_agreement',
    run: (h, t) => h.snap(bullish(t, {
      ml: { available: false, reason: 'no model' }, ai: null, regime: { label: 'VOLATILE', confidence: 0.5 }, ind: { vwapSession: 30_000 },
      micro: { fairValue: 30_000 }, flow: { sentiment: 0, etfFlowUsd: 0 },
    })),
  },
  { code: 'ml_disagreement', run: (h, t) => h.snap(bullish(t, { ml: { pUp: 0.3 } })) },
  {
    code: 'debounce',
    run: (h, t) => {
      const first = h.snap(bearish(t));
      assert.is(first.verdict, 'STRONG_SELL');
      const d = h.snap(bullish(t + MIN));
      assert.is(d.verdict, 'NEUTRAL', 'opposite signal within the debounce window → NEUTRAL');
      assert.is(d.detail!.rawVerdict, 'STRONG_BUY');
      return d;
    },
  },
  { code: 'funding_filter', run: (h, t) => h.snap(bullish(t, { flow: { fundingRate: 0.002 } })) },
  { code: 'entry_grade', run: (h, t) => h.snap(bullish(t, { ind: { emaFast: 29_850 } })) }, // 1.5 ATR stretched: grade C
  {
    // Decided on every 1m close here (imba decides on 5m closes) so that the second snapshot is a decision too.
    code: 'volatile_weak', strategy: 'imba', overrides: { decision: { presets: { imba: { timeframe: '1m' } } } },
    run: (h, t) => {
      // RSI 20 (0.67 × 0.9), a broken EMA pinch (1.0 × 0.55), a 1.2 ATR/√min move (0.4 × 0.7): confidence 1.43 ≥ 1.2,
      // mean strength 0.67 < 0.8 in a VOLATILE regime.
      h.snap(bullish(t, { ind: { rsi: 50 } }));
      return h.snap(bullish(t + MIN, { price: 30_120, regime: { label: 'VOLATILE', confidence: 0.8 }, ind: { rsi: 20, emaFast: 30_000, emaSlow: 29_990 }, micro: null, flow: { sentiment: 0 } }));
    },
  },
  { code: 'risk_score', strategy: 'rules', run: (h, t) => h.snap(bullish(t, { flow: { riskScore: 0.9 } })) },
  {
    code: 'rsi_overbought', strategy: 'ema_rsi', overrides: { decision: { presets: { ema_rsi: { timeframe: '1m' } } } },
    run: (h, t) => {
      h.snap(bullish(t, { ind: { emaFast: 29_900, emaSlow: 29_950 } }));
      return h.snap(bullish(t + MIN, { ind: { emaFast: 29_990, emaSlow: 29_950, rsi: 80 } }));
    },
  },
  {
    code: 'operator_paused',
    run: (h, t) => {
      h.send({ type: 'control.pause' });
      return h.snap(bullish(t));
    },
  },
  {
    code: 'position_open',
    run: (h, t) => {
      h.position(BTC, 'long');
      return h.snap(bullish(t));
    },
  },
  {
    code: 'intent_pending', overrides: noSpacing,
    run: (h, t) => {
      assert.ok(h.snap(bullish(t)).intent);
      return h.snap(bullish(t + MIN));
    },
  },
  {
    code: 'cooldown',
    run: (h, t) => {
      assert.ok(h.snap(bullish(t)).intent);
      h.position(BTC, 'long');
      h.position(BTC, null);
      assert.is(h.state(), 'cooldown');
      return h.snap(bullish(t + 5 * MIN));
    },
  },
  {
    code: 'loss_cooldown',
    run: (h, t) => {
      h.closed(1, -20);
      assert.is(h.state(), 'cooldown');
      return h.snap(bullish(t + MIN));
    },
  },
  {
    code: 'max_trades_day', overrides: { ...noSpacing, risk: { maxTradesPerDay: 2 } },
    run: (h, t) => {
      for (let i = 0; i < 2; i++) {
        assert.ok(h.snap(bullish(t + i * MIN)).intent, `entry ${i + 1}`);
        h.position(BTC, 'long');
        h.position(BTC, null);
      }
      return h.snap(bullish(t + 2 * MIN));
    },
  },
  {
    code: 'max_positions', overrides: { risk: { maxPositions: 1 } },
    run: (h, t) => {
      h.position(ETH, 'long');
      return h.snap(bullish(t));
    },
  },
  {
    code: 'sector_cap', overrides: { risk: { maxPerSector: 1, sectors: { [BTC]: 'L1', [ETH]: 'L1' } } },
    run: (h, t) => {
      h.position(ETH, 'short');
      return h.snap(bullish(t));
    },
  },
  {
    code: 'btc_regime_down',
    run: (h, t) => {
      h.snap(bearish(t));
      return h.snap(bullish(t, {}, ETH));
    },
  },
  {
    code: 'learning_skip', overrides: { decision: { learning: { enabled: true } } },
    learning: { patterns: { 'regime:TRENDING_UP': { action: 'skip', multiplier: 0, lo: 0.1, hi: 0.4, n: 30 } }, weights: {} },
    run: (h, t) => h.snap(bullish(t)),
  },
  {
    // voting13 sizes by Kelly (seed 001): b = 2.5 % / 0.6 %, so p below 1 / (1 + b) ≈ 0.19 has no edge.
    code: 'kelly_no_edge', overrides: { decision: { presets: { voting13: { risk: { kelly: { priorWinRate: 0.1, priorTrades: 50 } } } } } },
    run: (h, t) => h.snap(bullish(t)),
  },
  { code: 'size_zero', overrides: { risk: { minNotional: 1_000_000 } }, run: (h, t) => h.snap(bullish(t)) },
  { code: 'no_stop', overrides: { decision: { presets: { voting13: { risk: { stops: 'atr', stopAtrMult: 400 } } } } }, run: (h, t) => h.snap(bullish(t)) },
  // The round trip here: 2 × 0.04 % taker + 2 × 0.01 % slippage = 0.1 % of the entry.
  { code: 'stop_within_costs', overrides: { decision: { presets: { voting13: { risk: { stopPct: 0.0025, takeProfitPct: 0.05 } } } } }, run: (h, t) => h.snap(bullish(t)) }, // 0.25 % < 3 × 0.1 %
  { code: 'reward_risk_low', overrides: { decision: { presets: { voting13: { risk: { takeProfitPct: 0.012 } } } } }, run: (h, t) => h.snap(bullish(t)) }, // (1.2 − 0.1) / (0.6 + 0.1) = 1.57 < 2
  {
    // ai.sentinel.gate warn_vetoes: the STRONG_BUY waits for the review; a WARN vetoes it (the host sends the review).
    code: 'sentinel_warn', extra: { input: { sentinel: 'warn_vetoes' } },
    run: (h, t) => {
      const n = h.made.length;
      h.snap(bullish(t));
      assert.is(h.made.length, n, 'held for the review: nothing sent yet');
      const held = h.context().held[BTC]!;
      assert.is(held.verdict, 'STRONG_BUY');
      h.send({ type: 'decision.sentinel', result: { decision: held, review: { note: 'WARN', reason: 'verdicts flip every cycle', model: 'm', at: t, latencyMs: 5 } } });
      return h.made[h.made.length - 1]!;
    },
  },
];

CASES.forEach((c, i) => {
  test(`veto ${c.code} fires and its reason code is persisted (${c.strategy ?? 'voting13'})`, async () => {
    const t = T0 + i * WEEK;
    const h = harness(t, deepMerge({ decision: { strategy: c.strategy ?? 'voting13' } }, (c.overrides ?? {}) as never), c.learning, c.extra);
    const d = c.run(h, t);
    await h.flush();
    assert.ok(codes(d).includes(c.code), `expected ${c.code}, got ${codes(d).join(', ') || 'none'}: ${d.reasoning}`);
    assert.is(d.intent, null, 'a vetoed decision carries no intent');
    const row = await persisted(d);
    assert.ok(row.vetoes.some((v) => v.code === c.code), `${c.code} persisted in decisions.vetoes`);
    assert.is(row.vetoed, 1);
    assert.match(row.reasoning, c.code);
    assert.ok(Array.isArray((row.detail as { votes: unknown[] }).votes) && (row.detail as { votes: unknown[] }).votes.length > 0, 'source votes persisted');
  });
});

test('the unvetoed base case trades: a STRONG_BUY intent with stop, targets and a capped size, persisted with all votes', async () => {
  const h = harness(T0 - WEEK, { decision: { strategy: 'voting13' } });
  const d = h.snap(bullish(T0 - WEEK));
  await h.flush();
  assert.is(d.verdict, 'STRONG_BUY', d.reasoning);
  assert.equal(d.vetoes, []);
  assert.ok(d.intent);
  // Seed 001: SL 0.6 %, TP 2.5 %, Kelly f bounded to 20 % of equity.
  assert.is(Number(d.intent!.stopLoss), 29_820);
  assert.is(Number(d.intent!.takeProfits[0]!.price), 30_750);
  assert.ok(Math.abs(Number(d.intent!.notional) - 0.2 * 10_000) < 0.05, `notional ${d.intent!.notional}`);
  const row = await persisted(d);
  const detail = row.detail as { votes: Array<{ source: string; weight: number; unavailable?: string }>; coverage: number };
  assert.is(detail.votes.length, 13);
  assert.ok(detail.votes.find((v) => v.source === 'hour_seasonality')!.unavailable, 'no hour table: unavailable, weight left out');
  assert.ok(!detail.votes.find((v) => v.source === 'ai_consensus')!.unavailable, 'a fresh AI consensus votes');
  assert.ok(Math.abs(detail.coverage - (0.95 - 0.03) / 0.95) < 1e-9, `coverage ${detail.coverage}`);
  assert.match(row.reasoning, 'stop');
  assert.match(row.reasoning, 'size');
});

test('ATR stops can use a higher timeframe\'s ATR; percentage stops use fixed fractions of the entry', async () => {
  const atr = { stops: 'atr', atrTimeframe: '15m', stopAtrMult: 1.5, takeProfitAtrMult: 4.5 };
  const h = harness(T0 - 2 * WEEK, { decision: { strategy: 'voting13', presets: { voting13: { risk: atr } } } });
  const d = h.snap(bullish(T0 - 2 * WEEK));
  assert.is(Number(d.intent!.stopLoss), 30_000 - 1.5 * 300, d.reasoning);
  assert.is(Number(d.intent!.takeProfits[0]!.price), 30_000 + 4.5 * 300);
  const p = harness(T0 - 3 * WEEK, { decision: { strategy: 'voting13', presets: { voting13: { risk: { takeProfitPct: 0.05, takeProfits: [{ at: 0.5, fraction: 0.5 }, { at: 1, fraction: 0.5 }] } } } } });
  const q = p.snap(bullish(T0 - 3 * WEEK));
  assert.is(Number(q.intent!.stopLoss), 29_820);
  assert.equal(q.intent!.takeProfits.map((t) => [Number(t.price), t.fraction]), [[30_750, 0.5], [31_500, 0.5]]);
  await h.flush();
  await p.flush();
});

test('a preset decides on the close of its timeframe only, with stops from that timeframe\'s ATR and the round trip in the risk', async () => {
  const t = T0 - 4 * WEEK;
  const risk = { stops: 'atr', atrTimeframe: 'decision', stopAtrMult: 1.5, takeProfitAtrMult: 4.5, sizing: 'fixed_fractional', strengthSizing: false, riskPerTrade: 0.005, maxNotionalPctEquity: 1 };
  const h = harness(t, { decision: { strategy: 'voting13', cooldownSec: 0, presets: { voting13: { timeframe: '15m', risk } } } });
  const first = h.snap(bullish(t));
  assert.is(h.made.length, 1);
  // 1.5 × the 15m ATR (300) below 30,000; risk 50 = qty × (450 + 0.1 % × 30,000) → qty 50 / 480.
  assert.is(Number(first.intent!.stopLoss), 29_550, first.reasoning);
  assert.is(Number(first.intent!.takeProfits[0]!.price), 31_350);
  assert.ok(Math.abs(Number(first.intent!.qty) - 50 / 480) < 1e-7, `qty ${first.intent!.qty}`);
  assert.ok(Math.abs(Number(first.detail!.sizing!.riskAtStop) - 50) < 1e-3, `risk at the stop with the round trip: ${first.detail!.sizing!.riskAtStop}`);
  for (const m of [1, 5, 10, 14]) h.snap(bullish(t + m * MIN));
  assert.is(h.made.length, 1, 'no decision off the 15m close');
  h.position(BTC, 'long');
  h.position(BTC, null);
  h.snap(bullish(t + 15 * MIN));
  assert.is(h.made.length, 2, 'the next 15m close decides');
  await h.flush();
});

const BREAKERS: Array<{ code: string; equity: [number, number, number]; flatten: boolean; until: (t: number) => number | null }> = [
  { code: 'daily_drawdown', equity: [9_400, -600, -600], flatten: false, until: (t) => t - (t % 86_400_000) + 86_400_000 },
  { code: 'weekly_drawdown', equity: [8_400, -100, -1_600], flatten: false, until: () => Date.UTC(2026, 0, 12) + 53 * WEEK },
  { code: 'emergency_stop', equity: [7_900, 0, 0], flatten: true, until: () => null },
];

BREAKERS.forEach((b, i) => {
  test(`breaker ${b.code} fires on equity, halts execution${b.flatten ? ' and asks to flatten' : ''}, vetoes entries, and is stored in risk_breakers`, async () => {
    const t = T0 + (52 + i) * WEEK;
    const h = harness(t, { decision: { strategy: 'voting13' } });
    h.equity(10_000, 0, 0); // the account reference
    h.equity(...b.equity);
    assert.is(h.state(), 'halted');
    assert.ok(h.alerts.some((a) => a.code === `risk.${b.code}`), 'alerted');
    assert.is(h.halts.length, 1);
    assert.is(h.halts[0]!.flatten, b.flatten);
    assert.is(h.halts[0]!.until, b.until(t));
    const d = h.snap(bullish(t + MIN));
    assert.ok(codes(d).includes(b.code), d.reasoning);
    assert.is(h.halts.length, 2, 'the halt is re-asserted with each decision while in force');
    await h.flush();
    const row = await persisted(d);
    assert.ok(row.vetoes.some((v) => v.code === b.code));
    const rows = await db.pool.query<Array<{ code: string; until_ts: number | null; flatten: number; cleared_at: number | null }>>('SELECT code, until_ts, flatten, cleared_at FROM risk_breakers WHERE code = ?', [b.code]);
    assert.is(rows.length, 1);
    assert.is(rows[0]!.cleared_at, null);
    assert.is(rows[0]!.until_ts === null ? null : Number(rows[0]!.until_ts), b.until(t));
    assert.is(rows[0]!.flatten, b.flatten ? 1 : 0);
    // Firing again while in force is a no-op; an operator resume clears it and re-bases the drawdown.
    h.equity(...b.equity);
    h.send({ type: 'control.resume' });
    assert.is(h.state(), 'idle');
    h.equity(...b.equity);
    assert.is(h.state(), 'idle', 'the loss before the resume does not fire it again');
    await h.flush();
    const after = await db.pool.query<Array<{ cleared_by: string | null }>>('SELECT cleared_by FROM risk_breakers WHERE code = ?', [b.code]);
    assert.equal(after.map((r) => r.cleared_by), ['operator']);
    await db.pool.query('DELETE FROM risk_breakers');
  });
});

test('a daily breaker ends with its day: the timer re-arms from context, the row is cleared as period_end', async () => {
  const t = T0 + 60 * WEEK;
  const h = harness(t, { decision: { strategy: 'voting13' } });
  h.equity(10_000, 0, 0);
  h.equity(9_400, -600, -600);
  assert.is(h.state(), 'halted');
  const end = t - (t % 86_400_000) + 86_400_000;
  h.clock.advanceTo(end - 1);
  assert.is(h.state(), 'halted');
  h.clock.advanceTo(end);
  assert.is(h.state(), 'idle');
  assert.ok(h.alerts.some((a) => a.code === 'risk.breaker_ended'));
  await h.flush();
  const rows = await db.pool.query<Array<{ cleared_by: string; cleared_at: number }>>("SELECT cleared_by, cleared_at FROM risk_breakers WHERE code = 'daily_drawdown'");
  assert.equal(rows.map((r) => [r.cleared_by, Number(r.cleared_at)]), [['period_end', end]]);
  await db.pool.query('DELETE FROM risk_breakers');
});

test('post-loss cooldown escalates 30 → 60 → 120 min with consecutive losses; a win resets the streak', async () => {
  const t = T0 + 70 * WEEK;
  const h = harness(t, { decision: { strategy: 'voting13', cooldownSec: 0 } });
  const waits: number[] = [];
  for (let i = 1; i <= 4; i++) {
    const at = h.clock.now();
    h.closed(i, -10);
    const d = h.snap(bullish(at + MIN));
    assert.ok(codes(d).includes('loss_cooldown'), `loss ${i}`);
    while (h.state() === 'cooldown') h.clock.advanceTo(h.clock.now() + MIN);
    waits.push((h.clock.now() - at) / MIN);
  }
  assert.equal(waits, [30, 60, 120, 120]);
  h.closed(5, 25);
  h.closed(6, -10);
  const d = h.snap(bullish(h.clock.now() + MIN));
  assert.match(d.vetoes.find((v) => v.code === 'loss_cooldown')!.detail, 'cooldown 30 min');
});

test('an entry that execution ended (refused, expired, given up) frees its intent\'s pending slot; an ended entry of another intent does not', async () => {
  const t = T0 - 3 * WEEK;
  const h = harness(t, deepMerge({ decision: { strategy: 'voting13' } }, noSpacing as never));
  const first = h.snap(bullish(t));
  assert.ok(first.intent, first.reasoning);
  assert.ok(codes(h.snap(bullish(t + MIN))).includes('intent_pending'));
  // Another intent's end (an older one, or one already replaced) leaves this slot held.
  h.send({ type: 'decision.entry_ended', ended: { symbol: BTC, decisionId: 'other', expiresAt: first.intent!.expiresAt - 1, filled: false } });
  assert.ok(codes(h.snap(bullish(t + 2 * MIN))).includes('intent_pending'), 'held until its own intent ends');
  h.send({ type: 'decision.entry_ended', ended: { symbol: BTC, decisionId: first.decisionId, expiresAt: first.intent!.expiresAt, filled: false } });
  assert.is(h.context().risk.pending[BTC], undefined);
  const next = h.snap(bullish(t + 3 * MIN));
  assert.not.ok(codes(next).includes('intent_pending'), codes(next).join(', '));
  assert.ok(next.intent, 'a new intent on the symbol once its entry ended unfilled');
});

test('a snapshot is decided on once: a re-sent or older one (a restarted analytics worker) makes no second decision or intent', async () => {
  const t = T0 + 80 * WEEK;
  const h = harness(t, { decision: { strategy: 'voting13' } });
  assert.ok(h.snap(bullish(t)).intent);
  h.snap(bullish(t));
  h.snap(bullish(t - MIN));
  assert.is(h.made.length, 1);
  await h.flush();
});

test.run();
