// The simulated venue at run time: its own clock, the market it generates tick by tick, the core, durable state.
// Guarantees: everything runs one at a time; a change is saved before any response, stream frame or user event
// about it leaves; time never runs backwards across restarts (short outages are caught up, long ones re-anchor).
import type { LockstepCell } from '../../clock/lockstep.js';
import { dec, floorToStep, str } from '../../domain/decimal.js';
import type { Logger } from '../../log/logger.js';
import type { Candle, Liquidation } from '../../protocol/index.js';
import { Serial } from '../../util/serial.js';
import { ExchangeError } from '../errors.js';
import { SimVenue, type Bar, type ForcedClose } from './core.js';
import type { ExFill } from '../types.js';
import { noDerivatives, type CandleLoader, type VenueDerivatives } from './derivatives.js';
import type { MarketSource } from './market-source.js';
import { simMarketsFor, type SimMarket } from './markets.js';
import { runningCandle, stepsPerMinute, tickBetween } from './path.js';
import type { ChangeSet, SimOptions, VenueEvent } from './sim-types.js';
import type { VenueClockSpec, VenueStore } from './store.js';

const MINUTE = 60_000;
/** Bars kept for late protective orders (a client more than this many bars late is not modelled). */
const LATE_BARS = 30;
/** Closed candles kept in memory per symbol (derivatives are computed from the last day of them). */
const RECENT = 2000;

export interface VenueOptions {
  venueId: string;
  symbols: string[];
  sim: Omit<SimOptions, 'markets'>;
  /** 'bars': each minute trades as one bar at its close (with `sim.marketFill: 'next_bar'`), as in a backtest. */
  matching?: 'ticks' | 'bars';
  speed: number;
  source: MarketSource;
  historyMinutes: number;
  /** A restart within this much simulated time keeps the clock running (the gap is caught up); longer re-anchors. */
  maxCatchUpMinutes: number;
  minWallStepMs: number;
  maxStepsPerMinute: number;
  loopMs: number;
  /** Where a fresh venue's clock starts (default: the market source's start), e.g. where a paper database left off. */
  startAt?: number;
  wallNow?: () => number;
  /**
   * Lockstep (bars only): the shared replay clock. The venue's time is the cell's, bars trade only when a stepper
   * calls tradeBar() (never on a timer or a request), and market frames wait for releaseFrames().
   */
  lockstep?: LockstepCell;
  /** Open interest, ratios, funding history and forced liquidations, given the venue's candles (default: none). */
  derivatives?: (candles: CandleLoader) => VenueDerivatives;
}

export type MarketFrame =
  | { kind: 'kline'; candle: Candle; ts: number }
  | { kind: 'aggTrade'; symbol: string; id: number; price: number; qty: number; buyerMaker: boolean; ts: number }
  | { kind: 'book'; symbol: string; updateId: number; bid: string; bidQty: string; ask: string; askQty: string; ts: number }
  | { kind: 'mark'; symbol: string; mark: number; index: number; fundingRate: number; nextFundingTime: number; ts: number }
  | { kind: 'forceOrder'; symbol: string; liquidation: Liquidation; ts: number };

export class Venue {
  readonly core: SimVenue;
  private readonly serial = new Serial();
  private readonly markets: Map<string, SimMarket>;
  private readonly wallNow: () => number;
  private readonly steps: number;
  private minute = 0;
  private k = 0;
  private cur = new Map<string, Candle | null>();
  private prevClose = new Map<string, number | null>();
  private toSave: Candle[] = [];
  private frames: MarketFrame[] = [];
  private unsaved: ChangeSet | null = null;
  private clockDirty = false;
  private timer: NodeJS.Timeout | null = null;
  /** Set by stop(): no more work on this instance (a restarted venue is a new one, loaded from the store). */
  private stopped = false;
  private looping = false;
  private replayEnded = false;
  /** Lockstep: bars closing by this time may trade; market frames held until released. */
  private barsUntil = 0;
  private held: MarketFrame[] = [];
  /** Bars: the last bars traded per symbol, and the conditional orders already checked against them. */
  private readonly recentBars = new Map<string, Bar[]>();
  /** The last closed 1m candles per symbol, oldest first. */
  private readonly recent = new Map<string, Candle[]>();
  /** The current minute's forced liquidations not streamed yet, oldest first. */
  private readonly liqPending = new Map<string, Liquidation[]>();
  readonly derivatives: VenueDerivatives;
  private readonly lateChecked = new Set<number>();
  private readonly marketListeners = new Set<(f: MarketFrame) => void>();
  private readonly userListeners = new Set<(e: VenueEvent) => void>();
  /** Set by a fault: user events are withheld (not lost) while true. */
  lastSaveError: string | null = null;

