// The execution machine's effects for backtests: the simulated venue's core in process and an in-memory ledger in
// place of the exchange gateway and MariaDB. Same order flow as the execution worker (the loop tick in sim-loop.ts):
// limit entry with chase and market fallback, stop-loss and take-profit (closePosition) after any fill, stop rules and
// max hold, leftovers cancelled when flat.
// Guarantees each venue fill reaches the ledger once, positions derive from fills only, and a closed position
// becomes exactly one trade record.
import { fromPromise, type ActorLogic, type EventObject, type PromiseActorLogic, type PromiseSnapshot } from 'xstate';
import type { FillNotice, ReconcileOutput, TickInput, TickOutput } from '../../machines/execution.machine.js';
import { Atr } from '../analytics/indicators/atr.js';
import type { Config } from '../config/schema.js';
import { dec, floorToStep, roundToStep, str, type Dec } from '../domain/decimal.js';
import { clientOrderId, type Leg } from '../domain/ids.js';
import { ExchangeError } from '../exchange/errors.js';
import type { Bar, SimVenue } from '../exchange/sim/core.js';
import type { ExFill, MarketInfo, OrderRequest } from '../exchange/types.js';
import type { Intent, PositionEvent, PositionView, Side } from '../protocol/index.js';
import type { TradeRecord } from './metrics.js';
import { levelsOf } from '../execution/ledger.js';
import { isTargetLeg } from '../execution/policy/protection.js';
import { SimLoop, type SimLoopPosition } from './sim-loop.js';

interface OrderMeta {
  decisionId: string | null;
  leg: Leg;
}

interface OpenPosition extends SimLoopPosition {
  realized: Dec;
  fees: Dec;
  funding: Dec;
}

const EXIT_REASON: Partial<Record<Leg, string>> = { sl: 'stop_loss', tp: 'take_profit', tp2: 'take_profit', tp3: 'take_profit', exit: 'signal', flatten: 'flatten', time: 'max_hold', trail: 'trailing_stop' };

export interface SimExecutionOptions {
  venue: SimVenue;
  markets: MarketInfo[];
  now: () => number;
  /** Regime label of a decision's snapshot (for the trade record). */
  regimeOf: (decisionId: string | null) => string;
  /** Called for every async effect so the driver can wait for quiescence. */
  track: <T>(p: Promise<T>) => Promise<T>;
  execution: Config['execution'];
  /** risk.maxSlippage */
  maxSlippage: number;
}

/**
 * An invoked effect that is done as it starts: the backtest's loop tick works on the in-process venue and has nothing
 * to wait for, so XState's promise actor (an AbortController, a promise and a resolve event per tick) is not needed.
 * Its snapshots are a promise actor's (status, output, error, input): the parent gets the same done or error event.
 */
function syncLogic<O, I>(run: (input: I) => O): PromiseActorLogic<O, I> {
  const logic: ActorLogic<PromiseSnapshot<O, I>, EventObject, I> = {
    config: run,
    transition: (s) => s,
    getInitialSnapshot: (_scope, input) => {
      try {
        return { status: 'done', output: run(input), error: undefined, input };
      } catch (error) {
        return { status: 'error', output: undefined, error, input };
      }
    },
    getPersistedSnapshot: (s) => s,
  };
  return logic as unknown as PromiseActorLogic<O, I>;
}

export class SimExecution {
  private readonly orders = new Map<string, OrderMeta>();
  private readonly intents = new Map<string, Intent>();
  private readonly positions = new Map<string, OpenPosition>();
  private readonly seenFills = new Set<string>();
  private positionSeq = 0;
  readonly trades: TradeRecord[] = [];
  private actor: { send(e: FillNotice): void } | null = null;
  private readonly atrs = new Map<string, Atr>();
  /** Mark prices as execution hears them live: from `market.mark` on the bus (not the venue's last price). */
  private readonly marks = new Map<string, number>();
  private readonly loop: SimLoop;

  constructor(private readonly o: SimExecutionOptions) {
    this.loop = new SimLoop({
      venue: o.venue, now: o.now, market: (s) => this.market(s), place: (r, m) => this.place(r, m), legOf: (id) => this.orders.get(id)?.leg ?? null,
      entry: o.execution.entry, protection: o.execution.protection, maxSlippage: o.maxSlippage, atr: (s) => this.atrs.get(s)?.value ?? null, hasPosition: (s) => this.positions.has(s),
      mark: (s) => this.marks.get(s),
    });
  }

  attach(actor: { send(e: FillNotice): void }): void {
    this.actor = actor;
  }

  private market(symbol: string): MarketInfo {
    const m = this.o.markets.find((x) => x.symbol === symbol);
    if (!m) throw new ExchangeError(`market ${symbol} is not listed on the simulated venue`, 'definitive');
    return m;
  }

