// Decisions per second from a full snapshot to an explained decision (and intent), in process, per strategy preset,
// next to the bare EMA-cross/RSI rule measured in the same run. Goal: the full machine path ≥ 1,000 decisions/s.
import { createActor } from 'xstate';
import { decisionMachine, type DecisionInput } from '../machines/decision.machine.js';
import { SymbolEngine } from '../src/analytics/engine.js';
import { engineParams } from '../src/analytics/params.js';
import { SimClock } from '../src/clock/clock.js';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { decide } from '../src/decision/engine.js';
import { engineConfig } from '../src/decision/host-effects.js';
import { emptyLearning } from '../src/decision/learning.js';
import { emptyRisk } from '../src/decision/risk.js';
import { sizePosition } from '../src/decision/sizing.js';
import { nextFloat, seedRng } from '../src/market/rng.js';
import { synthCandle } from '../src/market/synthetic.js';
import { fromRoot } from '../src/paths.js';
import type { Regime, Snapshot } from '../src/protocol/index.js';
import type { BenchLine } from './report.js';

const SYMBOL = 'BTC/USDT:USDT';
const N = 20_000;

/** Full snapshots with real 1m indicators from the synthetic market, and every other field filled so all sources vote. */
function snapshots(config: Config): Snapshot[] {
  const rng = seedRng(42);
  const engine = new SymbolEngine(SYMBOL, engineParams(config.analytics));
  const out: Snapshot[] = [];
  let prev = config.market.synthetic.startPrice;
  const regimes: Regime[] = ['TRENDING_UP', 'TRENDING_DOWN', 'RANGING', 'VOLATILE'];
  for (let t = Date.UTC(2026, 0, 5); out.length < N; t += 60_000) {
    const c = synthCandle(config.market.synthetic, SYMBOL, t, prev);
    prev = c.close;
    if (!engine.update(c) || !engine.warm) continue;
    const s = engine.snapshot('full', { available: false, reason: 'bench' });
    const r = () => nextFloat(rng) * 2 - 1;
    const atr = s.ind.atr ?? 10;
    // Indicators, timeframe states and regime are the analytics engine's; the synthetic market has no trades,
    // book or manual inputs, so micro, flow and the model are filled in so every source votes.
    out.push({
      ...s,
      regime: s.regime ?? { label: regimes[Math.floor(nextFloat(rng) * 4)]!, confidence: nextFloat(rng) },
      micro: { cvd: r() * 100, vpin: nextFloat(rng), ofi: r(), obi: r(), whaleBuyNotional: nextFloat(rng) * 1e6, whaleSellNotional: nextFloat(rng) * 1e6, fairValue: s.price + r() * atr },
      flow: { fundingRate: r() * 0.0008, fundingExtreme: false, oiChangePct: r(), crowdBias: 'neutral', trapIndex: nextFloat(rng), warnings: [], riskScore: nextFloat(rng), sentiment: Math.round(r() * 2), etfFlowUsd: r() * 5e8 },
      ml: { available: true, pUp: nextFloat(rng), model: 'bench' },
    });
  }
  return out;
}

const rate = (fn: () => number): { perSec: number; intents: number } => {
  fn(); // warm-up
  const t0 = process.hrtime.bigint();
  const intents = fn();
  return { perSec: N / (Number(process.hrtime.bigint() - t0) / 1e9), intents };
};

/** The bare rule the engine started from: EMA cross confirmed by RSI, ATR stop, fixed-fractional size; no votes, gates or risk. */
function bareRule(snaps: Snapshot[], config: Config): number {
  let prevSpread: number | null = null;
  let n = 0;
  for (const s of snaps) {
    const { emaFast, emaSlow, rsi, atr } = s.ind;
    if (emaFast === null || emaSlow === null || rsi === null || atr === null) continue;
    const spread = emaFast - emaSlow;
    const up = prevSpread !== null && prevSpread <= 0 && spread > 0 && rsi < 70;
    const down = prevSpread !== null && prevSpread >= 0 && spread < 0 && rsi > 30;
    prevSpread = spread;
    if (!up && !down) continue;
    const stop = up ? s.price - config.risk.stopAtrMult * atr : s.price + config.risk.stopAtrMult * atr;
    const size = sizePosition({ equity: 10_000, riskPerTrade: config.risk.riskPerTrade, entry: s.price, stop, leverage: config.risk.leverage, maxNotionalPctEquity: config.risk.maxNotionalPctEquity });
    if (size.qty > 0) n++;
  }
  return n;
}

export default async (): Promise<BenchLine[]> => {
  const base = loadConfig(fromRoot('config', 'default.json'), {}).config;
  const snaps = snapshots(base);
  const bare = rate(() => bareRule(snaps, base));
  const lines: BenchLine[] = [];
  const baseline = { name: 'bare ema_rsi rule', value: bare.perSec };
  for (const strategy of ['voting13', 'imba', 'rules', 'ema_rsi']) {
    const config: Config = { ...base, decision: { ...base.decision, strategy, cooldownSec: 0 }, risk: { ...base.risk, maxTradesPerDay: 1_000_000, lossCooldownMin: [0] } };
    const cfg = engineConfig(config);
    const engine = rate(() => {
      let n = 0;
      let prev: Snapshot | null = null;
      let prevDir: { dir: -1 | 0 | 1; ts: number } | null = null;
      const risk = emptyRisk();
      for (const s of snaps) {
        const r = decide(s, { risk, fallbackEquity: 10_000, prev, prevDir, learning: emptyLearning() }, cfg);
        if (r.decision.intent) n++;
        prev = s;
        if (r.rawDir) prevDir = { dir: r.rawDir, ts: s.ts };
      }
      return n;
    });
    lines.push({ name: `engine decide() ${strategy} (${engine.intents} intents)`, value: engine.perSec, unit: 'decisions/s', baseline });
  }
  // The whole machine path (XState transition, risk state, emitted decision.made) for the seed 001 preset.
  const config: Config = { ...base, decision: { ...base.decision, strategy: 'voting13', cooldownSec: 0 }, risk: { ...base.risk, maxTradesPerDay: 1_000_000 } };
  const machine = rate(() => {
    const clock = new SimClock(snaps[0]!.ts);
    const input: DecisionInput = { cfg: engineConfig(config), now: () => clock.now(), fallbackEquity: 10_000, risk: emptyRisk(), prev: {}, prevDir: {}, decidedTs: {}, learning: emptyLearning() };
    const actor = createActor(decisionMachine, { clock, input });
    let n = 0;
    actor.on('decision.made', (e) => {
      if (e.payload.intent) {
        n++;
        actor.send({ type: 'decision.position', position: { symbol: SYMBOL, positionId: n, side: e.payload.intent.side, qty: e.payload.intent.qty, entryPrice: e.payload.intent.entry.reference, stopLoss: e.payload.intent.stopLoss, takeProfit: null, unrealizedPnl: '0' } });
        actor.send({ type: 'decision.position', position: { symbol: SYMBOL, positionId: null, side: null, qty: '0', entryPrice: null, stopLoss: null, takeProfit: null, unrealizedPnl: '0' } });
      }
    });
    actor.start();
    for (const s of snaps) {
      clock.advanceTo(s.ts);
      actor.send({ type: 'decision.snapshot', snapshot: s });
    }
    actor.stop();
    return n;
  });
  lines.push({ name: `machine snapshot → decision.made voting13 (${machine.intents} intents)`, value: machine.perSec, unit: 'decisions/s', baseline, goal: '≥ 1,000 decisions/s', met: machine.perSec >= 1000 });
  return lines;
};
