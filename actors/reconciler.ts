// reconciler worker: every interval compares DB positions with the venue, records equity, reports drift.
// Guarantees it only reads the venue and the ledger; repairs are execution's job (it is told via anomalies).
import { fromPromise } from 'xstate';
import { reconcilerMachine, type CheckOutput } from '../machines/reconciler.machine.js';
import { dec, str } from '../src/domain/decimal.js';
import { SimVenue } from '../src/exchange/sim/core.js';
import { DEFAULT_MARKETS, SimVenueStore } from '../src/exchange/sim/local-gateway.js';
import { runActor } from '../src/host/host.js';
import type { Anomaly } from '../src/protocol/index.js';
import { lastCandle } from '../src/store/repos/candles.js';
import { dayStart, insertEquity, pnlSince, weekStart } from '../src/store/repos/equity.js';

runActor(async (ctx) => {
  const { config, clock } = ctx;
  const pool = ctx.db();
  const store = new SimVenueStore(pool, 'paper');
  const markets = DEFAULT_MARKETS.filter((m) => config.symbols.includes(m.symbol));
  const opts = { markets, takerFee: config.execution.takerFee, makerFee: config.execution.makerFee, startingBalance: config.execution.paperStartingBalance, leverage: config.risk.leverage };

  const check = async (): Promise<CheckOutput> => {
    const now = clock.now();
    const venue = new SimVenue(opts, (await store.load()) ?? undefined);
    const anomalies: Anomaly[] = [];
    const dbOpen = await pool.query<Array<{ symbol: string; side: string; qty: string }>>("SELECT symbol, side, qty FROM positions WHERE status = 'open'");
    let upnl = dec(0);
    for (const symbol of config.symbols) {
      const mark = (await lastCandle(pool, symbol, '1m'))?.close;
      const ex = venue.positions().find((p) => p.symbol === symbol);
      const db = dbOpen.find((p) => p.symbol === symbol);
      if (ex && mark !== undefined) {
        const diff = dec(mark).sub(ex.entryPrice).mul(ex.qty);
        upnl = upnl.add(ex.side === 'long' ? diff : diff.neg());
      }
      const same = (!ex && !db) || (ex && db && ex.side === db.side && dec(ex.qty).eq(db.qty));
      if (!same) {
        anomalies.push({
          kind: 'position_drift', code: 'reconcile.position_drift', severity: 'warning', symbol,
          text: `${symbol}: DB ${db ? `${db.side} ${str(db.qty)}` : 'flat'}, venue ${ex ? `${ex.side} ${ex.qty}` : 'flat'}`,
        });
      }
    }
    const balance = venue.balance()[0]!.total;
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
      return { checks: c.checks, nextCheckAt: c.nextAt, lastError: c.lastError };
    },
  };
});
