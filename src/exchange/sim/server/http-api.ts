// The Binance USD-M REST endpoints the loopback venue answers (those ccxt binanceusdm and bosun really call).
// Guarantees: parameters are read as Binance reads them, errors carry Binance's codes, and a mutating call answers
// only after the venue saved its effect.
import { TIMEFRAME_MS } from '../../../domain/timeframes.js';
import { CandleAggregator } from '../../../market/aggregate.js';
import type { Candle, DerivativesMetrics, Timeframe } from '../../../protocol/index.js';
import { ExchangeError } from '../../errors.js';
import type { OrderRequest, OrderType } from '../../types.js';
import type { SimVenue } from '../core.js';
import type { SimMarket } from '../markets.js';
import type { SimOrder } from '../sim-types.js';
import type { Venue } from '../venue.js';
import * as fmt from './format.js';

export type Auth = 'none' | 'key' | 'signed';

export interface RouteContext {
  venue: Venue;
  params: URLSearchParams;
  markets: SimMarket[];
  /** Server wall time (with any injected skew), as Binance reports it. */
  wallNow: number;
  /**
   * A signed request's order reaching the matching engine after its recvWindow (timestamp + recvWindow, server time):
   * refused with -5028 there, not placed, as Binance does when a request waited in its queues past its window.
   */
  checkWindow(): void;
  /** The account's user-data stream key (one account per venue, as one API key on Binance). */
  listenKeys: { create(): string; keepAlive(key: string | null): string | null; close(key: string | null): void };
}

type Handler = (c: RouteContext) => Promise<unknown>;

const fail = (code: number, msg: string): never => {
  throw new ExchangeError(msg, 'definitive', code);
};

const INTERVALS: Record<string, Timeframe> = { '1m': '1m', '5m': '5m', '15m': '15m', '1h': '1h', '4h': '4h' };

