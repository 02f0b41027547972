import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, fromPromise } from 'xstate';
import { reconcilerMachine, type CheckOutput } from '../../machines/reconciler.machine.js';
import { SimClock } from '../../src/clock/clock.js';
import { dec } from '../../src/domain/decimal.js';
import { clientOrderId } from '../../src/domain/ids.js';
import { LocalSimGateway } from '../../src/exchange/sim/local-gateway.js';
import { SIM_MARKETS } from '../../src/exchange/sim/markets.js';
import type { OrderRequest } from '../../src/exchange/types.js';
import { Ledger } from '../../src/execution/ledger.js';
import { periodicCheck } from '../../src/execution/reconcile-check.js';
import type { Anomaly, DriftStatus, EquityPoint } from '../../src/protocol/index.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

// The reconciler machine on its real check (in-process venue, MariaDB), driven by a simulated clock.
const BTC = 'BTC/USDT:USDT';
const ETH = 'ETH/USDT:USDT';
const SYMBOLS = [BTC, ETH];
const T0 = Date.UTC(2026, 2, 4, 23, 57); // 3 minutes before midnight (a Wednesday)
const MIN = 60_000;

let db: TestDb;
test.before(async () => {
  db = await createTestDb('reconciler');
});
test.after(async () => {
  await db?.drop();
});

async function world() {
  const clock = new SimClock(T0);
  const gw = await LocalSimGateway.open({ markets: SIM_MARKETS, takerFee: 0.0004, makerFee: 0.0002, startingBalance: 100_000, leverage: 10, marketFill: 'immediate', markSmoothing: 1, fundingIntervalMs: 8 * 3_600_000 }, null, () => clock.now());
  const ledger = new Ledger(db.pool, () => clock.now());
  let price = 30_000;
  const bar = (p: number) => {
    const open = price;
    price = p;
    return gw.onBar(BTC, { ts: clock.now(), open, high: Math.max(open, p), low: Math.min(open, p), close: p });
  };
  await bar(30_000);
  await gw.onBar(ETH, { ts: clock.now(), open: 2000, high: 2000, low: 2000, close: 2000 });
  /** An order of ours: row first, then the exchange, then its fills into the ledger (what execution does). */
  const ours = async (req: OrderRequest, leg: 'entry' | 'sl') => {
    await ledger.insertPending(req, { decisionId: null, positionId: null, leg, attempt: 0 });
    const o = await gw.createOrder(req);
    await ledger.applyOrderUpdate(o);
    for (const f of gw.core.fills(req.symbol, 0).filter((x) => x.clientId === req.clientId)) await ledger.recordFill(f);
  };
  const slept: number[] = [];
  const published = { drift: [] as DriftStatus[], anomalies: [] as Anomaly[], equity: [] as EquityPoint[] };
  let between: (() => Promise<void>) | null = null;
  const check = () => periodicCheck(gw, db.pool, SYMBOLS, () => clock.now(), {
    confirmMs: 3000,
    sleep: async (ms) => {
      slept.push(ms);
      await between?.();
    },
  });
  const actor = createActor(reconcilerMachine.provide({ actors: { check: fromPromise<CheckOutput>(check) } }), { clock, input: { intervalMs: MIN, now: () => clock.now() } });
  actor.on('reconcile.drift', (e) => published.drift.push(e.payload as DriftStatus));
  actor.on('reconcile.anomaly', (e) => published.anomalies.push(e.payload as Anomaly));
  actor.on('reconcile.equity', (e) => published.equity.push(e.payload as EquityPoint));
  actor.start();
  const tick = async () => {
    const n = actor.getSnapshot().context.checks;
    clock.advance(MIN);
    await waitFor('a check', () => actor.getSnapshot().context.checks > n && actor.getSnapshot().value === 'idle', 10_000, 5);
    if (actor.getSnapshot().context.lastError) throw new Error(actor.getSnapshot().context.lastError!);
  };
  return { clock, gw, ledger, bar, ours, published, tick, slept, actor, setBetween: (f: (() => Promise<void>) | null) => (between = f) };
}

