// The execution machine's effects on a real gateway and MariaDB: boot, reconcile, the loop tick, flatten; the user-data
// stream (REST polling while it is down) and the writes it could not make. Used by the worker host and by tests.
// Guarantees: exchange and ledger work runs one at a time (Serial); each fill reaches the ledger once; a stream event
// whose write failed (DB down) is kept and written again before anything else once the DB answers — nothing is lost.
import { fromPromise } from 'xstate';
import type { FillNotice, ReconcileOutput, TickInput, TickOutput } from '../../machines/execution.machine.js';
import { Atr } from '../analytics/indicators/atr.js';
import type { Config } from '../config/schema.js';
import { dec } from '../domain/decimal.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { ExFill, UserDataSubscription, UserEvent } from '../exchange/types.js';
import type { Logger } from '../log/logger.js';
import type { AlertPayload, Candle, Intent } from '../protocol/index.js';
import { lockstepWork } from '../clock/lockstep.js';
import { Serial } from '../util/serial.js';
import { chaosPoint } from '../ops/chaos-point.js';
import { EntryWorker, type EntryResult } from './entry.js';
import { fillProblem, recordStray, strayFill } from './fill-attribution.js';
import { cancelProtectionWhereFlat, submitFlatten, type FlattenSubmitted } from './flatten.js';
import { Ledger, levelsOf, positionEvent, positionView, type OpenLevels } from './ledger.js';
import { OrderManager } from './order-manager.js';
import { Protector } from './protection.js';
import { ReconcileAbortedError, reconcile } from './reconcile.js';
import { intentProtection } from './reconcile-ledger.js';
import type { Pool } from 'mariadb';

/** Fills are polled from this far before the last stored one (same-ms fills, clock skew). */
const POLL_OVERLAP_MS = 60_000;
/** Stream events kept for a later write while the DB is down (beyond this, REST polling and reconciliation repair). */
const MAX_KEPT_WRITES = 10_000;

export interface EffectsOptions {
  config: Config;
  pool: Pool;
  log: Logger;
  /** Clock time (the daemon's clock; the venue's in paper mode). */
  now: () => number;
  gateway: () => Promise<ExchangeGateway>;
  setDegraded?: (reason: string | null) => void;
}

type Sender = { send(e: FillNotice | { type: 'execution.degraded'; reason: string } | { type: 'execution.flattened' }): void };

export class ExecutionEffects {
  gw: ExchangeGateway | undefined;
  orders: OrderManager | undefined;
  readonly ledger: Ledger;
  readonly serial = new Serial();
  readonly marks = new Map<string, number>();
  private readonly atr = new Map<string, Atr>();
  private actor: Sender | null = null;
  sub: UserDataSubscription | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private kept: UserEvent[] = [];
  private booted = false;
  /** Intents worked by this process (their stop and target protect the position they open). */
  private readonly intents = new Map<string, Intent>();
  /** Per symbol, the sequence number of the last entry worked at its decision (a tick begun before it skips the symbol's leftovers). */
  private readonly intentAt = new Map<string, number>();
  private intentSeq = 0;
  private protector: Protector | undefined;
  private entries: EntryWorker | undefined;
  /** Positions whose last opening/increasing fill is not yet known covered by a stop: wall time of that fill. */
  private readonly unprotectedSince = new Map<number, number>();
  /** execution.protection_late alerts raised between ticks (at a fill), published with the next tick's output. */
  private readonly lateAlerts: AlertPayload[] = [];
  readonly stats = { streamFills: 0, polledFills: 0, strayFills: 0, droppedFills: 0, polls: 0, streamDowns: 0, keptWrites: 0, rewritten: 0, ticks: 0, stopMoves: 0, exits: 0, entryOrders: 0, lateProtection: 0, maxProtectMs: 0 };

  constructor(private readonly o: EffectsOptions) {
    this.ledger = new Ledger(o.pool, o.now);
  }

  attach(actor: Sender): void {
    this.actor = actor;
  }

  private get cfg() {
    return this.o.config;
  }

