// decision worker: votes on full snapshots, applies the risk manager, persists every decision with its reasoning.
// Guarantees breakers, cooldowns, counters and the previous snapshot survive a restart (re-read from MariaDB).
import type { AnyActorRef } from 'xstate';
import { decisionMachine, type DecisionContext } from '../machines/decision.machine.js';
import { decisionEffects, restoreDecisionState } from '../src/decision/host-effects.js';
import { activeBreakers, dayStart, describeBreakers } from '../src/decision/risk.js';
import { readSecrets } from '../src/config/secrets.js';
import { runActor } from '../src/host/host.js';
import { dbBudget } from '../src/store/repos/ai.js';
import { loadLearning } from '../src/store/repos/learning.js';
import { loadOverrides } from '../src/store/repos/overrides.js';

runActor(async (ctx) => {
  const { config, clock, log } = ctx;
  const pool = ctx.db();
  const restored = await restoreDecisionState(pool, config, clock.now());
  let ref: AnyActorRef | null = null;
  // The AI Sentinel reviews non-vetoed STRONG verdicts when the swarm is on (ai.baseUrl) and it is enabled.
  const sentinelStop = new AbortController();
  const ai = config.ai;
  // Loaded only when on: a daemon without the swarm does not even load the client library.
  const sentinel = ai.baseUrl !== null && ai.sentinel.enabled
    ? await Promise.all([import('../src/ai/client.js'), import('../src/ai/sentinel.js')]).then(([{ ChatClient }, { Sentinel }]) =>
      new Sentinel({ pool, ai, clock, client: new ChatClient({ config: ai, apiKey: readSecrets().aiApiKey, budget: dbBudget(pool, ai.budget), signal: sentinelStop.signal }) }))
    : null;
  const fx = decisionEffects({
    pool, config, log, now: () => clock.now(),
    onLearning: (learning) => ref?.send({ type: 'decision.learning', learning }),
    onHealth: (err) => ctx.setDegraded(err ? `decision writes failing: ${err.message}` : null),
    ...(sentinel ? { sentinel, onSentinel: (result) => ref?.send({ type: 'decision.sentinel', result }) } : {}),
  });
  if (restored.risk.breakers.length) log.warn({ breakers: restored.risk.breakers.map((b) => b.code) }, 'breakers still in force after restart');
  log.info({ strategy: restored.cfg.strategy, kind: restored.cfg.preset.kind, learning: config.decision.learning.enabled, overrides: restored.overrides }, 'decision engine ready');
  return {
    machine: decisionMachine.provide({ actions: fx.actions }),
    input: { ...restored, now: () => clock.now(), ...(sentinel ? { sentinel: ai.sentinel.gate } : {}) },
    routes: {
      'analytics.snapshot': (env) => ({ type: 'decision.snapshot', snapshot: env.payload }),
      'execution.position': (env) => ({ type: 'decision.position', position: env.payload }),
      'execution.position_closed': (env) => ({ type: 'decision.closed', event: env.payload }),
      'execution.entry_ended': (env) => ({ type: 'decision.entry_ended', ended: env.payload }),
      'reconcile.equity': (env) => ({ type: 'decision.equity', equity: env.payload }),
    },
    onStart: (a) => {
      ref = a;
    },
    commands: {
      /** `bosun learning …` changed learning_insights: re-read them. */
      /** `bosun walkforward` changed signal_weight_overrides (ML demoted or re-elevated): re-read them. */
      'overrides.reload': async (_args, a) => {
        const overrides = await loadOverrides(pool, restored.cfg.strategy);
        a.send({ type: 'decision.overrides', overrides });
        return { ok: true, overrides };
      },
      'learning.reload': async (_args, a) => {
        if (!config.decision.learning.enabled) return { ok: true, learning: 'disabled' };
        a.send({ type: 'decision.learning', learning: await loadLearning(pool, restored.cfg.strategy) });
        return { ok: true };
      },
    },
    details: (a) => {
      const c = a.getSnapshot().context as DecisionContext;
      const now = clock.now();
      const active = activeBreakers(c.risk, now);
      const cooldownUntil = Math.max(0, ...Object.values(c.risk.lastIntentAt).map((t) => t + config.decision.cooldownSec * 1000), c.risk.lossCooldownUntil);
      return {
        strategy: c.cfg.strategy, decisions: c.decisions, lastDecision: c.lastDecision, equity: c.risk.equity, paused: c.risk.paused,
        // Read by `bosun status` (risk section).
        risk: {
          halted: active.length > 0,
          haltReason: active.length ? describeBreakers(active) : null,
          cooldownUntil: cooldownUntil > now ? cooldownUntil : null,
          breakers: active.map((b) => ({ code: b.code, until: b.until, flatten: b.flatten })),
          lossStreak: c.risk.lossStreak,
          tradesToday: c.risk.tradesDay.day === dayStart(now) ? c.risk.tradesDay.count : 0,
        },
        unwritten: fx.pending,
        sentinel: sentinel ? { on: true, gate: ai.sentinel.gate, ...sentinel.stats, held: Object.keys(c.held ?? {}) } : { on: false },
      };
    },
    dispose: async () => {
      sentinelStop.abort();
      await fx.close();
    },
  };
});