  private constructor(
    readonly o: VenueOptions,
    private readonly store: VenueStore,
    private readonly log: Logger,
    core: SimVenue,
    public clock: VenueClockSpec,
  ) {
    this.core = core;
    this.markets = new Map(core.opts.markets.map((m) => [m.symbol, m]));
    this.wallNow = o.wallNow ?? Date.now;
    this.steps = o.matching === 'bars' ? 1 : stepsPerMinute(o.speed, o.minWallStepMs, o.maxStepsPerMinute);
    this.derivatives = o.derivatives ? o.derivatives((symbol, from, to) => this.candlesBetween(symbol, from, to)) : noDerivatives;
    // The rate the venue shows and charges is its derivatives data's (the same its funding history answers).
    if (this.derivatives.kind !== 'none') core.fundingRateOf = (symbol, t) => this.fundingRateAt(symbol, t);
  }

  /** The derivatives source's funding rate at `t`, from the closed candles in memory (and the current minute once closed). */
  private fundingRateAt(symbol: string, t: number): number | null {
    const mem = this.recent.get(symbol) ?? [];
    const cur = this.cur.get(symbol);
    const candles = cur && cur.openTime + MINUTE <= t && (!mem.length || mem.at(-1)!.openTime < cur.openTime) ? [...mem.slice(-1500), cur] : mem;
    return this.derivatives.fundingRateAt(symbol, t, candles);
  }

  /** Opens the venue from its saved state (or creates it with `historyMinutes` of market), ready to start(). */
  static async open(o: VenueOptions, store: VenueStore, log: Logger): Promise<Venue> {
    const markets = simMarketsFor(o.symbols);
    const wallNow = (o.wallNow ?? Date.now)();
    const loaded = await store.load();
    const core = new SimVenue({ ...o.sim, markets }, loaded?.state);
    const last = new Map<string, Candle | null>();
    for (const s of o.symbols) last.set(s, await store.lastCandle(s));
    if (!loaded || ![...last.values()].some(Boolean)) {
      const simStart = o.startAt ?? o.source.start(wallNow, o.historyMinutes);
      o.lockstep?.setNow(simStart);
      const v = new Venue(o, store, log, core, { simStart, wallStart: wallNow, speed: o.speed, epoch: (loaded?.clock?.epoch ?? 0) + 1 });
      await v.createHistory(Math.floor(simStart / MINUTE) * MINUTE);
      log.info({ venue: o.venueId, simStart: new Date(simStart).toISOString(), speed: o.speed, history: o.historyMinutes, source: o.source.kind }, 'venue created');
      return v;
    }
    const resume = Math.max(...[...last.values()].map((c) => (c ? c.openTime + MINUTE : 0)));
    const spec = loaded.clock;
    const simNow = spec ? spec.simStart + (wallNow - spec.wallStart) * spec.speed : resume;
    // Lockstep time restarts where the market stopped (nothing is caught up: time moves only by steps).
    const keep = !o.lockstep && spec && spec.speed === o.speed && simNow >= resume && simNow - resume <= o.maxCatchUpMinutes * MINUTE;
    o.lockstep?.setNow(resume);
    const clock = keep ? spec : { simStart: resume, wallStart: wallNow, speed: o.speed, epoch: (spec?.epoch ?? 0) + 1 };
    const v = new Venue(o, store, log, core, clock);
    v.clockDirty = !keep;
    v.minute = resume;
    for (const s of o.symbols) v.prevClose.set(s, last.get(s)?.close ?? null);
    for (const s of o.symbols) v.recent.set(s, await store.latestCandles(s, resume - MINUTE, RECENT));
    v.loadMinute();
    log.info({ venue: o.venueId, epoch: clock.epoch, clock: keep ? 'continued (catching up)' : 're-anchored', resumeAt: new Date(resume).toISOString(), orders: core.openOrders().length, positions: core.positions().length }, 'venue restored');
    await v.run(() => undefined);
    return v;
  }