function marketOf(c: RouteContext, required = true): SimMarket | null {
  const id = c.params.get('symbol');
  if (!id) return required ? fail(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.") : null;
  return c.markets.find((m) => m.id === id) ?? fail(-1121, 'Invalid symbol.');
}

const int = (c: RouteContext, k: string): number | null => {
  const v = c.params.get(k);
  if (v === null || v === '') return null;
  const n = Number(v);
  return Number.isInteger(n) ? n : fail(-1100, `Illegal characters found in parameter '${k}'; legal range is '^[0-9]{1,20}$'.`);
};

const bool = (c: RouteContext, k: string): boolean => c.params.get(k) === 'true';

let autoId = 0;

function orderRequest(c: RouteContext, m: SimMarket, algo: boolean): OrderRequest {
  const p = c.params;
  const side = p.get('side');
  if (side !== 'BUY' && side !== 'SELL') fail(-1117, 'Invalid side.');
  const ps = p.get('positionSide');
  if (ps && ps !== 'BOTH') fail(-4061, "Order's position side does not match user's setting.");
  const raw = p.get('type') ?? '';
  const types: Record<string, OrderType> = algo ? { STOP_MARKET: 'stop_market', TAKE_PROFIT_MARKET: 'take_profit_market' } : { MARKET: 'market', LIMIT: 'limit' };
  const type = types[raw];
  if (!type) {
    if (!algo && ['STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'].includes(raw)) fail(-4120, 'Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.');
    fail(-1116, 'Invalid orderType.');
  }
  if (p.get('closePosition') === 'true' && p.get('reduceOnly') === 'true') fail(-1106, "Parameter 'reduceOnly' sent when not required.");
  if (algo && p.get('algoType') !== 'CONDITIONAL') fail(-1102, "Mandatory parameter 'algoType' was not sent, was empty/null, or malformed.");
  const tif = p.get('timeInForce') ?? 'GTC';
  if (!['GTC', 'IOC', 'GTX'].includes(tif)) fail(-1115, 'Invalid timeInForce.');
  const clientId = (algo ? p.get('clientAlgoId') : p.get('newClientOrderId')) ?? `sim-auto-${++autoId}`;
  const wt = p.get('workingType') ?? 'CONTRACT_PRICE';
  if (wt !== 'MARK_PRICE' && wt !== 'CONTRACT_PRICE') fail(-1102, 'Invalid workingType.');
  const qty = p.get('quantity');
  const price = p.get('price');
  const trig = algo ? p.get('triggerPrice') : null;
  return {
    symbol: m.symbol, clientId, side: side === 'BUY' ? 'buy' : 'sell', type: type!,
    ...(qty ? { qty } : {}), ...(price && type === 'limit' ? { price } : {}), ...(trig ? { stopPrice: trig } : {}),
    reduceOnly: bool(c, 'reduceOnly'), closePosition: bool(c, 'closePosition'), timeInForce: tif as 'GTC' | 'IOC' | 'GTX', workingType: wt as 'MARK_PRICE' | 'CONTRACT_PRICE',
  };
}

const byRef = (c: RouteContext, idKey: string, clientKey: string) => {
  const id = int(c, idKey);
  const clientId = c.params.get(clientKey);
  if (id === null && !clientId) fail(-1102, `Param '${idKey}' or '${clientKey}' must be sent, but both were empty/null!`);
  return id !== null ? { id } : { clientId: clientId! };
};

const childOf = (core: SimVenue, o: SimOrder) => (o.actualOrderId !== null ? core.findOrder(o.symbol, 'regular', { id: o.actualOrderId }) : null);

async function klines(c: RouteContext): Promise<unknown> {
  const m = marketOf(c)!;
  const tf = INTERVALS[c.params.get('interval') ?? ''] ?? fail(-1120, 'Invalid interval.');
  const limit = Math.min(1500, Math.max(1, int(c, 'limit') ?? 500));
  const start = int(c, 'startTime');
  const end = int(c, 'endTime');
  const tfMs = TIMEFRAME_MS[tf];
  const per = tfMs / 60_000;
  const mins = await c.venue.klines(m.symbol, start === null ? null : Math.floor(start / tfMs) * tfMs, end, limit * per + per);
  let out: Candle[] = mins;
  if (tf !== '1m') {
    const agg = new CandleAggregator([tf]);
    out = [];
    for (const x of mins) {
      if (!x.closed) continue;
      out.push(...agg.push(x));
    }
    const open = agg.current(m.symbol, tf);
    if (open) out.push(open);
  }
  const rows = start === null ? out.slice(-limit) : out.filter((x) => x.openTime >= start).slice(0, limit);
  return rows.map((x) => fmt.kline(x, tfMs));
}

/** The periods Binance's statistics endpoints accept, in ms. */
const PERIODS: Record<string, number> = { '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000, '2h': 7_200_000, '4h': 14_400_000, '6h': 21_600_000, '12h': 43_200_000, '1d': 86_400_000 };

/**
 * The stamps a statistics request asks for, as Binance reads its parameters: `limit` (default 30, at most 500) rows,
 * from startTime on, or ending at endTime (default: now); never after the venue's now.
 */
function statsWindow(c: RouteContext, now: number): { periodMs: number; from: number; to: number; limit: number } {
  const period = c.params.get('period') ?? '';
  const periodMs = PERIODS[period] ?? fail(-1130, "Data sent for paramter 'period' is not valid.");
  const limit = Math.min(500, Math.max(1, int(c, 'limit') ?? 30));
  const start = int(c, 'startTime');
  const end = int(c, 'endTime');
  const to = Math.min(now, end ?? now, start === null ? Number.MAX_SAFE_INTEGER : start + (limit - 1) * periodMs!);
  const from = start ?? Math.floor(to / periodMs!) * periodMs! - (limit - 1) * periodMs!;
  return { periodMs: periodMs!, from, to, limit };
}

type StatsRow = DerivativesMetrics;

/** The statistics rows of one request: the first `limit` from startTime, else the last `limit`. */
function statsRows(c: RouteContext, pick: (r: StatsRow) => boolean): Promise<{ m: SimMarket; rows: StatsRow[]; periodMs: number }> {
  const m = marketOf(c)!;
  return c.venue.derivativesQuery(async (d, now) => {
    const w = statsWindow(c, now);
    const all = (await d.metrics(m.symbol, w.from, w.to, w.periodMs)).filter(pick);
    const rows = c.params.get('startTime') !== null ? all.slice(0, w.limit) : all.slice(-w.limit);
    return { m, rows, periodMs: w.periodMs };
  });
}

const ratioRoute = (key: 'longShortRatio' | 'topTraderAccountRatio' | 'topTraderPositionRatio'): { auth: Auth; handle: Handler } => ({
  auth: 'none',
  handle: async (c) => {
    const { m, rows } = await statsRows(c, (r) => r[key] !== null);
    return rows.map((r) => fmt.longShortRatio(r[key]!, r.ts, m));
  },
});

/** Routes by `METHOD /path`, with the authentication each needs. */
export const ROUTES: Record<string, { auth: Auth; handle: Handler }> = {
  'GET /fapi/v1/ping': { auth: 'none', handle: async () => ({}) },
  'GET /fapi/v1/time': { auth: 'none', handle: async (c) => ({ serverTime: c.wallNow }) },
  'GET /fapi/v1/exchangeInfo': { auth: 'none', handle: async (c) => fmt.exchangeInfo(c.markets, c.wallNow) },
  'GET /fapi/v1/klines': { auth: 'none', handle: klines },
  'GET /fapi/v1/depth': {
    auth: 'none',
    handle: async (c) => {
      const m = marketOf(c)!;
      const limit = Math.min(1000, Math.max(5, int(c, 'limit') ?? 500));
      return c.venue.query((core) => {
        const b = core.book(m.symbol, Math.min(limit, 50));
        return { lastUpdateId: core.now, E: core.now, T: core.now, bids: b.bids, asks: b.asks };
      });
    },
  },
  'GET /fapi/v1/premiumIndex': {
    auth: 'none',
    handle: async (c) => {
      const one = marketOf(c, false);
      return c.venue.query((core) => {
        const rows = (one ? [one] : c.markets).map((m) => ({
          symbol: m.id, markPrice: (core.mark(m.symbol) ?? 0).toFixed(8), indexPrice: (core.price(m.symbol) ?? 0).toFixed(8), estimatedSettlePrice: (core.mark(m.symbol) ?? 0).toFixed(8),
          lastFundingRate: core.fundingRate(m.symbol).toFixed(8), interestRate: '0.00010000', nextFundingTime: core.nextFundingTime, time: core.now,
        }));
        return one ? rows[0] : rows;
      });
    },
  },
  'GET /fapi/v1/ticker/bookTicker': {
    auth: 'none',
    handle: async (c) => {
      const m = marketOf(c)!;
      return c.venue.query((core) => {
        const t = core.top(m.symbol);
        return { symbol: m.id, bidPrice: String(t.bid), bidQty: m.bookLevelQty, askPrice: String(t.ask), askQty: m.bookLevelQty, time: core.now, lastUpdateId: core.now };
      });
    },
  },
  'GET /fapi/v1/ticker/24hr': {
    auth: 'none',
    handle: async (c) => {
      const one = marketOf(c, false);
      const rows = [];
      for (const m of one ? [one] : c.markets) {
        const day = await c.venue.klines(m.symbol, null, null, 1440);
        const first = day[0];
        const last = day.at(-1);
        const open = first?.open ?? 0;
        const close = last?.close ?? 0;
        const vol = day.reduce((a, x) => a + x.volume, 0);
        rows.push({
          symbol: m.id, priceChange: (close - open).toFixed(8), priceChangePercent: open ? (((close - open) / open) * 100).toFixed(3) : '0', weightedAvgPrice: close.toFixed(8),
          lastPrice: close.toFixed(8), lastQty: '0', openPrice: open.toFixed(8), highPrice: Math.max(0, ...day.map((x) => x.high)).toFixed(8),
          lowPrice: (day.length ? Math.min(...day.map((x) => x.low)) : 0).toFixed(8), volume: vol.toFixed(3), quoteVolume: (vol * close).toFixed(2),
          openTime: first?.openTime ?? 0, closeTime: (last?.openTime ?? 0) + 59_999, firstId: 0, lastId: 0, count: day.length,
        });
      }
      return one ? rows[0] : rows;
    },
  },
  'GET /fapi/v1/ticker/price': {
    auth: 'none',
    handle: async (c) => {
      const one = marketOf(c, false);
      return c.venue.query((core) => {
        const rows = (one ? [one] : c.markets).map((m) => ({ symbol: m.id, price: String(core.price(m.symbol) ?? 0), time: core.now }));
        return one ? rows[0] : rows;
      });
    },
  },
  'GET /fapi/v1/openInterest': {
    auth: 'none',
    handle: async (c) => {
      const m = marketOf(c)!;
      return c.venue.derivativesQuery(async (d, now) => {
        const oi = await d.openInterest(m.symbol, now);
        return { openInterest: (oi?.openInterest ?? 0).toFixed(3), symbol: m.id, time: now };
      });
    },
  },
  'GET /futures/data/openInterestHist': {
    auth: 'none',
    handle: async (c) => {
      const { m, rows } = await statsRows(c, (r) => r.openInterest !== null && r.openInterestValue !== null);
      return rows.map((r) => fmt.openInterestHist(r, m));
    },
  },
  'GET /futures/data/globalLongShortAccountRatio': ratioRoute('longShortRatio'),
  'GET /futures/data/topLongShortAccountRatio': ratioRoute('topTraderAccountRatio'),
  'GET /futures/data/topLongShortPositionRatio': ratioRoute('topTraderPositionRatio'),
  'GET /futures/data/takerlongshortRatio': {
    auth: 'none',
    handle: async (c) => {
      const { m, rows, periodMs } = await statsRows(c, (r) => r.takerBuySellRatio !== null);
      if (!rows.length) return [];
      // buyVol / sellVol split the period's traded volume by the ratio.
      const candles = await c.venue.candlesBetween(m.symbol, rows[0]!.ts - periodMs, rows.at(-1)!.ts);
      return rows.map((r) => {
        const vol = candles.filter((x) => x.openTime >= r.ts - periodMs && x.openTime < r.ts).reduce((a, x) => a + x.volume, 0);
        return fmt.takerRatio(r.takerBuySellRatio!, r.ts, vol);
      });
    },
  },
  'GET /fapi/v1/fundingRate': {
    auth: 'none',
    handle: async (c) => {
      const one = marketOf(c, false);
      const limit = Math.min(1000, Math.max(1, int(c, 'limit') ?? 100));
      const start = int(c, 'startTime');
      const end = int(c, 'endTime');
      const every = c.venue.core.opts.fundingIntervalMs;
      return c.venue.derivativesQuery(async (d, now) => {
        const out = [];
        const to = Math.min(now, end ?? now, start === null ? Number.MAX_SAFE_INTEGER : start + limit * every);
        for (const m of one ? [one] : c.markets) {
          const rows = await d.funding(m.symbol, start ?? to - limit * every, to);
          out.push(...(start !== null ? rows.slice(0, limit) : rows.slice(-limit)).map((f) => fmt.fundingRate(f, m)));
        }
        return out;
      });
    },
  },
  'GET /fapi/v1/positionSide/dual': { auth: 'signed', handle: async (c) => ({ dualSidePosition: c.venue.core.positionMode === 'hedge' }) },
  'POST /fapi/v1/marginType': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c)!;
      const t = c.params.get('marginType');
      if (t !== 'ISOLATED' && t !== 'CROSSED') fail(-1102, "Mandatory parameter 'marginType' was not sent, was empty/null, or malformed.");
      await c.venue.setMarginType(m.symbol, t === 'ISOLATED' ? 'isolated' : 'cross');
      return { code: 200, msg: 'success' };
    },
  },
  'GET /fapi/v1/multiAssetsMargin': { auth: 'signed', handle: async () => ({ multiAssetsMargin: false }) },
  'GET /fapi/v2/account': { auth: 'signed', handle: async (c) => c.venue.query((core) => fmt.account(core, c.markets, core.now, 2)) },
  'GET /fapi/v3/account': { auth: 'signed', handle: async (c) => c.venue.query((core) => fmt.account(core, c.markets, core.now, 3)) },
  'GET /fapi/v2/balance': { auth: 'signed', handle: async (c) => c.venue.query((core) => fmt.balances(core.account(), core.quote, core.now)) },
  'GET /fapi/v3/balance': { auth: 'signed', handle: async (c) => c.venue.query((core) => fmt.balances(core.account(), core.quote, core.now)) },
  'GET /fapi/v2/positionRisk': {
    auth: 'signed',
    handle: async (c) => {
      const one = marketOf(c, false);
      return c.venue.query((core) => (one ? [one] : c.markets).flatMap((m) => fmt.positionRiskRows(core, m)));
    },
  },
  'GET /fapi/v3/positionRisk': {
    auth: 'signed',
    handle: async (c) => {
      const one = marketOf(c, false);
      return c.venue.query((core) => (one ? [one] : c.markets).map((m) => fmt.positionRiskV3(core, m)).filter((r) => Number(r.positionAmt) !== 0));
    },
  },
  'GET /fapi/v1/leverageBracket': {
    auth: 'signed',
    handle: async (c) => {
      const one = marketOf(c, false);
      // Binance's shape: every bracket with its leverage maximum, notional floor and cap, maintenance ratio and amount.
      return (one ? [one] : c.markets).map((m) => {
        let cum = 0;
        return {
          symbol: m.id, notionalCoef: 1,
          brackets: m.brackets.map((b, i) => {
            if (i) cum += b.notionalFloor * (b.maintMarginRatio - m.brackets[i - 1]!.maintMarginRatio);
            return { bracket: b.bracket, initialLeverage: b.maxLeverage, notionalCap: b.notionalCap, notionalFloor: b.notionalFloor, maintMarginRatio: b.maintMarginRatio, cum: Math.round(cum * 100) / 100 };
          }),
        };
      });
    },
  },
  'POST /fapi/v1/leverage': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c)!;
      const lev = await c.venue.setLeverage(m.symbol, int(c, 'leverage') ?? fail(-1102, "Mandatory parameter 'leverage' was not sent."));
      return { symbol: m.id, leverage: lev, maxNotionalValue: c.venue.maxNotional(m.symbol) };
    },
  },
  'POST /fapi/v1/order': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c)!;
      const req = orderRequest(c, m, false);
      const o = await c.venue.run((core) => {
        c.checkWindow();
        return core.placeOrder(req, core.now);
      });
      return fmt.order(c.venue.core.findOrder(m.symbol, 'regular', { id: o.id }) ?? o, m);
    },
  },
  // Up to 5 LIMIT/MARKET orders, each validated and placed as POST /fapi/v1/order would, answered one result per order in
  // the request's order (an order or { code, msg }); conditional types are refused per order with -4120, as Binance does
  // since its algo-order migration. Saved once, before the answer.
  'POST /fapi/v1/batchOrders': {
    auth: 'signed',
    handle: async (c) => {
      const raw = c.params.get('batchOrders') ?? fail(-1102, "Mandatory parameter 'batchOrders' was not sent, was empty/null, or malformed.");
      let list: unknown;
      try {
        list = JSON.parse(raw!);
      } catch {
        fail(-1130, "Data sent for parameter 'batchOrders' is not valid.");
      }
      if (!Array.isArray(list) || list.length < 1 || list.length > 5 || !list.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
        fail(-1130, "Data sent for parameter 'batchOrders' is not valid.");
      }
      const asError = (err: unknown) => {
        if (err instanceof ExchangeError && err.kind === 'definitive' && typeof err.code === 'number') return { code: err.code, msg: err.message };
        throw err;
      };
      const parsed = (list as Array<Record<string, unknown>>).map((el) => {
        try {
          const params = new URLSearchParams(Object.entries(el).map(([k, v]) => [k, String(v)]));
          const sub = { ...c, params };
          const m = marketOf(sub)!;
          return { m, req: orderRequest(sub, m, false) };
        } catch (err) {
          return asError(err);
        }
      });
      const placed = await c.venue.run((core) => {
        c.checkWindow();
        return parsed.map((p) => {
          if (!('req' in p)) return p;
          try {
            return { m: p.m, id: core.placeOrder(p.req, core.now).id };
          } catch (err) {
            return asError(err);
          }
        });
      });
      return placed.map((p) => ('id' in p ? fmt.order(c.venue.core.findOrder(p.m.symbol, 'regular', { id: p.id })!, p.m) : p));
    },
  },
  'GET /fapi/v1/order': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c)!;
      const ref = byRef(c, 'orderId', 'origClientOrderId');
      return c.venue.query((core) => fmt.order(core.findOrder(m.symbol, 'regular', ref) ?? fail(-2013, 'Order does not exist.'), m));
    },
  },
  'DELETE /fapi/v1/order': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c)!;
      const ref = byRef(c, 'orderId', 'origClientOrderId');
      return fmt.order(await c.venue.run((core) => core.cancelOrder(m.symbol, ref, 'regular', core.now)), m);
    },
  },
  'GET /fapi/v1/openOrders': {
    auth: 'signed',
    handle: async (c) => {
      const one = marketOf(c, false);
      return c.venue.query((core) => core.openOrders(one?.symbol, 'regular').map((o) => fmt.order(o, c.markets.find((x) => x.symbol === o.symbol)!)));
    },
  },
  'GET /fapi/v1/allOrders': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c)!;
      const from = int(c, 'startTime') ?? 0;
      const limit = Math.min(1000, int(c, 'limit') ?? 500);
      return c.venue.query((core) => core.allOrders().filter((o) => o.book === 'regular' && o.symbol === m.symbol && o.createdAt >= from).slice(-limit).map((o) => fmt.order(o, m)));
    },
  },
  'POST /fapi/v1/algoOrder': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c)!;
      const req = orderRequest(c, m, true);
      const o = await c.venue.run((core) => {
        c.checkWindow();
        return core.placeOrder(req, core.now);
      });
      return fmt.algoOrder(o, m, null);
    },
  },
  'GET /fapi/v1/algoOrder': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c, false);
      const ref = byRef(c, 'algoId', 'clientAlgoId');
      return c.venue.query((core) => {
        const o = (m ? [m] : c.markets).map((x) => core.findOrder(x.symbol, 'algo', ref)).find(Boolean) ?? fail(-2013, 'Order does not exist.');
        return fmt.algoOrder(o, c.markets.find((x) => x.symbol === o.symbol)!, childOf(core, o));
      });
    },
  },
  'DELETE /fapi/v1/algoOrder': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c, false);
      const ref = byRef(c, 'algoId', 'clientAlgoId');
      const target = (m ? [m] : c.markets).map((x) => c.venue.core.findOrder(x.symbol, 'algo', ref)).find((o) => o && (o.status === 'new' || o.status === 'partially_filled'));
      if (!target) fail(-20124, 'Invalid algo id or it has been completed.');
      const o = await c.venue.run((core) => core.cancelOrder(target!.symbol, ref, 'algo', core.now));
      return { algoId: o.id, clientAlgoId: o.clientId, code: '200', msg: 'success' };
    },
  },
  'GET /fapi/v1/openAlgoOrders': {
    auth: 'signed',
    handle: async (c) => {
      const one = marketOf(c, false);
      return c.venue.query((core) => core.openOrders(one?.symbol, 'algo').map((o) => fmt.openAlgoOrder(o, c.markets.find((x) => x.symbol === o.symbol)!)));
    },
  },
  'GET /fapi/v1/allAlgoOrders': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c)!;
      const from = int(c, 'startTime') ?? 0;
      const limit = Math.min(1000, int(c, 'limit') ?? 500);
      return c.venue.query((core) => core.allOrders().filter((o) => o.book === 'algo' && o.symbol === m.symbol && o.createdAt >= from).slice(-limit).map((o) => fmt.algoOrder(o, m, childOf(core, o))));
    },
  },
  'GET /fapi/v1/userTrades': {
    auth: 'signed',
    handle: async (c) => {
      const m = marketOf(c)!;
      const from = int(c, 'startTime') ?? 0;
      const to = int(c, 'endTime') ?? Number.MAX_SAFE_INTEGER;
      const fromId = int(c, 'fromId');
      const limit = Math.min(1000, int(c, 'limit') ?? 500);
      return c.venue.query((core) => core.fills(m.symbol, from, to).filter((f) => fromId === null || Number(f.tradeId) >= fromId).slice(0, limit).map((f) => fmt.userTrade(f, m)));
    },
  },
  'GET /fapi/v1/income': {
    auth: 'signed',
    handle: async (c) => {
      const one = marketOf(c, false);
      const from = int(c, 'startTime') ?? 0;
      const type = c.params.get('incomeType');
      if (type && type !== 'FUNDING_FEE') return [];
      return c.venue.query((core) => core.fundingHistory(one?.symbol).filter((f) => f.ts >= from).map((f) => fmt.funding(f, c.markets.find((x) => x.symbol === f.symbol)!)));
    },
  },
  'POST /fapi/v1/listenKey': { auth: 'key', handle: async (c) => ({ listenKey: c.listenKeys.create() }) },
  'PUT /fapi/v1/listenKey': {
    auth: 'key',
    handle: async (c) => {
      const key = c.listenKeys.keepAlive(c.params.get('listenKey'));
      return key ? { listenKey: key } : fail(-1125, 'This listenKey does not exist.');
    },
  },
  'DELETE /fapi/v1/listenKey': {
    auth: 'key',
    handle: async (c) => {
      c.listenKeys.close(c.params.get('listenKey'));
      return {};
    },
  },
};