  onMark(symbol: string, mark: number): void {
    this.marks.set(symbol, mark);
  }

  /** Closed 1m candles feed the chandelier's ATR. */
  onCandle(c: Candle): void {
    if (!c.closed || c.tf !== '1m') return;
    let a = this.atr.get(c.symbol);
    if (!a) this.atr.set(c.symbol, (a = new Atr(this.cfg.execution.protection.chandelier.atrPeriod)));
    a.update(c.high, c.low, c.close);
  }

  /** Stop and target legs of the intent that opened a position: the one worked here, else read back from its decision. */
  private async protectionFor(decisionId: string | null): Promise<OpenLevels | undefined> {
    const known = decisionId ? this.intents.get(decisionId) : undefined;
    return known ? levelsOf(known) : intentProtection(this.o.pool, decisionId);
  }

  private async onFill(f: ExFill, via: 'stream' | 'poll'): Promise<void> {
    // Where fills enter: impossible numbers are dropped and counted; a fill that cannot be attributed opens nothing, is
    // recorded once (fill row without a position, audit row) and alerts; reconciliation compares with the exchange as usual.
    const insane = fillProblem(f);
    if (insane) {
      this.stats.droppedFills++;
      this.o.log.warn({ symbol: f.symbol, tradeId: f.tradeId, why: insane }, 'fill with impossible numbers dropped');
      return;
    }
    const order = f.clientId ? await this.ledger.order(f.clientId) : null;
    const stray = strayFill({ fill: f, traded: this.cfg.symbols.includes(f.symbol), order, position: await this.ledger.openPosition(f.symbol) });
    if (stray) {
      if (!(await recordStray(this.o.pool, f, stray, this.o.now()))) return;
      this.stats.strayFills++;
      this.o.log.warn({ symbol: f.symbol, tradeId: f.tradeId, kind: stray.kind, via }, stray.text);
      this.lateAlerts.push({ severity: 'warning', code: 'execution.stray_fill', symbol: f.symbol, text: stray.text, data: { kind: stray.kind, tradeId: f.tradeId, clientId: f.clientId } });
      return;
    }
    const open = order?.leg === 'entry' ? await this.protectionFor(order.decision_id) : undefined;
    const r = await this.ledger.recordFill(f, open, f.forced ?? (f.clientId?.startsWith('autoclose') ? 'liquidation' : 'external'));
    if (r.kind === 'duplicate') return;
    chaosPoint('fill.recorded');
    if (via === 'stream') this.stats.streamFills++;
    else this.stats.polledFills++;
    if (r.kind === 'opened' || r.kind === 'increased') {
      if (!this.unprotectedSince.has(r.position.id)) this.unprotectedSince.set(r.position.id, Date.now());
      // The stop-loss goes out from here, in the same queue turn as the fill (the loop tick that follows checks it again
      // and does the rest): no machine round trip, no other work in between. A failure is the tick's to retry.
      if (this.booted && this.cfg.symbols.includes(f.symbol)) {
        await this.orders!.ensureProtection(r.position).then(
          () => this.protectedNow(r.position),
          (err: unknown) => this.o.log.warn({ symbol: f.symbol, err: (err as Error).message }, 'protection at the fill failed; the loop places it'),
        );
      }
    } else if (r.kind === 'closed') {
      this.unprotectedSince.delete(r.position.id);
      // The position is gone (its stop or a target filled): the rest of an entry still working would open a new one
      // at once (the price is past it), without the stop that just filled. Cancelled now, not at the next tick.
      if (this.booted && this.entries) {
        await this.entries.cancelStray(f.symbol).catch((err: unknown) => this.o.log.warn({ symbol: f.symbol, err: (err as Error).message }, 'cancelling the entry of a closed position failed; the loop does it'));
      }
    }
    const view = positionView(f.symbol, r.kind === 'closed' ? null : r.position, this.marks.get(f.symbol));
    this.o.log.info({ symbol: f.symbol, tradeId: f.tradeId, side: f.side, qty: f.qty, price: f.price, leg: order?.leg ?? 'unknown', outcome: r.kind, via }, 'fill');
    this.actor?.send({ type: 'execution.fill', leg: order?.leg ?? 'unknown', outcome: r.kind, position: view, event: positionEvent(r.position, f.ts) });
  }

