// decision worker: votes on full snapshots and persists every decision with its reasoning.
// Guarantees the cooldown and the previous EMA spread survive a restart (re-read from MariaDB).
import { decisionMachine } from '../machines/decision.machine.js';
import { runActor } from '../src/host/host.js';
import type { Decision } from '../src/protocol/index.js';
import { BatchWriter } from '../src/store/batch-writer.js';
import { insertDecisions, lastIntentTs, lastSnapshot } from '../src/store/repos/analytics.js';

runActor(async (ctx) => {
  const { config, clock } = ctx;
  const pool = ctx.db();
  const writer = new BatchWriter<Decision>({
    write: (rows) => insertDecisions(pool, rows, clock.now()),
    maxBatch: 20,
    flushMs: 200,
    onHealth: (err) => ctx.setDegraded(err ? `decision writes failing: ${err.message}` : null),
  });
  const lastIntent = await lastIntentTs(pool);
  const prevSpread: Record<string, number | null> = {};
  for (const s of config.symbols) {
    const snap = await lastSnapshot(pool, s, 'full');
    const f = snap?.ind.emaFast;
    const sl = snap?.ind.emaSlow;
    prevSpread[s] = f != null && sl != null ? f - sl : null;
  }
  const eq = await pool.query<Array<{ equity: string }>>('SELECT equity FROM equity_curve ORDER BY ts DESC, id DESC LIMIT 1');
  const machine = decisionMachine.provide({ actions: { persistDecision: (_, d: Decision) => writer.push(d) } });
  const { risk, decision } = config;
  return {
    machine,
    input: {
      params: { ...risk, rsiLongMax: decision.rsiLongMax, rsiShortMin: decision.rsiShortMin, intentTtlSec: decision.intentTtlSec },
      cooldownSec: decision.cooldownSec,
      startingEquity: eq[0] ? Number(eq[0].equity) : config.execution.paperStartingBalance,
      now: () => clock.now(),
      cooldownUntil: lastIntent === null ? 0 : lastIntent + decision.cooldownSec * 1000,
      prevSpread,
    },
    routes: {
      'analytics.snapshot': (env) => ({ type: 'decision.snapshot', snapshot: env.payload }),
      'execution.position': (env) => ({ type: 'decision.position', position: env.payload }),
      'reconcile.equity': (env) => ({ type: 'decision.equity', equity: env.payload }),
    },
    details: (a) => {
      const c = a.getSnapshot().context as { decisions: number; lastDecision: unknown; equity: number; paused: boolean };
      return { decisions: c.decisions, lastDecision: c.lastDecision, equity: c.equity, paused: c.paused, unwritten: writer.pending };
    },
    dispose: () => writer.close(),
  };
});
