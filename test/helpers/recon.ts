// Helpers for reconciliation tests on the loopback venue: our orders the way execution places them, price moves,
// reads of the audit and the venue's books.
// Guarantees orders go through the real CcxtGateway (HTTP, signing, ccxt) and the real Ledger/OrderManager.
import { dec, floorToStep } from '../../src/domain/decimal.js';
import { clientOrderId, type Leg } from '../../src/domain/ids.js';
import type { CcxtGateway } from '../../src/exchange/ccxt-gateway.js';
import type { OrderRequest } from '../../src/exchange/types.js';
import { Ledger } from '../../src/execution/ledger.js';
import { OrderManager } from '../../src/execution/order-manager.js';
import { quietLog, type TestVenue } from './venue-server.js';
import { PROTECTION } from './config.js';

export const BTC = 'BTC/USDT:USDT';

export interface ReconWorld {
  gw: CcxtGateway;
  ledger: Ledger;
  om: OrderManager;
  now(): number;
  /** Quantity worth about `usd` at the current mark. */
  qty(symbol: string, usd: number): Promise<string>;
  /** An order of ours: row first, then the exchange; its fills reach the ledger only if `record`. */
  ours(req: Omit<OrderRequest, 'clientId'> & { decision: string }, leg: Leg, record?: boolean): Promise<string>;
  /** Fills of the venue for this client id into the ledger (what the user stream would have done). */
  recordFillsOf(clientId: string): Promise<void>;
  /** Moves the venue's price to `price` in one bar (stops in between trigger). */
  moveTo(symbol: string, price: number): Promise<void>;
  audit(): Promise<Array<{ code: string; subject: string; before_state: unknown; after_state: unknown }>>;
}

export async function reconWorld(v: TestVenue): Promise<ReconWorld> {
  const gw = v.gateway();
  const now = () => v.server.venue.now();
  const ledger = new Ledger(v.db.pool, now);
  const om = new OrderManager(gw, ledger, quietLog, { protection: PROTECTION,  recvWindowMs: 1000, settleMarginMs: 300 });
  await om.loadMarkets();
  const w: ReconWorld = {
    gw, ledger, om, now,
    qty: async (symbol, usd) => floorToStep(dec(usd).div((await gw.fetchMarkPrice(symbol)).markPrice), om.market(symbol).qtyStep).toString(),
    ours: async ({ decision, ...req }, leg, record = true) => {
      const clientId = clientOrderId(decision, leg, 0);
      const full = { ...req, clientId };
      await ledger.insertPending(full, { decisionId: null, positionId: null, leg, attempt: 0 });
      const o = await gw.createOrder(full);
      await ledger.applyOrderUpdate(o);
      if (record) await w.recordFillsOf(clientId);
      return clientId;
    },
    recordFillsOf: async (clientId) => {
      for (const f of v.server.venue.core.allFills().filter((x) => x.clientId === clientId)) await ledger.recordFill(f);
    },
    moveTo: async (symbol, price) => {
      await v.server.venue.run((core) => {
        const open = core.price(symbol) ?? price;
        core.onBar(symbol, { ts: v.server.venue.now(), open, high: Math.max(open, price), low: Math.min(open, price), close: price });
      });
    },
    audit: () => v.db.pool.query('SELECT code, subject, before_state, after_state FROM reconcile_audit ORDER BY id'),
  };
  return w;
}

/** Open conditional orders of the venue for a symbol, by type. */
export const venueStops = (v: TestVenue, symbol: string) =>
  v.server.venue.core.openOrders(symbol, 'algo').map((o) => ({ type: o.type, side: o.side, clientId: o.clientId, stopPrice: o.stopPrice }));
