// The simulated venue as an in-process ExchangeGateway (backtests at full speed), optionally saved to MariaDB.
// Guarantees: a call returns, and user-data listeners hear of a change, only after the state including it is saved.
import type { Candle, Timeframe } from '../../protocol/index.js';
import { Serial } from '../../util/serial.js';
import { ExchangeError } from '../errors.js';
import type { ExchangeGateway } from '../gateway.js';
import type { Balance, CreateOrdersOptions, ExFill, FundingPayment, ExOrder, ExPosition, MarketInfo, MarkPrice, OrderOutcome, OrderRequest, UserDataSubscription, UserEvent } from '../types.js';
import { SimVenue, toExOrder, type Bar, type SimOptions } from './core.js';
import type { SimOrder, VenueEvent } from './sim-types.js';
import type { VenueStore } from './store.js';

export { SIM_MARKETS as DEFAULT_MARKETS } from './markets.js';
/** The venue's durable state (venue_* tables); the name earlier callers used. */
export { VenueStore as SimVenueStore } from './store.js';

export class LocalSimGateway implements ExchangeGateway {
  readonly name = 'sim-local';
  private readonly listeners = new Set<(e: UserEvent) => void>();
  private readonly serial = new Serial();

  private constructor(private readonly venue: SimVenue, private readonly store: VenueStore | null, private readonly now: () => number) {}

  static async open(opts: SimOptions, store: VenueStore | null, now: () => number): Promise<LocalSimGateway> {
    const loaded = store ? await store.load() : null;
    return new LocalSimGateway(new SimVenue(opts, loaded?.state), store, now);
  }

  /** Runs a mutation, saves what it changed, then tells listeners; one at a time. */
  private mutate<T>(fn: () => T): Promise<T> {
    return this.serial.run(async () => {
      let out: T;
      try {
        out = fn();
      } finally {
        const changes = this.venue.drain();
        if (this.store && (changes.orders.length || changes.fills.length || changes.positions.length || changes.funding.length)) {
          await this.store.save(this.venue.accountSnapshot(), changes, [], null, this.now());
        }
        for (const e of changes.events) this.tell(e);
      }
      return out;
    });
  }

  private tell(e: VenueEvent): void {
    if (!this.listeners.size) return;
    const ue: UserEvent | null =
      e.kind === 'order' ? { kind: 'order', order: toExOrder(e.order), fill: e.fill, ts: e.ts }
        : e.kind === 'algo' ? { kind: 'order', order: toExOrder(e.order), fill: null, ts: e.ts }
          : {
            kind: 'account', reason: e.reason, balances: this.venue.balance(), ts: e.ts,
            positions: e.symbols.map((s) => {
              const p = this.venue.position(s);
              return { symbol: s, side: p?.side ?? null, qty: p?.qty ?? '0', entryPrice: p?.entryPrice ?? '0' };
            }),
          };
    for (const l of this.listeners) l(ue);
  }

