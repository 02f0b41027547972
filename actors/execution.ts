// execution worker: the paper venue (in-process, saved in MariaDB), the ledger, and the execution machine.
// Guarantees venue bars, fills and reconciliation run one at a time, and each fill reaches the ledger once.
import { executionMachine, type FillNotice, type ReconcileOutput } from '../machines/execution.machine.js';
import { dec } from '../src/domain/decimal.js';
import { clientOrderId } from '../src/domain/ids.js';
import { ExchangeError } from '../src/exchange/errors.js';
import { DEFAULT_MARKETS, LocalSimGateway, SimVenueStore } from '../src/exchange/sim/local-gateway.js';
import type { ExFill } from '../src/exchange/types.js';
import { cancelProtectionWhereFlat, submitFlatten } from '../src/execution/flatten.js';
import { Ledger, positionEvent, positionView } from '../src/execution/ledger.js';
import { OrderManager } from '../src/execution/order-manager.js';
import { reconcile } from '../src/execution/reconcile.js';
import { runActor } from '../src/host/host.js';
import { timedGateway } from '../src/ops/timed-gateway.js';
import type { Candle, Intent } from '../src/protocol/index.js';
import { Serial } from '../src/util/serial.js';
import { fromPromise } from 'xstate';

runActor(async (ctx) => {
  const { config, clock, log } = ctx;
  const pool = ctx.db();
  const now = () => clock.now();
  if (config.exchange.venue !== 'sim') throw new Error(`venue ${config.exchange.venue} is not available in this build`);
  const markets = DEFAULT_MARKETS.filter((m) => config.symbols.includes(m.symbol));
  const missing = config.symbols.filter((s) => !markets.some((m) => m.symbol === s));
  if (missing.length) throw new Error(`the paper venue does not list ${missing.join(', ')}`);
  const gw = timedGateway(await LocalSimGateway.open(
    { markets, takerFee: config.execution.takerFee, makerFee: config.execution.makerFee, startingBalance: config.execution.paperStartingBalance, leverage: config.risk.leverage },
    new SimVenueStore(pool, 'paper'),
    now,
  ), ctx.metrics);
  const ledger = new Ledger(pool, now);
  const orders = new OrderManager(gw, ledger, log);
  const serial = new Serial();
  let actorRef: { send(e: FillNotice): void } | null = null;

  /** Stop and target of the intent that opened a position, read back from its decision. */
  const protectionFor = async (decisionId: string | null) => {
    if (!decisionId) return undefined;
    const rows = await pool.query<Array<{ intent: string | Intent | null }>>('SELECT intent FROM decisions WHERE id = ?', [decisionId]);
    const raw = rows[0]?.intent;
    const intent = typeof raw === 'string' ? (JSON.parse(raw) as Intent) : raw;
    return intent ? { stopLoss: intent.stopLoss, takeProfit: intent.takeProfits[0]?.price ?? null } : undefined;
  };

  const onFill = async (f: ExFill) => {
    const order = f.clientId ? await ledger.order(f.clientId) : null;
    const open = order?.leg === 'entry' ? await protectionFor(order.decision_id) : undefined;
    const r = await ledger.recordFill(f, open);
    if (r.kind === 'duplicate') return;
    const mark = gw.price(f.symbol);
    const view = positionView(f.symbol, r.kind === 'closed' ? null : r.position, mark);
    log.info({ symbol: f.symbol, tradeId: f.tradeId, side: f.side, qty: f.qty, price: f.price, leg: order?.leg ?? 'unknown', outcome: r.kind }, 'fill');
    actorRef?.send({ type: 'execution.fill', leg: order?.leg ?? 'unknown', outcome: r.kind, position: view, event: positionEvent(r.position) });
  };

  const onCandle = (c: Candle) =>
    serial.run(async () => {
      if (!config.symbols.includes(c.symbol) || c.tf !== '1m' || !c.closed) return;
      const fills = await gw.onBar(c.symbol, { ts: c.openTime + 60_000, open: c.open, high: c.high, low: c.low, close: c.close });
      for (const f of fills) await onFill(f);
    }).catch((err) => {
      // The venue state is saved before fills are recorded; reconciliation picks up anything missed here.
      log.error({ err: (err as Error).message }, 'processing a bar failed; reconciliation will repair the ledger');
      ctx.setDegraded(`ledger write failed: ${(err as Error).message}`);
    });

  const machine = executionMachine.provide({
    actors: {
      boot: fromPromise(async () => {
        await orders.loadMarkets();
      }),
      reconcile: fromPromise<ReconcileOutput>(() =>
        serial.run(async () => {
          const rep = await reconcile(gw, ledger, orders, config.symbols, now());
          for (const a of rep.anomalies) log.warn({ kind: a.kind, symbol: a.symbol }, a.text);
          log.info({ positions: rep.positions.length, anomalies: rep.anomalies.length, fillsApplied: rep.fillsApplied }, 'startup reconciliation done');
          ctx.setDegraded(null);
          return { positions: rep.positions.map((p) => positionView(p.symbol, p, gw.price(p.symbol))), anomalies: rep.anomalies };
        }),
      ),
      enter: fromPromise<void, { intent: Intent }>(({ input: { intent } }) =>
        serial.run(async () => {
          const price = gw.price(intent.symbol);
          if (price === undefined) throw new ExchangeError('no market price yet', 'definitive');
          if (dec(price).lt(intent.entry.low) || dec(price).gt(intent.entry.high)) {
            throw new ExchangeError(`price ${price} left the entry zone ${intent.entry.low}–${intent.entry.high}`, 'definitive');
          }
          await orders.submit(
            { symbol: intent.symbol, clientId: clientOrderId(intent.decisionId, 'entry', 0), side: intent.side === 'long' ? 'buy' : 'sell', type: 'market', qty: intent.qty },
            { decisionId: intent.decisionId, positionId: null, leg: 'entry', attempt: 0 },
          );
        }),
      ),
      protect: fromPromise<void, { symbol: string }>(({ input }) =>
        serial.run(async () => {
          const p = await ledger.openPosition(input.symbol);
          if (p) await orders.ensureProtection(p);
        }),
      ),
      cleanup: fromPromise<void, { symbol: string }>(({ input }) =>
        serial.run(async () => {
          if (!(await ledger.openPosition(input.symbol))) await orders.cancelLeftovers(input.symbol);
        }),
      ),
    },
  });

  return {
    machine,
    input: { symbols: config.symbols, now },
    routes: {
      'market.candle': (env) => {
        void onCandle(env.payload);
        return null;
      },
      'decision.made': (env) => ({ type: 'execution.decision', decision: env.payload }),
      'decision.halt': (env) => ({ type: 'execution.risk_halt', halt: env.payload }),
      'reconcile.anomaly': (env) => ({ type: 'execution.anomaly', anomaly: env.payload }),
    },
    onStart: (a) => {
      actorRef = a as unknown as { send(e: FillNotice): void };
    },
    commands: {
      // Operator flatten: entries cancelled and closes sent (serially), closes awaited outside the queue (fills
      // arrive through it), then stops and targets cancelled where flat. Minimal; execution owns hardening it.
      flatten: async (_args, a) => {
        const sent = await serial.run(() => submitFlatten(gw, ledger, orders, config.symbols));
        a.send({ type: 'execution.flattened' });
        for (const until = Date.now() + 15_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
          if (!(await gw.fetchPositions(config.symbols)).length) break;
        }
        return { ...sent, ...(await serial.run(() => cancelProtectionWhereFlat(gw, orders, config.symbols))) };
      },
      halt: async (args, a) => {
        a.send({ type: 'execution.halt', reason: String(args.reason ?? 'halted by the operator') });
        return { halted: true };
      },
    },
    details: (a) => {
      const c = a.getSnapshot().context as { positions: Record<string, unknown>; paused: boolean; haltReason: string | null };
      return { venue: gw.name, positions: Object.values(c.positions), paused: c.paused, haltReason: c.haltReason, queue: serial.size };
    },
    dispose: async () => {
      await serial.idle();
      await gw.close();
    },
  };
});
