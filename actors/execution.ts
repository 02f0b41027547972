// execution worker: the execution machine on its effects (src/execution/effects.ts: gateway, user-data stream, ledger,
// entry and protection loops), its routes (marks, candles, decisions, risk halts, drift) and operator commands.
// Guarantees: order work, fills and reconciliation run one at a time; each fill reaches the ledger once.
import { executionMachine, slotStates, type ExecutionContext } from '../machines/execution.machine.js';
import { ScaledClock } from '../src/clock/clock.js';
import { SharedClock } from '../src/clock/shared-clock.js';
import { ExecutionEffects } from '../src/execution/effects.js';
import { executionInput } from '../src/execution/input.js';
import { runActor } from '../src/host/host.js';
import { timedGateway } from '../src/ops/timed-gateway.js';
import type { CcxtGateway } from '../src/exchange/ccxt-gateway.js';

runActor(async (ctx) => {
  /** The exchange's usage headers as status shows them, and as gauges for the metrics endpoint. */
  const usageMetrics = (g: CcxtGateway) => {
    const u = g.usage;
    if (u.usedWeight1m !== null) ctx.metrics.set('exchange_request_weight', {}, u.usedWeight1m);
    if (u.orderCount10s !== null) ctx.metrics.set('exchange_order_count', { interval: '10s' }, u.orderCount10s);
    if (u.orderCount1m !== null) ctx.metrics.set('exchange_order_count', { interval: '1m' }, u.orderCount1m);
    ctx.metrics.set('exchange_maintenance', {}, g.maintenance ? 1 : 0);
    return { used1m: u.usedWeight1m, limit1m: u.weightLimit, orders10s: u.orderCount10s, orders1m: u.orderCount1m, waits: g.stats.weightWaits, waitMs: g.stats.weightWaitMs };
  };
  const { config, clock, log } = ctx;
  const now = () => clock.now();
  const speed = clock instanceof ScaledClock ? clock.spec.speed : 1;
  const lockstep = clock instanceof SharedClock;
  // The gateway (ccxt is large) is built in `boot`, off the supervisor's start-up path; nothing uses it before.
  let ccxt: CcxtGateway | undefined;
  const fx = new ExecutionEffects({
    config, pool: ctx.db(), log, now, setDegraded: (r) => ctx.setDegraded(r),
    gateway: async () => {
      const g = (await import('../src/exchange/from-config.js')).gatewayFromConfig(config, { now, log, private: true });
      // Maintenance is the health path's degraded state with its reason (one alert as it starts, one as the first good
      // tick after it ends); its end runs a tick at once, which re-checks every position's protection.
      g.onMaintenance((m) => {
        ctx.setDegraded(m.active ? `exchange maintenance since ${new Date(m.since).toISOString()}` : null);
        sender?.send(m.active ? { type: 'execution.degraded', reason: `maintenance: ${m.reason}` } : { type: 'execution.kick' });
      });
      return (ccxt = timedGateway(g, ctx.metrics));
    },
  });
  const machine = executionMachine.provide({ actors: fx.actors() });
  let actorRef: { getSnapshot(): { context: unknown } } | null = null;
  let sender: { send(e: { type: 'execution.degraded'; reason: string } | { type: 'execution.kick' }): void } | null = null;

  return {
    machine,
    // The loop and the reconciliation deadline are about IO (exchange round trips), so they are wall time: on paper's
    // accelerated clock the machine gets them scaled to clock ms. Chase, expiry and max hold stay market (clock) time.
    // A lockstep replay has no IO latency in clock time: the venue trades bar by bar, so the loop runs as the backtest's
    // does (src/backtest/engine.ts): once a bar (and at once after a fill or a new entry), hourly when flat.
    input: executionInput(config, now, lockstep
      ? { loopMs: Math.max(config.execution.loopMs, 60_000), idleLoopMs: Math.max(config.execution.idleLoopMs, 3_600_000), reconcileTimeoutMs: config.execution.reconcileTimeoutMs * config.clock.speed }
      : { loopMs: config.execution.loopMs * speed, idleLoopMs: config.execution.idleLoopMs * speed, reconcileTimeoutMs: config.execution.reconcileTimeoutMs * speed }),
    routes: {
      'market.mark': (env) => {
        fx.onMark(env.payload.symbol, env.payload.markPrice);
        return null;
      },
      // A closed 1m candle while an entry is worked runs a tick at once: the chase follows the market's bars (as the
      // backtest's loop does, once a bar) rather than only the wall-clock loop. Not in lockstep: there the loop's own
      // timer already ticks once a bar, at the bar's step, as the backtest's does (a kick would chase twice a bar).
      'market.candle': (env) => {
        fx.onCandle(env.payload);
        if (lockstep) return null;
        const c = actorRef?.getSnapshot().context as ExecutionContext | undefined;
        const entering = !!c && slotStates(c).some((sl) => sl.phase === 'entering');
        return env.payload.closed && env.payload.tf === '1m' && entering ? { type: 'execution.kick' } : null;
      },
      'decision.made': (env) => ({ type: 'execution.decision', decision: env.payload }),
      'decision.halt': (env) => ({ type: 'execution.risk_halt', halt: env.payload }),
      'reconcile.anomaly': (env) => ({ type: 'execution.anomaly', anomaly: env.payload }),
      'reconcile.drift': (env) => ({ type: 'execution.drift', symbols: env.payload.symbols }),
      'reconcile.equity': (env) => ({ type: 'execution.equity', equity: env.payload.equity }),
    },
    onStart: (a) => {
      actorRef = a as unknown as { getSnapshot(): { context: unknown } };
      sender = a as unknown as NonNullable<typeof sender>;
      fx.attach(a as unknown as Parameters<ExecutionEffects['attach']>[0]);
    },
    commands: {
      // Operator flatten: entries cancelled, closes sent, stops kept until flat, then cancelled.
      // `symbols` (force-exit): only those; the machine's entry state is left alone unless every symbol was flattened.
      flatten: async (args, a) => {
        const only = Array.isArray(args.symbols) ? args.symbols.map(String) : null;
        const unknown = only?.filter((s) => !config.symbols.includes(s)) ?? [];
        if (unknown.length) throw new Error(`not a traded symbol: ${unknown.join(', ')} (trading ${config.symbols.join(', ')})`);
        const r = await fx.flatten(undefined, only ?? undefined);
        a.send(only ? { type: 'execution.flattened', symbols: only } : { type: 'execution.flattened' });
        return r;
      },
      // Kill switch: the machine halts and flattens (stops kept until flat); stays halted until resume.
      halt: async (args, a) => {
        a.send({ type: 'execution.halt', reason: String(args.reason ?? 'halted by the operator') });
        return { halted: true };
      },
    },
    details: (a) => {
      const snap = a.getSnapshot();
      const c = snap.context as ExecutionContext;
      const slots = slotStates(c);
      return {
        venue: ccxt?.name ?? 'booting', positions: Object.values(c.positions), paused: c.paused, haltReason: c.haltReason, degraded: c.degraded,
        drifted: c.drifted, phase: slots.some((sl) => sl.phase !== 'flat') ? slots.filter((sl) => sl.phase !== 'flat').map((sl) => `${sl.symbol}:${sl.phase}`).join(' ') : 'flat',
        slots: Object.fromEntries(slots.map((sl) => [sl.symbol, sl.phase])), queue: fx.serial.size, userStream: fx.sub?.up ? 'up' : 'down (polling REST)', ...fx.stats,
        orders: fx.orders?.stats, gateway: ccxt?.stats,
        exchange: {
          connected: fx.sub ? fx.sub.up : null, clockOffsetMs: ccxt?.clockOffsetMs ?? null, latencyMs: ccxt?.stats.lastLatencyMs ?? null,
          requestWeight: ccxt ? usageMetrics(ccxt) : null, maintenance: ccxt?.maintenance ?? null,
        },
      };
    },
    dispose: () => fx.dispose(),
  };
});
