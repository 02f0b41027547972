import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { decisionMachine } from '../../machines/decision.machine.js';
import { SimClock } from '../../src/clock/clock.js';
import type { Decision, Snapshot } from '../../src/protocol/index.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const params = { rsiLongMax: 70, rsiShortMin: 30, intentTtlSec: 300, riskPerTrade: 0.005, leverage: 5, maxNotionalPctEquity: 1, stopAtrMult: 1.5, takeProfitAtrMult: 2.5, maxSlippage: 0.002 };

const snap = (ts: number, emaFast: number, emaSlow: number, rsi = 50, price = 30000, atr = 100): Snapshot => ({
  symbol: 'BTC/USDT:USDT', ts, kind: 'full', price, ind: { emaFast, emaSlow, rsi, atr }, tf: {}, mtfAlignment: null, session: 'europe', hourUtc: 12, regime: null, micro: null, flow: null, ml: { available: false, reason: 'none' },
});

function start(clock: SimClock, extra: Partial<{ cooldownUntil: number; prevSpread: Record<string, number | null> }> = {}) {
  const persisted: Decision[] = [];
  const made: Decision[] = [];
  const actor = createActor(decisionMachine.provide({ actions: { persistDecision: (_, d: Decision) => persisted.push(d) } }), {
    clock,
    input: { params, cooldownSec: 900, startingEquity: 10_000, now: () => clock.now(), cooldownUntil: 0, prevSpread: {}, ...extra },
  });
  actor.on('decision.made', (e) => made.push(e.payload));
  actor.start();
  return { actor, persisted, made };
}

test('an EMA cross up with RSI below the cap yields a BUY intent with stop, target and a risk-based size', () => {
  const clock = new SimClock(T0);
  const { actor, made, persisted } = start(clock);
  actor.send({ type: 'decision.snapshot', snapshot: snap(T0, 99, 100) });
  actor.send({ type: 'decision.snapshot', snapshot: snap(T0 + 300_000, 101, 100) });
  assert.is(made.length, 2);
  assert.equal(persisted, made);
  const d = made[1]!;
  assert.is(d.verdict, 'BUY');
  assert.ok(d.intent);
  assert.is(d.intent!.side, 'long');
  assert.is(Number(d.intent!.stopLoss), 30000 - 150);
  assert.is(Number(d.intent!.takeProfits[0]!.price), 30000 + 250);
  // risk 0.5 % of 10 000 = 50 over a 150 stop distance → 1/3 BTC, capped by equity × leverage = 50 000 notional.
  assert.ok(Math.abs(Number(d.intent!.qty) - 50 / 150) < 1e-6);
  assert.is(d.decisionId, `BTCUSDTUSDT-ema_rsi-${T0 + 300_000}`);
  assert.match(d.reasoning, 'crossed up');
  assert.is(actor.getSnapshot().value, 'cooldown');
});

test('vetoes: overbought RSI, an open position, the operator pause — each with a reason code', () => {
  const clock = new SimClock(T0);
  const a = start(clock, { prevSpread: { 'BTC/USDT:USDT': -1 } });
  a.actor.send({ type: 'decision.snapshot', snapshot: snap(T0, 101, 100, 75) });
  assert.is(a.made[0]!.intent, null);
  assert.equal(a.made[0]!.vetoes.map((v) => v.code), ['rsi_overbought']);

  const b = start(clock, { prevSpread: { 'BTC/USDT:USDT': -1 } });
  b.actor.send({ type: 'decision.position', position: { symbol: 'BTC/USDT:USDT', positionId: 1, side: 'long', qty: '0.1', entryPrice: '1', stopLoss: '0.9', takeProfit: null, unrealizedPnl: '0' } });
  b.actor.send({ type: 'control.pause' });
  b.actor.send({ type: 'decision.snapshot', snapshot: snap(T0, 101, 100) });
  assert.equal(b.made[0]!.vetoes.map((v) => v.code).sort(), ['operator_paused', 'position_open']);
  assert.is(b.made[0]!.intent, null);
});

test('the cooldown deadline survives a restart: restored from context it re-arms and expires on time', () => {
  const clock = new SimClock(T0);
  const { actor, made } = start(clock, { cooldownUntil: T0 + 600_000, prevSpread: { 'BTC/USDT:USDT': -1 } });
  assert.is(actor.getSnapshot().value, 'cooldown');
  actor.send({ type: 'decision.snapshot', snapshot: snap(T0 + 60_000, 101, 100) });
  assert.equal(made[0]!.vetoes.map((v) => v.code), ['cooldown']);
  clock.advanceTo(T0 + 599_999);
  assert.is(actor.getSnapshot().value, 'cooldown');
  clock.advanceTo(T0 + 600_000);
  assert.is(actor.getSnapshot().value, 'idle');
});

test('only full snapshots are decided on', () => {
  const clock = new SimClock(T0);
  const { actor, made } = start(clock);
  actor.send({ type: 'decision.snapshot', snapshot: { ...snap(T0, 1, 2), kind: 'fast' } });
  assert.is(made.length, 0);
});

test.run();