test('drift detected → anomaly once and reconcile.drift every check; cleared when the DB catches up; equity, unrealised PnL and day PnL in the DB', async () => {
  const w = await world();
  await w.ours({ symbol: BTC, clientId: clientOrderId('rc-1', 'entry', 0), side: 'buy', type: 'market', qty: '0.1' }, 'entry');
  await w.ours({ symbol: BTC, clientId: clientOrderId('rc-1', 'sl', 0), side: 'sell', type: 'stop_market', stopPrice: '29000', closePosition: true }, 'sl');

  await w.tick(); // 23:58: all in order
  assert.equal(w.published.drift.map((d) => d.symbols), [[]]);
  assert.is(w.published.anomalies.length, 0, JSON.stringify(w.published.anomalies));
  assert.equal(w.slept, [], 'no second look without drift');

  // The price moves; the equity point carries the unrealised PnL; the DB position has it too.
  await w.bar(30_500);
  await w.tick(); // 23:59
  const e1 = w.published.equity.at(-1)!;
  const pos = (await w.ledger.openPosition(BTC))!;
  const ex = (await w.gw.fetchPositions([BTC]))[0]!;
  assert.is(dec(e1.unrealizedPnl).toString(), dec(ex.unrealizedPnl).toString());
  assert.ok(dec(e1.unrealizedPnl).gt(45), e1.unrealizedPnl);
  assert.is(dec((pos as unknown as { unrealized_pnl: string }).unrealized_pnl).toString(), dec(ex.unrealizedPnl).toString());
  assert.is(dec(e1.equity).toString(), dec(e1.balance).add(e1.unrealizedPnl).toString());

  // Someone adds to the position by hand: the DB does not know that fill.
  await w.gw.createOrder({ symbol: BTC, clientId: 'by-hand-1', side: 'buy', type: 'market', qty: '0.05' });
  await w.tick(); // 00:00 (next day)
  assert.equal(w.published.drift.at(-1)!.symbols, [BTC]);
  const codes = w.published.anomalies.map((a) => a.code).sort();
  assert.equal(codes, ['reconcile.missed_fill', 'reconcile.position_mismatch']);
  assert.equal(w.slept, [3000], 'the drift was confirmed by a second look');
  await w.tick(); // still drifting: drift again, no new anomaly
  assert.equal(w.published.drift.at(-1)!.symbols, [BTC]);
  assert.is(w.published.anomalies.length, 2);

  // Execution catches up (REST poll): the fill reaches the ledger; the next check clears the drift.
  for (const f of w.gw.core.fills(BTC, 0)) await w.ledger.recordFill(f);
  await w.tick();
  assert.equal(w.published.drift.at(-1)!.symbols, []);
  assert.is(w.published.anomalies.at(-1)!.code, 'reconcile.drift_cleared');

  // Equity rows were written every check, with the PnL totals; day PnL is measured from the last point before midnight.
  const rows = await db.pool.query<Array<{ ts: number; equity: string; fees: string | null }>>('SELECT ts, equity, fees FROM equity_curve ORDER BY ts');
  assert.is(rows.length, w.published.equity.length);
  assert.ok(rows.every((r) => r.fees !== null));
  assert.ok(dec(rows.at(-1)!.fees!).gt(0), 'fees in the totals');
  const last = w.published.equity.at(-1)!;
  const beforeMidnight = rows.filter((r) => Number(r.ts) <= Date.UTC(2026, 2, 5)).at(-1)!;
  assert.is(dec(last.dayPnl).toString(), dec(last.equity).sub(beforeMidnight.equity).toString());
  assert.is(dec(last.weekPnl).toString(), dec(last.equity).sub(rows[0]!.equity).toString(), 'week PnL from the first point of the week (Monday before T0 has none)');
  w.actor.stop();
});

