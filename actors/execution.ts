// execution worker: the exchange gateway (ccxt; the loopback venue in paper mode), its user-data stream, the ledger,
// and the execution machine. Guarantees: order work, fills and reconciliation run one at a time; each fill reaches the
// ledger once (from the stream, or from REST polling while the stream is down, or from reconciliation).
import { fromPromise } from 'xstate';
import { executionMachine, type FillNotice, type ReconcileOutput } from '../machines/execution.machine.js';
import { dec } from '../src/domain/decimal.js';
import { clientOrderId } from '../src/domain/ids.js';
import { ExchangeError } from '../src/exchange/errors.js';
import type { CcxtGateway } from '../src/exchange/ccxt-gateway.js';
import type { ExFill, UserDataSubscription, UserEvent } from '../src/exchange/types.js';
import { cancelProtectionWhereFlat, submitFlatten } from '../src/execution/flatten.js';
import { Ledger, positionEvent, positionView } from '../src/execution/ledger.js';
import { OrderManager } from '../src/execution/order-manager.js';
import { reconcile } from '../src/execution/reconcile.js';
import { runActor } from '../src/host/host.js';
import { timedGateway } from '../src/ops/timed-gateway.js';
import type { Intent } from '../src/protocol/index.js';
import { Serial } from '../src/util/serial.js';

/** Fills are polled from this far before the last stored one (same-ms fills, clock skew). */
const POLL_OVERLAP_MS = 60_000;