  /** Rounds like OrderManager.normalize: quantity down to the step, prices to the nearest tick. */
  private place(req: OrderRequest, meta: OrderMeta): void {
    const m = this.market(req.symbol);
    const r: OrderRequest = {
      ...req,
      ...(req.qty !== undefined ? { qty: str(floorToStep(req.qty, m.qtyStep)) } : {}),
      ...(req.stopPrice !== undefined ? { stopPrice: str(roundToStep(req.stopPrice, m.tickSize)) } : {}),
      ...(req.price !== undefined ? { price: str(roundToStep(req.price, m.tickSize)) } : {}),
    };
    this.orders.set(r.clientId, meta);
    this.o.venue.placeOrder(r, this.o.now());
  }

  /** The machine's invoked actors (same names and inputs as the execution worker provides). */
  actors() {
    const t = this.o.track;
    return {
      boot: fromPromise(() => t(Promise.resolve())),
      reconcile: fromPromise<ReconcileOutput>(() => t(Promise.resolve({ positions: [], anomalies: [] }))),
      // The venue trades bar by bar in process: the tick's work is done when it returns (nothing to track).
      tick: syncLogic<TickOutput, TickInput>((input) => this.tick(input)),
      // The worker works a just-taken entry at once, ahead of a tick in flight; here the tick it kicks runs at once.
      enter: syncLogic<void, Intent>(() => undefined),
      flatten: fromPromise<void, { reason: string }>(() => t((async () => this.flatten())())),
    };
  }

  /** One loop, as the worker's: each entry being worked, then every open position's protection and management, then flat symbols' leftovers. */
  private tick(input: TickInput): TickOutput {
    const entries: TickOutput['entries'] = {};
    for (const s of input.slots) {
      if (s.phase !== 'entering' || !s.intent) continue;
      this.intents.set(s.intent.decisionId, s.intent);
      entries[s.symbol] = this.loop.workEntry(s.intent);
    }
    const exiting: string[] = [];
    for (const p of this.positions.values()) {
      this.loop.protect(p);
      if (this.loop.manage(p)) exiting.push(p.symbol);
    }
    for (const s of input.slots) {
      if (s.phase !== 'flat' || this.positions.has(s.symbol)) continue;
      // As the worker: an entry cancelled this tick keeps its stop until the next one.
      if (this.loop.cancelStray(s.symbol)) continue;
      for (const o of this.o.venue.openOrders(s.symbol)) if (o.reduceOnly || o.closePosition) this.o.venue.cancelOrder(s.symbol, { clientId: o.clientId }, o.book, this.o.now());
    }
    return { entries, exiting, alerts: [] };
  }

  /** The flatten plan on every symbol: entries cancelled, every position closed at market (stops stay until flat). */
  private flatten(): void {
    for (const m of this.o.markets) this.loop.flatten(m.symbol, this.positions.get(m.symbol) ?? null);
  }

  /** A `market.mark` as the execution worker gets it (its stop rules and entries read marks, as live). */
  onMark(symbol: string, mark: number): void {
    this.marks.set(symbol, mark);
  }

  /** A closed 1m candle from the bus feeds the chandelier's ATR (as the worker's onCandle). */
  onCandle(c: { symbol: string; tf: string; closed: boolean; high: number; low: number; close: number }): void {
    if (!c.closed || c.tf !== '1m') return;
    let atr = this.atrs.get(c.symbol);
    if (!atr) this.atrs.set(c.symbol, (atr = new Atr(this.o.execution.protection.chandelier.atrPeriod)));
    atr.update(c.high, c.low, c.close);
  }

  /** Moves the venue by one bar and applies its fills to the ledger, telling the machine about each. */
  onBar(symbol: string, bar: Bar): ExFill[] {
    this.o.venue.onBar(symbol, bar);
    // The change log is read (and emptied) every bar: funding first (it settles before the bar trades), then fills.
    const changes = this.o.venue.drain();
    for (const f of changes.funding) {
      const p = this.positions.get(f.symbol);
      if (p) p.funding = p.funding.add(f.amount);
    }
    for (const f of changes.fills) this.onFill(f);
    return changes.fills;
  }

  private view(symbol: string, p: OpenPosition | null): PositionView {
    if (!p) return { symbol, positionId: null, side: null, qty: '0', entryPrice: null, stopLoss: null, takeProfit: null, unrealizedPnl: '0' };
    const mark = this.o.venue.price(symbol);
    const diff = mark === undefined ? dec(0) : dec(mark).sub(p.entryPrice).mul(p.qty);
    return { symbol, positionId: p.id, side: p.side, qty: str(p.qty), entryPrice: str(p.entryPrice), stopLoss: p.stopLoss, takeProfit: p.takeProfits[0]?.price ?? null, unrealizedPnl: str(p.side === 'long' ? diff : diff.neg()) };
  }

  private event(p: OpenPosition, ts: number, exit?: { price: string; reason: string }): PositionEvent {
    return {
      positionId: p.id, symbol: p.symbol, side: p.side, qty: str(p.qty), entryPrice: str(p.entryPrice),
      ...(exit ? { exitPrice: exit.price } : {}), realizedPnl: str(p.realized), fees: str(p.fees), ...(exit ? { reason: exit.reason } : {}), decisionId: p.decisionId, ts,
    };
  }

