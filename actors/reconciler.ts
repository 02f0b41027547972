// reconciler worker: every interval compares DB positions with the exchange (through the gateway), records equity,
// reports drift. Guarantees it only reads the exchange and the ledger; repairs are execution's job (told via anomalies).
import { fromPromise } from 'xstate';
import { reconcilerMachine, type CheckOutput } from '../machines/reconciler.machine.js';
import { dec, str } from '../src/domain/decimal.js';
import type { ExchangeGateway } from '../src/exchange/gateway.js';
import { runActor } from '../src/host/host.js';
import type { Anomaly } from '../src/protocol/index.js';
import { dayStart, insertEquity, pnlSince, weekStart } from '../src/store/repos/equity.js';

runActor(async (ctx) => {
  const { config, clock, log } = ctx;
  const pool = ctx.db();
  // ccxt is large: it is loaded on the first check, off the supervisor's start-up path.
  let gw: ExchangeGateway | null = null;
  const gateway = async () => (gw ??= (await import('../src/exchange/from-config.js')).gatewayFromConfig(config, { now: () => clock.now(), log, private: true }));

  const check = async (): Promise<CheckOutput> => {
    const now = clock.now();
    const g = await gateway();
    const [positions, balances] = await Promise.all([g.fetchPositions(config.symbols), g.fetchBalance()]);
    const anomalies: Anomaly[] = [];
    const dbOpen = await pool.query<Array<{ symbol: string; side: string; qty: string }>>("SELECT symbol, side, qty FROM positions WHERE status = 'open'");
    let upnl = dec(0);
    for (const symbol of config.symbols) {
      const ex = positions.find((p) => p.symbol === symbol);
      const db = dbOpen.find((p) => p.symbol === symbol);
      if (ex) upnl = upnl.add(ex.unrealizedPnl);
      const same = (!ex && !db) || (ex && db && ex.side === db.side && dec(ex.qty).eq(db.qty));
      if (!same) {
        anomalies.push({
          kind: 'position_drift', code: 'reconcile.position_drift', severity: 'warning', symbol,
          text: `${symbol}: DB ${db ? `${db.side} ${str(db.qty)}` : 'flat'}, exchange ${ex ? `${ex.side} ${ex.qty}` : 'flat'}`,
        });
      }
    }
    const quote = balances.find((b) => b.asset === 'USDT') ?? balances[0];
    const balance = quote ? str(quote.total) : '0';
    const equity = str(dec(balance).add(upnl));
    await insertEquity(pool, { ts: now, equity, balance, unrealizedPnl: str(upnl), source: 'reconciler' });
    const [dayPnl, weekPnl] = await Promise.all([pnlSince(pool, dayStart(now), equity), pnlSince(pool, weekStart(now), equity)]);
    return { equity: { ts: now, equity, balance, unrealizedPnl: str(upnl), dayPnl, weekPnl }, anomalies };
  };

  return {
    machine: reconcilerMachine.provide({ actors: { check: fromPromise(check) } }),
    input: { intervalMs: config.reconciler.intervalSec * 1000, now: () => clock.now() },
    routes: {},
    details: (a) => {
      const c = a.getSnapshot().context as { checks: number; nextAt: number; lastError: string | null };
      return { venue: gw?.name ?? 'not connected yet', checks: c.checks, nextCheckAt: c.nextAt, lastError: c.lastError };
    },
    dispose: async () => gw?.close(),
  };
});