  private async applyUserEvent(e: UserEvent): Promise<void> {
    if (e.kind !== 'order') return;
    if (e.fill) await this.onFill(e.fill, 'stream');
    else await this.ledger.applyOrderUpdate(e.order);
  }

  /** REST fallback: every fill since shortly before the last stored one (idempotent on the trade id). */
  pollFills(): Promise<void> {
    return this.serial.run(async () => {
      this.stats.polls++;
      const since = Math.max(0, ((await this.ledger.lastFillTs()) ?? this.o.now() - 3_600_000) - POLL_OVERLAP_MS);
      for (const symbol of this.cfg.symbols) for (const f of await this.gw!.fetchFills(symbol, since)) await this.onFill(f, 'poll');
    });
  }

  onUser = (e: UserEvent): void => {
    const { log } = this.o;
    if (e.kind === 'status') {
      if (!e.up) {
        this.stats.streamDowns++;
        log.warn({ reason: e.reason }, 'user-data stream down: polling fills over REST');
        this.o.setDegraded?.(`user-data stream down (${e.reason}); polling REST`);
        this.pollTimer ??= setInterval(() => void this.pollFills().catch((err) => log.warn({ err: (err as Error).message }, 'fill poll failed')), this.cfg.exchange.userStream.pollMs);
      } else {
        if (this.pollTimer) clearInterval(this.pollTimer);
        this.pollTimer = null;
        this.o.setDegraded?.(null);
        // Whatever happened while the stream was down (or before it first came up) is caught up once.
        void lockstepWork.track(this.pollFills()).catch((err) => log.warn({ err: (err as Error).message }, 'catch-up poll failed'));
      }
      return;
    }
    if (e.kind !== 'order') return;
    // A lockstep replay waits until the event is in the ledger and the machine has heard of it.
    void lockstepWork.track(this.serial
      .run(async () => {
        if (this.kept.length) {
          this.keep(e);
          return;
        }
        await this.applyUserEvent(e);
      })
      .catch((err) => {
        log.error({ err: (err as Error).message }, 'writing a user-data event failed: kept, written again once the database answers');
        this.keep(e);
        this.actor?.send({ type: 'execution.degraded', reason: `ledger write failed: ${(err as Error).message}` });
      }));
  };

  private keep(e: UserEvent): void {
    if (this.kept.length >= MAX_KEPT_WRITES) return;
    this.kept.push(e);
    this.stats.keptWrites++;
  }

  /** Writes the kept stream events in order (inside the serial queue); throws while the DB still fails. */
  private async rewriteKept(): Promise<void> {
    while (this.kept.length) {
      await this.applyUserEvent(this.kept[0]!);
      this.kept.shift();
      this.stats.rewritten++;
    }
  }

  /** Gateway, markets, leverage and the user-data stream; retried by a later reconciliation if it failed. */
  async ensureBooted(): Promise<void> {
    if (this.booted) return;
    const c = this.cfg;
    this.gw ??= await this.o.gateway();
    this.orders ??= new OrderManager(this.gw, this.ledger, this.o.log, { recvWindowMs: c.exchange.recvWindowMs, maxSends: c.exchange.retry.maxAttempts, protection: c.execution.protection });
    await this.orders.loadMarkets();
    for (const symbol of c.symbols) await this.gw.setLeverage(symbol, c.risk.leverage);
    this.protector = new Protector(this.gw, this.ledger, this.orders, this.o.log, c.execution.protection);
    this.entries = new EntryWorker(this.gw, this.ledger, this.orders, this.o.log, c.execution.entry, c.risk.maxSlippage, c.exchange.recvWindowMs + 1000);
    this.sub ??= await this.gw.subscribeUserData(this.onUser);
    this.booted = true;
  }