  private async createHistory(firstLive: number): Promise<void> {
    const from = firstLive - this.o.historyMinutes * MINUTE;
    for (const s of this.o.symbols) {
      let prev: number | null = null;
      let batch: Candle[] = [];
      for (let t = from; t < firstLive; t += MINUTE) {
        const c = this.o.source.candle(s, t, prev);
        if (!c) continue;
        prev = c.close;
        batch.push(c);
        this.remember(c);
        this.core.onSegment(s, { ts: t + MINUTE, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, kind: 'bar' });
        if (batch.length >= 2000) {
          await this.store.save(this.core.accountSnapshot(), this.core.drain(), batch, null, this.now());
          batch = [];
        }
      }
      this.prevClose.set(s, prev);
      await this.store.save(this.core.accountSnapshot(), this.core.drain(), batch, this.clock, this.now());
    }
    this.minute = firstLive;
    this.loadMinute();
  }

  /** Venue (simulated) time now. */
  now(): number {
    if (this.o.lockstep) return this.o.lockstep.now();
    return Math.floor(this.clock.simStart + (this.wallNow() - this.clock.wallStart) * this.clock.speed);
  }

  /** Time the market is brought up to: now, or in lockstep the last bar the stepper released. */
  private dueUntil(): number {
    return this.o.lockstep ? this.barsUntil : this.now();
  }

  /** Lockstep: close time of the next bar to trade, or null once the replay has no more market. */
  nextBarClose(): number | null {
    if (this.o.source.end !== null && this.minute > this.o.source.end) return null;
    return this.minute + MINUTE;
  }

  /** Lockstep: trades the bar closing at `t` (its fills go out at once; its mark and kline wait for releaseFrames()). */
  tradeBar(t: number): Promise<void> {
    this.barsUntil = Math.max(this.barsUntil, t);
    return this.run(() => undefined);
  }

  /** Lockstep: streams the market frames of the bars traded so far. */
  releaseFrames(): void {
    const frames = this.held;
    this.held = [];
    for (const f of frames) for (const l of this.marketListeners) l(f);
  }

  /** Minutes that ended this long ago are applied whole, without frames (catch-up after a restart or a stall). */
  private get quietAfterMs(): number {
    return Math.max(2 * MINUTE, 5000 * this.clock.speed);
  }

  get stepsPerMinute(): number {
    return this.steps;
  }

  onMarket(l: (f: MarketFrame) => void): () => void {
    this.marketListeners.add(l);
    return () => this.marketListeners.delete(l);
  }

  onUser(l: (e: VenueEvent) => void): () => void {
    this.userListeners.add(l);
    return () => this.userListeners.delete(l);
  }

  start(): void {
    if (this.timer || this.o.lockstep) return;
    this.timer = setInterval(() => {
      if (this.looping) return;
      this.looping = true;
      this.run(() => undefined)
        .catch((err) => this.log.warn({ err: (err as Error).message }, 'venue tick failed; retrying'))
        .finally(() => (this.looping = false));
    }, this.o.loopMs);
  }

  async stop(): Promise<void> {
    // From here on this instance takes no more work: a request still being read when a restart began must not be
    // carried out by the old instance after the new one has loaded the saved state (two venues writing one store:
    // orders the live venue does not know, ids handed out twice). What was queued before still runs and is saved.
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.serial.idle();
  }

  /** Work reaching a stopped venue: not carried out, and the client cannot know (as a backend timeout, -1007). */
  private refused(): Promise<never> {
    return Promise.reject(new ExchangeError('the venue is restarting: request not processed', 'ambiguous'));
  }

  /** Brings the market up to now, runs `fn` on the core, saves, then publishes; one at a time. */
  run<T>(fn: (core: SimVenue) => T): Promise<T> {
    if (this.stopped) return this.refused();
    return this.serial.run(async () => {
      this.catchUp(this.dueUntil());
      let out: T | undefined;
      let err: unknown = null;
      try {
        out = fn(this.core);
      } catch (e) {
        err = e;
      }
      if (this.o.matching === 'bars') this.checkLateProtection();
      await this.flush();
      if (err) throw err;
      return out as T;
    });
  }