  async loadMarkets(): Promise<MarketInfo[]> {
    return this.venue.marketInfo();
  }
  async fetchBalance(): Promise<Balance[]> {
    return this.venue.balance();
  }
  async fetchPositions(symbols?: string[]): Promise<ExPosition[]> {
    return this.venue.positions().filter((p) => !symbols || symbols.includes(p.symbol));
  }
  async fetchOpenOrders(symbol?: string): Promise<ExOrder[]> {
    return this.venue.openOrders(symbol).filter((o) => o.parentAlgoId === null).map(toExOrder);
  }
  async createOrder(req: OrderRequest): Promise<ExOrder> {
    return toExOrder(await this.mutate(() => this.venue.placeOrder(req, this.now())));
  }
  /** All in one step (saved once); conditional orders first when `protectiveFirst`, and the rest only if they all placed. */
  async createOrders(reqs: OrderRequest[], opts: CreateOrdersOptions = {}): Promise<OrderOutcome[]> {
    const conditional = (r: OrderRequest) => r.type === 'stop_market' || r.type === 'take_profit_market';
    return this.mutate(() => {
      const out: OrderOutcome[] = new Array(reqs.length);
      const place = (i: number) => {
        try {
          out[i] = { status: 'placed', order: toExOrder(this.venue.placeOrder(reqs[i]!, this.now())) };
        } catch (err) {
          if (!(err instanceof ExchangeError)) throw err;
          out[i] = { status: 'rejected', error: err };
        }
      };
      const order = reqs.map((_, i) => i);
      if (!opts.protectiveFirst) {
        order.forEach(place);
        return out;
      }
      const cond = order.filter((i) => conditional(reqs[i]!));
      cond.forEach(place);
      const failed = cond.filter((i) => out[i]!.status !== 'placed');
      for (const i of order.filter((x) => !conditional(reqs[x]!))) {
        if (failed.length) out[i] = { status: 'not_sent', error: new ExchangeError(`not sent: protective order ${failed.map((x) => reqs[x]!.clientId).join(', ')} was not placed`, 'definitive') };
        else place(i);
      }
      return out;
    });
  }

  async cancelOrder(symbol: string, clientId: string, conditional?: boolean): Promise<ExOrder> {
    const book = conditional ?? this.venue.findOrder(symbol, 'algo', { clientId })?.status === 'new' ? 'algo' : 'regular';
    return toExOrder(await this.mutate(() => this.venue.cancelOrder(symbol, { clientId }, book, this.now())));
  }
  async fetchOrderByClientId(symbol: string, clientId: string): Promise<ExOrder | null> {
    const o: SimOrder | null = this.venue.findOrder(symbol, 'algo', { clientId }) ?? this.venue.findOrder(symbol, 'regular', { clientId });
    return o ? toExOrder(o) : null;
  }
  async fetchFills(symbol: string, since: number): Promise<ExFill[]> {
    return this.venue.fills(symbol, since);
  }
  async fetchFunding(symbol: string, since: number): Promise<FundingPayment[]> {
    return this.venue.fundingHistory(symbol).filter((f) => f.ts >= since).map((f) => ({ symbol, tranId: String(f.id), amount: f.amount, asset: this.venue.quote, ts: f.ts }));
  }
  async fetchOhlcv(_symbol: string, _tf: Timeframe, _since: number, _limit: number): Promise<Candle[]> {
    return [];
  }
  async fetchServerTime(): Promise<number> {
    return this.now();
  }
  async fetchMarkPrice(symbol: string): Promise<MarkPrice> {
    const mark = this.venue.mark(symbol);
    if (mark === undefined) throw new ExchangeError(`no price yet for ${symbol}`, 'retryable');
    return { symbol, ts: this.venue.now, markPrice: mark, indexPrice: this.venue.price(symbol)!, fundingRate: this.venue.fundingRate(symbol), nextFundingTime: this.venue.nextFundingTime };
  }
  async setLeverage(symbol: string, leverage: number): Promise<void> {
    await this.mutate(() => this.venue.setLeverage(symbol, leverage));
  }
  async subscribeUserData(listener: (e: UserEvent) => void): Promise<UserDataSubscription> {
    this.listeners.add(listener);
    listener({ kind: 'status', up: true, reason: 'in-process' });
    return { up: true, close: async () => void this.listeners.delete(listener) };
  }
  async close(): Promise<void> {
    await this.serial.idle();
    this.listeners.clear();
  }

  /** Moves the venue's market by one bar; returns the fills it caused (saved before returning). */
  async onBar(symbol: string, bar: Bar): Promise<ExFill[]> {
    return this.mutate(() => this.venue.onBar(symbol, bar));
  }

  price(symbol: string): number | undefined {
    return this.venue.price(symbol);
  }

  /** The venue itself, for invariant checks in tests. */
  get core(): SimVenue {
    return this.venue;
  }
}