test('a difference gone by the second look (a fill in flight) is not drift; funding payments reach the position and the totals', async () => {
  await db.pool.query('DELETE FROM positions');
  await db.pool.query('DELETE FROM fills');
  await db.pool.query('DELETE FROM orders');
  await db.pool.query('DELETE FROM reconcile_state');
  const w = await world();
  await w.ours({ symbol: BTC, clientId: clientOrderId('rc-2', 'entry', 0), side: 'sell', type: 'market', qty: '0.2' }, 'entry');
  await w.ours({ symbol: BTC, clientId: clientOrderId('rc-2', 'sl', 0), side: 'buy', type: 'stop_market', stopPrice: '31000', closePosition: true }, 'sl');
  // An exit fills on the exchange; the ledger hears of it during the check's second look.
  const exit = { symbol: BTC, clientId: clientOrderId('rc-2', 'exit', 0), side: 'buy' as const, type: 'market' as const, qty: '0.1' };
  await w.ledger.insertPending(exit, { decisionId: null, positionId: null, leg: 'exit', attempt: 0 });
  await w.gw.createOrder(exit);
  w.setBetween(async () => {
    for (const f of w.gw.core.fills(BTC, 0)) await w.ledger.recordFill(f);
  });
  await w.tick();
  assert.equal(w.slept, [3000], 'a second look was taken');
  assert.equal(w.published.drift.at(-1)!.symbols, []);
  assert.is(w.published.anomalies.length, 0, JSON.stringify(w.published.anomalies));
  // Funding: the venue settles at 08:00 UTC; the short position pays or receives; the check imports it once.
  w.clock.advanceTo(Date.UTC(2026, 2, 5, 8, 0, 30));
  await w.bar(30_100);
  const paid = w.gw.core.fundingHistory(BTC);
  assert.ok(paid.length >= 1, 'the venue settled funding');
  await w.tick();
  await w.tick();
  const p = (await w.ledger.openPosition(BTC))! as unknown as { funding: string; net_pnl: string; realized_pnl: string; fees: string };
  const sum = paid.reduce((s, f) => s.add(f.amount), dec(0));
  assert.is(dec(p.funding).toString(), sum.toString(), 'funding on the position, once');
  assert.is(dec(p.net_pnl).toString(), dec(p.realized_pnl).sub(p.fees).add(p.funding).toString());
  const rows = await db.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM funding_payments');
  assert.is(Number(rows[0]!.n), paid.length);
  w.actor.stop();
});

test('a check that fails: one reconcile.check_failed alert (not one per interval), no drift verdict, next interval retried', async () => {
  const clock = new SimClock(T0);
  let fail = true;
  let calls = 0;
  const m = reconcilerMachine.provide({
    actors: {
      check: fromPromise<CheckOutput>(async () => {
        calls++;
        if (fail) throw new Error('exchange unreachable');
        return { equity: null, anomalies: [], drift: { ts: clock.now(), symbols: [] } };
      }),
    },
  });
  const actor = createActor(m, { clock, input: { intervalMs: MIN, now: () => clock.now() } });
  const out: Array<{ type: string; code?: string }> = [];
  actor.on('reconcile.anomaly', (e) => out.push({ type: e.type, code: (e.payload as Anomaly).code }));
  actor.on('reconcile.drift', (e) => out.push({ type: e.type }));
  actor.start();
  for (let i = 0; i < 3; i++) {
    clock.advance(MIN);
    await waitFor('a check', () => calls > i && actor.getSnapshot().value === 'idle', 5000, 5);
  }
  assert.equal(out, [{ type: 'reconcile.anomaly', code: 'reconcile.check_failed' }]);
  assert.is(actor.getSnapshot().context.lastError, 'exchange unreachable');
  fail = false;
  clock.advance(MIN);
  await waitFor('a good check', () => calls === 4 && actor.getSnapshot().value === 'idle', 5000, 5);
  assert.equal(out.at(-1), { type: 'reconcile.drift' });
  assert.is(actor.getSnapshot().context.lastError, null);
  actor.stop();
});

test.run();
