// reconciler worker: every interval compares the exchange with the DB (src/execution/reconcile-check.ts), records
// equity, PnL and funding, and reports drift. Guarantees it never places, cancels or changes an order or a position's
// quantity: repairs are execution's (told via reconcile.drift and reconcile.anomaly).
import { fromPromise } from 'xstate';
import { reconcilerMachine, type CheckOutput } from '../machines/reconciler.machine.js';
import type { ExchangeGateway } from '../src/exchange/gateway.js';
import { periodicCheck } from '../src/execution/reconcile-check.js';
import { runActor } from '../src/host/host.js';

runActor(async (ctx) => {
  const { config, clock, log } = ctx;
  const pool = ctx.db();
  // ccxt is large: it is loaded on the first check, off the supervisor's start-up path.
  let gw: ExchangeGateway | null = null;
  const gateway = async () => (gw ??= (await import('../src/exchange/from-config.js')).gatewayFromConfig(config, { now: () => clock.now(), log, private: true }));
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const stats = { drifts: 0, lastDrift: [] as string[] };
  const steps = new Map<string, string>();

  const check = async (): Promise<CheckOutput> => {
    const out = await periodicCheck(await gateway(), pool, config.symbols, () => clock.now(), { confirmMs: config.reconciler.confirmMs, sleep }, steps);
    stats.lastDrift = out.drift?.symbols ?? [];
    if (out.anomalies.length) {
      stats.drifts++;
      for (const a of out.anomalies) log.warn({ code: a.code, symbol: a.symbol }, a.text);
    }
    return out;
  };

  return {
    machine: reconcilerMachine.provide({ actors: { check: fromPromise(check) } }),
    input: { intervalMs: config.reconciler.intervalSec * 1000, now: () => clock.now() },
    routes: {},
    details: (a) => {
      const c = a.getSnapshot().context as { checks: number; nextAt: number; lastError: string | null };
      return { venue: gw?.name ?? 'not connected yet', checks: c.checks, nextCheckAt: c.nextAt, lastError: c.lastError, checksWithDrift: stats.drifts, drifting: stats.lastDrift };
    },
    dispose: async () => gw?.close(),
  };
});