  /** Brings the market up to now and saves, then runs a read (e.g. of stored candles); one at a time. */
  query<T>(fn: (core: SimVenue) => T | Promise<T>): Promise<T> {
    if (this.stopped) return this.refused();
    return this.serial.run(async () => {
      this.catchUp(this.dueUntil());
      await this.flush();
      return fn(this.core);
    });
  }

  private async flush(): Promise<void> {
    const fresh = this.core.drain();
    const c = this.unsaved ? mergeChanges(this.unsaved, fresh) : fresh;
    const candles = this.toSave;
    const dirty = c.orders.length || c.fills.length || c.funding.length || c.positions.length || candles.length || this.clockDirty;
    if (dirty) {
      try {
        await this.store.save(this.core.accountSnapshot(), c, candles, this.clockDirty ? this.clock : null, this.now());
        this.lastSaveError = null;
      } catch (err) {
        // Keep everything unsaved and unannounced; the next run retries. Callers see an unknown outcome.
        this.unsaved = c;
        this.lastSaveError = (err as Error).message;
        throw new ExchangeError(`venue state could not be saved: ${(err as Error).message}`, 'ambiguous', 503);
      }
    }
    this.unsaved = null;
    this.toSave = [];
    this.clockDirty = false;
    const frames = this.frames;
    this.frames = [];
    // Bars: what the bar did to the account (fills) goes out before the candle that closes it, as the backtest applies them.
    if (this.o.matching === 'bars') for (const e of c.events) for (const l of this.userListeners) l(e);
    if (this.o.lockstep) this.held.push(...frames);
    else for (const f of frames) for (const l of this.marketListeners) l(f);
    if (this.o.matching !== 'bars') for (const e of c.events) for (const l of this.userListeners) l(e);
  }

  private round(symbol: string): (x: number) => number {
    const tick = this.markets.get(symbol)!.tickSize;
    const dp = tick.includes('.') ? tick.split('.')[1]!.length : 0;
    const t = Number(tick);
    return (x) => Number((Math.round(x / t) * t).toFixed(dp));
  }

  private loadMinute(): void {
    for (const s of this.o.symbols) {
      const c = this.o.source.candle(s, this.minute, this.prevClose.get(s) ?? null);
      this.cur.set(s, c);
      const before = this.recent.get(s) ?? [];
      this.liqPending.set(s, c ? this.derivatives.liquidations(s, c, before.slice(-61)) : []);
    }
    if (this.o.source.end !== null && this.minute > this.o.source.end && !this.replayEnded) {
      this.replayEnded = true;
      this.log.warn({ at: new Date(this.minute).toISOString() }, 'replay data exhausted: the venue keeps its clock but has no more market');
    }
  }