  reconcile(): Promise<ReconcileOutput> {
    return this.serial.run(async () => {
      await this.ensureBooted();
      const t0 = Date.now();
      // A working entry is not resumed across a restart: entry orders an earlier run left are cancelled (confirmed),
      // before comparing and again after it (a pending_submit row is known to be on the exchange only once resolved);
      // when any was cancelled after it, the comparison runs once more so its fills are applied and protected now.
      const cancelStrays = async () => {
        let n = 0;
        for (const symbol of this.cfg.symbols) n += await this.entries!.cancelStray(symbol);
        if (n) this.o.log.warn({ strays: n }, 'entry orders left working by an earlier run cancelled');
        return n;
      };
      const once = async () => {
        try {
          return await reconcile(this.gw!, this.ledger, this.orders!, this.cfg.symbols, this.o.now(), {
            settleMs: this.cfg.exchange.recvWindowMs + 1000, foreignOrders: this.cfg.reconciler.foreignOrders, timeoutMs: this.reconcileTimeoutWallMs(),
            protection: this.cfg.execution.protection,
          });
        } catch (err) {
          // Aborted at the same deadline the machine halts on; the queue is held until the aborted run has really stopped.
          if (err instanceof ReconcileAbortedError) await err.settled;
          throw err;
        }
      };
      await cancelStrays();
      let rep = await once();
      if (await cancelStrays()) {
        const again = await once();
        rep = { ...again, anomalies: [...rep.anomalies, ...again.anomalies], fillsApplied: rep.fillsApplied + again.fillsApplied };
      }
      for (const a of rep.anomalies) this.o.log.warn({ kind: a.kind, symbol: a.symbol }, a.text);
      this.o.log.info({ positions: rep.positions.length, anomalies: rep.anomalies.length, fillsApplied: rep.fillsApplied, ms: Date.now() - t0 }, 'startup reconciliation done');
      return { positions: rep.positions.map((p) => positionView(p.symbol, p, this.marks.get(p.symbol))), anomalies: rep.anomalies };
    });
  }

  /** Wall time at which a pending_submit row was first seen absent from the exchange (by client id). */
  private readonly absentSince = new Map<string, number>();

  /**
   * pending_submit rows at the start of a tick belong to no submit in flight (submits run in this queue): their
   * outcome was lost (e.g. MariaDB went down mid-submit). Each is looked up by client id and takes the exchange's
   * status; one still absent once the venue can no longer accept it (recvWindow + margin, wall) is never placed.
   */
  private async resolveStalePending(): Promise<void> {
    for (const row of await this.ledger.openOrders()) {
      if (row.status !== 'pending_submit' || !this.cfg.symbols.includes(row.symbol)) continue;
      const ex = await this.gw!.fetchOrderByClientId(row.symbol, row.client_id);
      if (ex) {
        this.absentSince.delete(row.client_id);
        await this.ledger.applyOrderUpdate(ex);
        continue;
      }
      const since = this.absentSince.get(row.client_id) ?? Date.now();
      this.absentSince.set(row.client_id, since);
      if (Date.now() - since > this.cfg.exchange.recvWindowMs + 1000) {
        this.absentSince.delete(row.client_id);
        await this.ledger.markNeverPlaced(row.client_id, 'not on the exchange after the recvWindow (outcome lost mid-submit)');
      }
    }
  }

  /**
   * The position's stop is on the exchange (placed at its fill or by a tick, or found there): the wall time since the
   * fill that opened or grew it is the protection latency; one beyond execution.protectWithinMs raises an alert.
   */
  private protectedNow(p: { id: number; symbol: string }): void {
    const since = this.unprotectedSince.get(p.id);
    if (since === undefined) return;
    this.unprotectedSince.delete(p.id);
    const ms = Date.now() - since;
    const limit = this.cfg.execution.protectWithinMs;
    this.stats.maxProtectMs = Math.max(this.stats.maxProtectMs, ms);
    if (ms <= limit) return;
    this.stats.lateProtection++;
    this.o.log.error({ positionId: p.id, ms, protectWithinMs: limit }, 'stop-loss reached the exchange later than protectWithinMs after the fill');
    this.lateAlerts.push({ severity: 'critical', code: 'execution.protection_late', symbol: p.symbol, text: `${p.symbol} position ${p.id}: stop-loss on the exchange ${ms} ms after the fill (execution.protectWithinMs ${limit})`, data: { positionId: p.id, ms } });
  }