  /** As Ledger.recordFill: once per trade id; opens, increases, reduces or closes the symbol's position. */
  private onFill(f: ExFill): void {
    const key = `${f.symbol}|${f.tradeId}`;
    if (this.seenFills.has(key)) return;
    this.seenFills.add(key);
    const meta = f.clientId ? this.orders.get(f.clientId) ?? null : null;
    const dir: Side = f.side === 'buy' ? 'long' : 'short';
    const pos = this.positions.get(f.symbol) ?? null;
    let outcome: FillNotice['outcome'];
    let p: OpenPosition;
    let exit: { price: string; reason: string } | undefined;
    if (!pos) {
      const intent = meta?.leg === 'entry' && meta.decisionId ? this.intents.get(meta.decisionId) : undefined;
      p = {
        id: ++this.positionSeq, symbol: f.symbol, side: dir, qty: dec(f.qty), maxQty: dec(f.qty), entryPrice: dec(f.price),
        stopLoss: intent?.stopLoss ?? null, initialStop: intent?.stopLoss ?? null,
        takeProfits: intent ? levelsOf(intent).takeProfits : [], filledLegs: new Set(),
        realized: dec(0), fees: dec(f.fee), funding: dec(0), decisionId: meta?.decisionId ?? null, openedAt: f.ts, peak: null,
      };
      this.positions.set(f.symbol, p);
      outcome = 'opened';
    } else if (pos.side === dir) {
      const qty = pos.qty.add(f.qty);
      pos.entryPrice = pos.entryPrice.mul(pos.qty).add(dec(f.price).mul(f.qty)).div(qty);
      pos.qty = qty;
      if (qty.gt(pos.maxQty)) pos.maxQty = qty;
      pos.fees = pos.fees.add(f.fee);
      p = pos;
      outcome = 'increased';
    } else {
      const closeQty = dec(f.qty).gt(pos.qty) ? pos.qty : dec(f.qty);
      const diff = dec(f.price).sub(pos.entryPrice).mul(closeQty);
      pos.realized = pos.realized.add(pos.side === 'long' ? diff : diff.neg());
      pos.fees = pos.fees.add(f.fee);
      pos.qty = pos.qty.sub(closeQty);
      if (meta && isTargetLeg(meta.leg)) pos.filledLegs.add(meta.leg);
      p = pos;
      if (pos.qty.isZero()) {
        exit = { price: str(f.price), reason: meta ? (EXIT_REASON[meta.leg] ?? 'external') : f.clientId?.startsWith('autoclose-') ? 'liquidation' : 'external' };
        this.positions.delete(f.symbol);
        this.trades.push(this.record(pos, f.ts, exit.price, exit.reason));
        outcome = 'closed';
        // As the worker: the rest of an entry still working is cancelled with the position's close.
        this.loop.cancelStray(f.symbol);
      } else outcome = 'reduced';
    }
    this.actor?.send({ type: 'execution.fill', leg: meta?.leg ?? 'unknown', outcome, position: this.view(f.symbol, outcome === 'closed' ? null : p), event: this.event(p, f.ts, exit) });
  }

  private record(p: OpenPosition, exitTime: number, exitPrice: string, exitReason: string): TradeRecord {
    return {
      id: this.trades.length + 1, decisionId: p.decisionId, symbol: p.symbol, side: p.side,
      entryTime: p.openedAt, entryPrice: str(p.entryPrice), exitTime, exitPrice, qty: str(p.maxQty),
      stopLoss: p.stopLoss, takeProfit: p.takeProfits[0]?.price ?? null, fees: str(p.fees), funding: str(p.funding),
      grossPnl: str(p.realized), pnl: str(p.realized.sub(p.fees).add(p.funding)), exitReason, regime: this.o.regimeOf(p.decisionId),
    };
  }

  /** Positions still open at the end, marked to `mark` as trades with exit reason `open_at_end` (no exit fee). */
  markOpen(at: number, markOf: (symbol: string) => number): TradeRecord[] {
    return [...this.positions.values()].map((p) => {
      const diff = dec(markOf(p.symbol)).sub(p.entryPrice).mul(p.qty);
      const marked = { ...p, realized: p.realized.add(p.side === 'long' ? diff : diff.neg()) };
      return { ...this.record(marked, at, str(markOf(p.symbol)), 'open_at_end'), id: this.trades.length + 1 };
    });
  }

  /** Unrealized PnL of every open position at `markOf`. */
  unrealized(markOf: (symbol: string) => number): Dec {
    let u = dec(0);
    for (const p of this.positions.values()) {
      const diff = dec(markOf(p.symbol)).sub(p.entryPrice).mul(p.qty);
      u = u.add(p.side === 'long' ? diff : diff.neg());
    }
    return u;
  }

  get openCount(): number {
    return this.positions.size;
  }
}