  /** Processes every tick due by `now`; minutes that ended long ago are applied whole and not streamed. */
  private catchUp(now: number): void {
    if (this.o.matching === 'bars') return this.catchUpBars(now);
    const S = this.steps;
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (this.k === 0 && now - (this.minute + MINUTE) > this.quietAfterMs) {
        for (const [s, c] of this.cur) if (c) this.core.onSegment(s, { ts: this.minute + MINUTE, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, kind: 'bar' });
        this.liqPending.clear();
        this.closeMinute();
        continue;
      }
      const tEnd = this.minute + Math.round((MINUTE * (this.k + 1)) / S);
      if (tEnd > now) break;
      const f0 = this.k / S;
      const f1 = (this.k + 1) / S;
      for (const [s, c] of this.cur) {
        if (!c) continue;
        const round = this.round(s);
        const t = tickBetween(c, f0, f1, round);
        const vol = c.volume / S;
        this.core.onSegment(s, { ts: tEnd, ...t, volume: vol, kind: 'tick' });
        this.tickFrames(s, c, t.close, vol, f1, tEnd, round);
        this.liquidationFrames(s, tEnd);
      }
      this.k++;
      if (this.k === S) this.closeMinute();
    }
  }

  /**
   * Bars: every minute that has ended trades as one bar at its close (market orders at its open, then limits, stops
   * and targets, then the mark), and the mark and the closed kline are streamed — also when catching up, so the
   * stream carries every candle.
   */
  private catchUpBars(now: number): void {
    while (this.minute + MINUTE <= now) {
      const ts = this.minute + MINUTE;
      for (const [s, c] of this.cur) {
        if (!c) continue;
        const bar = { ts, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
        this.core.onSegment(s, { ...bar, kind: 'bar' });
        const bars = this.recentBars.get(s) ?? [];
        bars.push(bar);
        if (bars.length > LATE_BARS) bars.shift();
        this.recentBars.set(s, bars);
        this.liquidationFrames(s);
        this.frames.push({ kind: 'mark', symbol: s, mark: this.core.mark(s)!, index: this.core.price(s)!, fundingRate: this.core.fundingRate(s), nextFundingTime: this.core.nextFundingTime, ts });
        this.frames.push({ kind: 'kline', candle: { ...c, closed: true }, ts });
      }
      this.closeMinute();
    }
  }

  /**
   * Bars replay models a client without latency, as the backtest is: the first stop-loss or take-profit of a position
   * that reaches the venue after bars have traded since the position's last fill (the client answered the fill late, in
   * wall-clock time) is checked against those bars first, and triggers at the bar where the backtest's would have.
   * Later protective orders (replacements, or any once a stop placed before the entry was working) are only checked from
   * their arrival on.
   */
  private checkLateProtection(): void {
    for (const o of this.core.openOrders(undefined, 'algo')) {
      if (this.lateChecked.has(o.id)) continue;
      this.lateChecked.add(o.id);
      const pos = this.core.position(o.symbol);
      if (!pos || !o.reduceOnly) continue;
      // Not the first: another of its type watched the position since its last fill (placed after it, or before it and
      // still working then — a stop placed ahead of its entry).
      const others = this.core.allOrders().filter((x) => x.book === 'algo' && x.symbol === o.symbol && x.type === o.type && x.id !== o.id && (x.createdAt >= pos.updatedAt || x.status === 'new' || x.updatedAt >= pos.updatedAt));
      if (others.length) continue;
      const missed = (this.recentBars.get(o.symbol) ?? []).filter((b) => b.ts > pos.updatedAt && b.ts <= o.createdAt);
      if (missed.length) this.core.checkLate(o.id, missed);
    }
  }

  private remember(c: Candle): void {
    const list = this.recent.get(c.symbol) ?? [];
    list.push(c);
    if (list.length > RECENT + 200) list.splice(0, list.length - RECENT);
    this.recent.set(c.symbol, list);
  }

  /**
   * Runs `fn` on the derivatives source with the market brought up to now and saved (one at a time), `now` being the
   * venue's time: nothing stamped after it may be answered.
   */
  derivativesQuery<T>(fn: (d: VenueDerivatives, now: number) => Promise<T>): Promise<T> {
    return this.query(() => fn(this.derivatives, this.now()));
  }

  /** Closed 1m candles with open time in [from, to), from memory when it holds them, else from the store. */
  async candlesBetween(symbol: string, from: number, to: number): Promise<Candle[]> {
    const mem = this.recent.get(symbol) ?? [];
    if (mem.length && mem[0]!.openTime <= from) return mem.filter((c) => c.openTime >= from && c.openTime < to);
    return (await this.store.candles(symbol, from, to - 1, 1_000_000)).filter((c) => c.openTime < to);
  }

  /** Streams the pending liquidations of `symbol` up to `ts` (all of them without `ts`). */
  private liquidationFrames(symbol: string, ts?: number): void {
    const list = this.liqPending.get(symbol);
    while (list?.length && (ts === undefined || list[0]!.ts <= ts)) {
      const l = list.shift()!;
      this.frames.push({ kind: 'forceOrder', symbol, liquidation: l, ts: l.ts });
    }
  }

  private closeMinute(): void {
    for (const [s, c] of this.cur) {
      if (!c) continue;
      this.toSave.push(c);
      this.prevClose.set(s, c.close);
      this.remember(c);
    }
    this.minute += MINUTE;
    this.k = 0;
    this.loadMinute();
  }

  private tickFrames(symbol: string, c: Candle, price: number, vol: number, f: number, ts: number, round: (x: number) => number): void {
    const m = this.markets.get(symbol)!;
    const base = (c.openTime / MINUTE) * 1000 + this.k * 2;
    const buyShare = c.takerBuyVolume !== undefined && c.volume > 0 ? c.takerBuyVolume / c.volume : 0.5;
    const q = (x: number) => Number(str(floorToStep(x, m.qtyStep)));
    const buyQty = q(vol * buyShare);
    const sellQty = q(vol - buyQty);
    if (buyQty > 0) this.frames.push({ kind: 'aggTrade', symbol, id: base, price, qty: buyQty, buyerMaker: false, ts });
    if (sellQty > 0) this.frames.push({ kind: 'aggTrade', symbol, id: base + 1, price: round(price), qty: sellQty, buyerMaker: true, ts });
    this.frames.push({ kind: 'kline', candle: runningCandle(c, f, round), ts });
    const { bid, ask } = this.core.top(symbol);
    this.frames.push({ kind: 'book', symbol, updateId: base, bid: str(bid), bidQty: m.bookLevelQty, ask: str(ask), askQty: m.bookLevelQty, ts });
    this.frames.push({ kind: 'mark', symbol, mark: this.core.mark(symbol)!, index: this.core.price(symbol)!, fundingRate: this.core.fundingRate(symbol), nextFundingTime: this.core.nextFundingTime, ts });
  }

  /**
   * Re-reads the current minute from the market source, for a source whose answer changed (a steered test market):
   * the rest of the minute follows the new candle. The synthetic and replay sources never change, so this is a no-op
   * for them.
   */
  reloadMinute(): Promise<void> {
    return this.run(() => this.loadMinute());
  }

  /** The forming 1m candle of a symbol, as the kline stream last showed it. */
  current(symbol: string): Candle | null {
    const c = this.cur.get(symbol);
    if (!c || this.k === 0) return null;
    return runningCandle(c, this.k / this.steps, this.round(symbol));
  }

  /** 1m candles with open time in [from, to]: closed ones from the store plus the forming one, at most `limit`. */
  klines(symbol: string, from: number | null, to: number | null, limit: number): Promise<Candle[]> {
    return this.query(async () => {
      const upper = to ?? Number.MAX_SAFE_INTEGER;
      const rows = from !== null ? await this.store.candles(symbol, from, upper, limit) : await this.store.latestCandles(symbol, upper, limit);
      const cur = this.current(symbol);
      if (cur && cur.openTime <= upper && (from === null || cur.openTime >= from) && (!rows.length || rows.at(-1)!.openTime < cur.openTime)) rows.push(cur);
      return from === null ? rows.slice(-limit) : rows.slice(0, limit);
    });
  }

  /** Validates and clamps a leverage change (POST /fapi/v1/leverage). */
  setLeverage(symbol: string, lev: number): Promise<number> {
    return this.run((core) => core.setLeverage(symbol, lev));
  }

  /** The largest position notional the symbol's current leverage allows (its bracket's cap). */
  maxNotional(symbol: string): string {
    return str(this.core.maxNotional(symbol));
  }

  /** POST /fapi/v1/marginType. */
  setMarginType(symbol: string, type: 'isolated' | 'cross'): Promise<void> {
    return this.run((core) => core.setMarginType(symbol, type));
  }

  /** The exchange closes a position on its own (ADL, insurance fund, settlement, liquidation): a test's control. */
  forceClose(symbol: string, kind: ForcedClose, px?: number): Promise<ExFill | null> {
    return this.run((core) => core.forceClose(symbol, kind, core.now, px));
  }
}

function mergeChanges(a: ChangeSet, b: ChangeSet): ChangeSet {
  const orders = new Map(a.orders.map((o) => [o.id, o]));
  for (const o of b.orders) orders.set(o.id, o);
  return { orders: [...orders.values()], fills: [...a.fills, ...b.fills], funding: [...a.funding, ...b.funding], positions: [...new Set([...a.positions, ...b.positions])], events: [...a.events, ...b.events] };
}