  /** reconcileTimeoutMs is wall time (IO), like the machine's deadline for it. */
  private reconcileTimeoutWallMs(): number {
    return this.cfg.execution.reconcileTimeoutMs;
  }

  /**
   * One loop: kept writes first, then each entry being worked, then every open position's protection, then flat symbols'
   * leftovers. Each symbol's step is its own turn of the serial queue (still one piece of work at a time): an entry just
   * decided (enterNow) or a fill waits for one symbol's step, not for the whole tick; each step reads its state afresh.
   */
  async tick(input: TickInput): Promise<TickOutput> {
    const since = this.intentSeq;
    const now = await this.serial.run(async () => {
      await this.ensureBooted();
      this.stats.ticks++;
      await this.rewriteKept();
      // Exchange maintenance: the tick fails while it lasts (health stays degraded: no new entries, the stops stay on the
      // exchange); the first tick after it ends does all its work, protection re-checked.
      if ((this.gw as { maintenance?: unknown }).maintenance) await this.gw!.fetchServerTime();
      await this.resolveStalePending();
      return this.o.now();
    });
    const alerts: AlertPayload[] = [];
    const entries: TickOutput['entries'] = {};
    for (const s of input.slots) {
      const intent = s.intent;
      if (s.phase !== 'entering' || !intent) continue;
      this.intents.set(intent.decisionId, intent);
      entries[s.symbol] = (await this.serial.run(() => this.workEntry(intent, now))).state;
    }
    const exiting: string[] = [];
    const open = await this.serial.run(() => this.ledger.openPositions());
    // Positions closed without a fill through here (by reconciliation) are not waited on.
    for (const id of this.unprotectedSince.keys()) if (!open.some((p) => p.id === id)) this.unprotectedSince.delete(id);
    for (const listed of open) {
      if (!this.cfg.symbols.includes(listed.symbol)) continue;
      const step = await this.serial.run(async () => {
        // Read again in this turn: a fill since the list may have closed or changed it.
        const p = await this.ledger.openPosition(listed.symbol);
        if (!p || p.id !== listed.id) return null;
        return { p, r: await this.protector!.manage(p, this.marks.get(p.symbol), this.atr.get(p.symbol)?.value ?? null, now) };
      });
      if (!step) continue;
      const { p, r } = step;
      if (r.exiting) exiting.push(p.symbol);
      else this.protectedNow(p); // manage ensured its stop (an exiting position's loop returns before that)
      for (const a of r.actions) {
        if (a.startsWith('moved:')) this.stats.stopMoves++;
        if (a.startsWith('exit:')) {
          this.stats.exits++;
          alerts.push({ severity: 'warning', code: `execution.${a.replace(':', '_')}`, symbol: p.symbol, text: `${p.symbol} ${p.side} ${dec(p.qty).toFixed()} closed at market (${a.slice(5)})` });
        }
        if (a === 'replaced:sl') {
          alerts.push({ severity: 'critical', code: 'execution.stop_replaced', symbol: p.symbol, text: `${p.symbol} position ${p.id} had no stop-loss on the exchange: placed again` });
        }
      }
    }
    for (const s of input.slots) {
      if (s.phase !== 'flat' || !this.cfg.symbols.includes(s.symbol)) continue;
      // Flat when this tick began, but an entry taken since is being worked (enterNow): its orders are not leftovers.
      if ((this.intentAt.get(s.symbol) ?? -1) > since) continue;
      await this.serial.run(async () => {
        if (await this.ledger.openPosition(s.symbol)) return;
        // An entry cancelled just now may have filled before the cancel: its stop (placed before it) stays this tick, and
        // stops are cancelled only once the exchange itself shows the symbol flat.
        if (await this.entries!.cancelStray(s.symbol)) return;
        // The exchange is asked only when the ledger holds a protective order of ours as working (the stream keeps it
        // current; foreign and unknown orders are the reconciler's): a flat symbol costs no request per tick.
        const rows = await this.ledger.openOrders(s.symbol);
        // An entry row still open (a request whose outcome is unknown) may yet fill: its stop stays.
        if (rows.some((o) => o.leg === 'entry') || !rows.some((o) => o.leg !== 'entry')) return;
        const held = await this.gw!.fetchOpenOrders(s.symbol);
        if (!held.some((o) => o.reduceOnly || o.closePosition)) return;
        if ((await this.gw!.fetchPositions([s.symbol])).length) return;
        await this.orders!.cancelLeftovers(s.symbol, held);
      });
    }
    alerts.unshift(...this.lateAlerts.splice(0));
    return { entries, exiting, alerts };
  }

