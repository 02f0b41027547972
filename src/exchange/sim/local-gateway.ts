// The simulated venue as an in-process ExchangeGateway, its state saved to MariaDB after every change.
// Guarantees: a call returns only after the venue state that includes its effect is durably saved.
import type { Pool } from 'mariadb';
import type { Candle, Timeframe } from '../../protocol/index.js';
import type { ExchangeGateway } from '../gateway.js';
import type { Balance, ExFill, ExOrder, ExPosition, MarketInfo, OrderRequest } from '../types.js';
import { SimVenue, type Bar, type SimOptions, type SimState } from './core.js';

export const DEFAULT_MARKETS: MarketInfo[] = [
  { symbol: 'BTC/USDT:USDT', id: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.1', qtyStep: '0.001', minQty: '0.001', minNotional: '100', maxLeverage: 125 },
  { symbol: 'ETH/USDT:USDT', id: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', qtyStep: '0.001', minQty: '0.001', minNotional: '20', maxLeverage: 100 },
  { symbol: 'SOL/USDT:USDT', id: 'SOLUSDT', base: 'SOL', quote: 'USDT', tickSize: '0.01', qtyStep: '1', minQty: '1', minNotional: '5', maxLeverage: 75 },
];

export class SimVenueStore {
  constructor(private readonly pool: Pool, readonly venueId = 'paper') {}

  async load(): Promise<SimState | null> {
    const rows = await this.pool.query<Array<{ state: string }>>('SELECT state FROM sim_venue WHERE venue_id = ?', [this.venueId]);
    return rows[0] ? (JSON.parse(rows[0].state) as SimState) : null;
  }

  async save(state: SimState, now: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO sim_venue (venue_id, state, version, updated_at) VALUES (?, ?, 1, ?)
       ON DUPLICATE KEY UPDATE state = VALUES(state), version = version + 1, updated_at = VALUES(updated_at)`,
      [this.venueId, JSON.stringify(state), now],
    );
  }
}

export class LocalSimGateway implements ExchangeGateway {
  readonly name = 'sim-local';

  private constructor(private readonly venue: SimVenue, private readonly store: SimVenueStore | null, private readonly now: () => number) {}

  static async open(opts: SimOptions, store: SimVenueStore | null, now: () => number): Promise<LocalSimGateway> {
    const state = store ? await store.load() : null;
    return new LocalSimGateway(new SimVenue(opts, state ?? undefined), store, now);
  }

  private async persist(): Promise<void> {
    await this.store?.save(this.venue.state(), this.now());
  }

  async loadMarkets(): Promise<MarketInfo[]> {
    return this.venue.opts.markets;
  }
  async fetchBalance(): Promise<Balance[]> {
    return this.venue.balance();
  }
  async fetchPositions(symbols?: string[]): Promise<ExPosition[]> {
    return this.venue.positions().filter((p) => !symbols || symbols.includes(p.symbol));
  }
  async fetchOpenOrders(symbol?: string): Promise<ExOrder[]> {
    return this.venue.openOrders(symbol);
  }
  async createOrder(req: OrderRequest): Promise<ExOrder> {
    const o = this.venue.placeOrder(req, this.now());
    await this.persist();
    return o;
  }
  async cancelOrder(symbol: string, clientId: string): Promise<ExOrder> {
    const o = this.venue.cancelOrder(symbol, clientId, this.now());
    await this.persist();
    return o;
  }
  async fetchOrderByClientId(symbol: string, clientId: string): Promise<ExOrder | null> {
    return this.venue.orderByClientId(symbol, clientId);
  }
  async fetchFills(symbol: string, since: number): Promise<ExFill[]> {
    return this.venue.fills(symbol, since);
  }
  async fetchOhlcv(_symbol: string, _tf: Timeframe, _since: number, _limit: number): Promise<Candle[]> {
    return [];
  }
  async fetchServerTime(): Promise<number> {
    return this.now();
  }
  async close(): Promise<void> {}

  /** Moves the venue's market; returns the fills it caused (saved before returning). */
  async onBar(symbol: string, bar: Bar): Promise<ExFill[]> {
    const hadWork = this.venue.openOrders(symbol).length > 0;
    const fills = this.venue.onBar(symbol, bar);
    if (hadWork || fills.length) await this.persist();
    return fills;
  }

  price(symbol: string): number | undefined {
    return this.venue.price(symbol);
  }

  /** The venue itself, for invariant checks in tests. */
  get core(): SimVenue {
    return this.venue;
  }
}