runActor(async (ctx) => {
  const { config, clock, log } = ctx;
  const pool = ctx.db();
  const now = () => clock.now();
  // The gateway (ccxt is large) is built in `boot`, off the supervisor's start-up path; nothing uses it before.
  let gw: CcxtGateway | undefined;
  let orders: OrderManager | undefined;
  const ledger = new Ledger(pool, now);
  const serial = new Serial();
  const marks = new Map<string, number>();
  let actorRef: { send(e: FillNotice): void } | null = null;
  let sub: UserDataSubscription | null = null;
  let pollTimer: NodeJS.Timeout | null = null;
  const stats = { streamFills: 0, polledFills: 0, polls: 0, streamDowns: 0 };

  /** Stop and target of the intent that opened a position, read back from its decision. */
  const protectionFor = async (decisionId: string | null) => {
    if (!decisionId) return undefined;
    const rows = await pool.query<Array<{ intent: string | Intent | null }>>('SELECT intent FROM decisions WHERE id = ?', [decisionId]);
    const raw = rows[0]?.intent;
    const intent = typeof raw === 'string' ? (JSON.parse(raw) as Intent) : raw;
    return intent ? { stopLoss: intent.stopLoss, takeProfit: intent.takeProfits[0]?.price ?? null } : undefined;
  };

  const onFill = async (f: ExFill, via: 'stream' | 'poll') => {
    const order = f.clientId ? await ledger.order(f.clientId) : null;
    const open = order?.leg === 'entry' ? await protectionFor(order.decision_id) : undefined;
    const r = await ledger.recordFill(f, open, f.clientId?.startsWith('autoclose') ? 'liquidation' : 'external');
    if (r.kind === 'duplicate') return;
    if (via === 'stream') stats.streamFills++;
    else stats.polledFills++;
    const view = positionView(f.symbol, r.kind === 'closed' ? null : r.position, marks.get(f.symbol));
    log.info({ symbol: f.symbol, tradeId: f.tradeId, side: f.side, qty: f.qty, price: f.price, leg: order?.leg ?? 'unknown', outcome: r.kind, via }, 'fill');
    actorRef?.send({ type: 'execution.fill', leg: order?.leg ?? 'unknown', outcome: r.kind, position: view, event: positionEvent(r.position) });
  };

  /** REST fallback: every fill since shortly before the last stored one (idempotent on the trade id). */
  const pollFills = () =>
    serial.run(async () => {
      stats.polls++;
      const since = Math.max(0, ((await ledger.lastFillTs()) ?? now() - 3_600_000) - POLL_OVERLAP_MS);
      for (const symbol of config.symbols) for (const f of await gw!.fetchFills(symbol, since)) await onFill(f, 'poll');
    });

  const onUser = (e: UserEvent) => {
    if (e.kind === 'status') {
      if (!e.up) {
        stats.streamDowns++;
        log.warn({ reason: e.reason }, 'user-data stream down: polling fills over REST');
        ctx.setDegraded(`user-data stream down (${e.reason}); polling REST`);
        pollTimer ??= setInterval(() => void pollFills().catch((err) => log.warn({ err: (err as Error).message }, 'fill poll failed')), config.exchange.userStream.pollMs);
      } else {
        if (pollTimer) clearInterval(pollTimer);
        pollTimer = null;
        ctx.setDegraded(null);
        // Whatever happened while the stream was down (or before it first came up) is caught up once.
        void pollFills().catch((err) => log.warn({ err: (err as Error).message }, 'catch-up poll failed'));
      }
      return;
    }
    if (e.kind === 'order') {
      void serial
        .run(async () => {
          if (e.fill) await onFill(e.fill, 'stream');
          else await ledger.applyOrderUpdate(e.order);
        })
        .catch((err) => {
          log.error({ err: (err as Error).message }, 'applying a user-data event failed; REST polling and reconciliation will repair the ledger');
          ctx.setDegraded(`ledger write failed: ${(err as Error).message}`);
        });
    }
  };

  /** Gateway, markets, leverage and the user-data stream; retried by a later reconciliation if it failed. */
  let booted = false;
  const ensureBooted = async () => {
    if (booted) return;
    gw ??= timedGateway((await import('../src/exchange/from-config.js')).gatewayFromConfig(config, { now, log, private: true }), ctx.metrics);
    orders ??= new OrderManager(gw, ledger, log, { recvWindowMs: config.exchange.recvWindowMs, maxSends: config.exchange.retry.maxAttempts });
    await orders.loadMarkets();
    for (const symbol of config.symbols) await gw.setLeverage(symbol, config.risk.leverage);
    sub ??= await gw.subscribeUserData(onUser);
    booted = true;
  };

  const machine = executionMachine.provide({
    actors: {
      boot: fromPromise(ensureBooted),
      reconcile: fromPromise<ReconcileOutput>(() =>
        serial.run(async () => {
          await ensureBooted();
          const t0 = Date.now();
          const rep = await reconcile(gw!, ledger, orders!, config.symbols, now(), { settleMs: config.exchange.recvWindowMs + 1000 });
          for (const a of rep.anomalies) log.warn({ kind: a.kind, symbol: a.symbol }, a.text);
          log.info({ positions: rep.positions.length, anomalies: rep.anomalies.length, fillsApplied: rep.fillsApplied, ms: Date.now() - t0 }, 'startup reconciliation done');
          ctx.setDegraded(null);
          return { positions: rep.positions.map((p) => positionView(p.symbol, p, marks.get(p.symbol))), anomalies: rep.anomalies };
        }),
      ),
      enter: fromPromise<void, { intent: Intent }>(({ input: { intent } }) =>
        serial.run(async () => {
          const price = marks.get(intent.symbol);
          if (price === undefined) throw new ExchangeError('no market price yet', 'definitive');
          if (dec(price).lt(intent.entry.low) || dec(price).gt(intent.entry.high)) {
            throw new ExchangeError(`price ${price} left the entry zone ${intent.entry.low}–${intent.entry.high}`, 'definitive');
          }
          await orders!.submit(
            { symbol: intent.symbol, clientId: clientOrderId(intent.decisionId, 'entry', 0), side: intent.side === 'long' ? 'buy' : 'sell', type: 'market', qty: intent.qty },
            { decisionId: intent.decisionId, positionId: null, leg: 'entry', attempt: 0 },
          );
        }),
      ),
      protect: fromPromise<void, { symbol: string }>(({ input }) =>
        serial.run(async () => {
          const p = await ledger.openPosition(input.symbol);
          if (p) await orders!.ensureProtection(p);
        }),
      ),
      cleanup: fromPromise<void, { symbol: string }>(({ input }) =>
        serial.run(async () => {
          if (!(await ledger.openPosition(input.symbol))) await orders!.cancelLeftovers(input.symbol);
        }),
      ),
    },
  });

  return {
    machine,
    input: { symbols: config.symbols, now },
    routes: {
      'market.mark': (env) => {
        marks.set(env.payload.symbol, env.payload.markPrice);
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
        await ensureBooted();
        const sent = await serial.run(() => submitFlatten(gw!, ledger, orders!, config.symbols));
        a.send({ type: 'execution.flattened' });
        for (const until = Date.now() + 15_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
          if (!(await gw!.fetchPositions(config.symbols)).length) break;
        }
        return { ...sent, ...(await serial.run(() => cancelProtectionWhereFlat(gw!, orders!, config.symbols))) };
      },
      halt: async (args, a) => {
        a.send({ type: 'execution.halt', reason: String(args.reason ?? 'halted by the operator') });
        return { halted: true };
      },
    },
    details: (a) => {
      const c = a.getSnapshot().context as { positions: Record<string, unknown>; paused: boolean; haltReason: string | null };
      return {
        venue: gw?.name ?? 'booting', positions: Object.values(c.positions), paused: c.paused, haltReason: c.haltReason, queue: serial.size,
        userStream: sub?.up ? 'up' : 'down (polling REST)', ...stats, orders: orders?.stats, gateway: gw?.stats,
        exchange: { connected: sub ? sub.up : null, clockOffsetMs: gw?.clockOffsetMs ?? null, latencyMs: gw?.stats.lastLatencyMs ?? null },
      };
    },
    dispose: async () => {
      if (pollTimer) clearInterval(pollTimer);
      await sub?.close();
      await serial.idle();
      await gw?.close();
    },
  };
});