  /** One turn of an intent's entry (inside the serial queue), counted when it sent or cancelled an order. */
  private async workEntry(intent: Intent, now: number): Promise<EntryResult> {
    const r = await this.entries!.work(intent, this.marks.get(intent.symbol), now);
    if (r.step.kind !== 'wait' && r.step.kind !== 'done') this.stats.entryOrders++;
    return r;
  }

  /**
   * An entry the machine has just taken, worked in the next turn of the serial queue rather than after a tick already in
   * flight. Its outcome reaches the machine through the loop tick that follows (which works it again: the entry reads
   * its attempts back, so nothing is sent twice); a failure here is only logged, the tick retries.
   */
  async enterNow(intent: Intent): Promise<void> {
    this.intentAt.set(intent.symbol, ++this.intentSeq);
    this.intents.set(intent.decisionId, intent);
    await this.serial
      .run(async () => {
        if (this.booted) await this.workEntry(intent, this.o.now());
      })
      .catch((err: unknown) => this.o.log.warn({ symbol: intent.symbol, decisionId: intent.decisionId, err: (err as Error).message }, 'entry at the decision failed; the loop tick retries'));
  }

  /**
   * Flatten (operator, kill switch, risk halt): protection ensured, entries cancelled, reduce-only closes at market; the
   * stops stay until the exchange shows the symbol flat, then they are cancelled.
   */
  async flatten(waitMs = 15_000, symbols: string[] = this.cfg.symbols): Promise<FlattenSubmitted & { cancelledProtective: number; stillOpen: string[] }> {
    await this.ensureBooted();
    const gw = this.gw!;
    const sent = await this.serial.run(async () => {
      for (const p of await this.ledger.openPositions()) {
        if (symbols.includes(p.symbol)) await this.orders!.ensureProtection(p).catch((err) => this.o.log.warn({ err: (err as Error).message }, 'protection before flatten failed'));
      }
      return submitFlatten(gw, this.ledger, this.orders!, symbols);
    });
    for (const until = Date.now() + waitMs; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      if (!(await gw.fetchPositions(symbols)).length) break;
    }
    return { ...sent, ...(await this.serial.run(() => cancelProtectionWhereFlat(gw, this.orders!, symbols))) };
  }

  /** The machine's invoked actors. */
  actors() {
    return {
      boot: fromPromise(() => this.ensureBooted()),
      reconcile: fromPromise<ReconcileOutput>(() => this.reconcile()),
      tick: fromPromise<TickOutput, TickInput>(({ input }) => this.tick(input)),
      enter: fromPromise<void, Intent>(({ input }) => this.enterNow(input)),
      flatten: fromPromise<void, { reason: string }>(async ({ input }) => {
        const r = await this.flatten();
        this.o.log.warn({ reason: input.reason, ...r }, 'flattened');
        if (r.stillOpen.length) throw new Error(`still open after flatten: ${r.stillOpen.join(', ')}`);
      }),
    };
  }

  async dispose(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.sub?.close();
    await this.serial.idle();
    await this.gw?.close();
  }
}
