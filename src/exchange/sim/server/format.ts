// The simulated venue's state in Binance USD-M's wire shapes (REST responses and stream events), as in
// ../shared/data/binance-usdm/. Guarantees: decimals are strings, ids and times numbers, field names Binance's own.
import { dec, str } from '../../../domain/decimal.js';
import type { Candle, DerivativesMetrics, FundingSettlement } from '../../../protocol/index.js';
import type { ExFill } from '../../types.js';
import type { AccountView, SimVenue } from '../core.js';
import type { SimMarket } from '../markets.js';
import type { SimFunding, SimOrder, VenueEvent } from '../sim-types.js';
import type { MarketFrame } from '../venue.js';

const STATUS = { new: 'NEW', partially_filled: 'PARTIALLY_FILLED', filled: 'FILLED', cancelled: 'CANCELED', rejected: 'REJECTED', expired: 'EXPIRED' } as const;
const TYPE = { market: 'MARKET', limit: 'LIMIT', stop_market: 'STOP_MARKET', take_profit_market: 'TAKE_PROFIT_MARKET' } as const;
const decimals = (step: string) => (step.includes('.') ? step.split('.')[1]!.replace(/0+$/, '').length : 0);
const z = (v: string | null | undefined) => v ?? '0';

export function exchangeInfo(markets: SimMarket[], serverTime: number) {
  return {
    timezone: 'UTC', serverTime, futuresType: 'U_MARGINED',
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
    ],
    exchangeFilters: [],
    assets: [{ asset: 'USDT', marginAvailable: true, autoAssetExchange: '-10000' }],
    symbols: markets.map((m) => ({
      symbol: m.id, pair: m.id, contractType: 'PERPETUAL', deliveryDate: 4133404800000, onboardDate: 1569398400000, status: 'TRADING',
      maintMarginPercent: '2.5000', requiredMarginPercent: '5.0000', baseAsset: m.base, quoteAsset: m.quote, marginAsset: m.quote,
      pricePrecision: decimals(m.tickSize), quantityPrecision: decimals(m.qtyStep), baseAssetPrecision: 8, quotePrecision: 8,
      underlyingType: 'COIN', underlyingSubType: [], settlePlan: 0, triggerProtect: '0.0500', liquidationFee: '0.012500', marketTakeBound: '0.05',
      maxMoveOrderLimit: 10000,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: m.tickSize, maxPrice: '4529764', tickSize: m.tickSize },
        { filterType: 'LOT_SIZE', minQty: m.minQty, maxQty: '1000', stepSize: m.qtyStep },
        { filterType: 'MARKET_LOT_SIZE', minQty: m.minQty, maxQty: '120', stepSize: m.qtyStep },
        { filterType: 'MAX_NUM_ORDERS', limit: 200 },
        { filterType: 'MAX_NUM_ALGO_ORDERS', limit: 10 },
        { filterType: 'MIN_NOTIONAL', notional: m.minNotional },
        { filterType: 'PERCENT_PRICE', multiplierUp: '1.0500', multiplierDown: '0.9500', multiplierDecimal: '4' },
      ],
      orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
      timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
    })),
  };
}

/** Binance's status of a venue order: the exchange's own ADL / insurance-fund orders are NEW_ADL / NEW_INSURANCE while new. */
const statusOf = (o: SimOrder): string => (o.status === 'new' && o.reason === 'adl' ? 'NEW_ADL' : o.status === 'new' && o.reason === 'insurance' ? 'NEW_INSURANCE' : STATUS[o.status]);

export function order(o: SimOrder, m: SimMarket) {
  return {
    orderId: o.id, symbol: m.id, status: statusOf(o), clientOrderId: o.clientId, price: z(o.price), avgPrice: z(o.avgPrice), origQty: o.qty,
    executedQty: o.filledQty, cumQty: o.filledQty, cumQuote: o.cumQuote, timeInForce: o.timeInForce, type: TYPE[o.type], reduceOnly: o.reduceOnly,
    closePosition: o.closePosition, side: o.side.toUpperCase(), positionSide: 'BOTH', stopPrice: z(o.stopPrice), workingType: o.workingType,
    priceProtect: false, origType: TYPE[o.type], priceMatch: 'NONE', selfTradePreventionMode: 'EXPIRE_MAKER', goodTillDate: 0, time: o.createdAt, updateTime: o.updatedAt,
  };
}

export function algoOrder(o: SimOrder, m: SimMarket, child: SimOrder | null) {
  return {
    algoId: o.id, clientAlgoId: o.clientId, algoType: 'CONDITIONAL', orderType: TYPE[o.type], symbol: m.id, side: o.side.toUpperCase(), positionSide: 'BOTH',
    timeInForce: o.timeInForce, quantity: o.qty, algoStatus: o.algoStatus, actualOrderId: o.actualOrderId === null ? '' : String(o.actualOrderId),
    actualPrice: z(child?.avgPrice), actualType: child ? 'MARKET' : '', actualQty: z(child?.filledQty), triggerPrice: z(o.stopPrice), price: '0',
    icebergQuantity: null, selfTradePreventionMode: 'EXPIRE_MAKER', workingType: o.workingType, priceMatch: 'NONE', closePosition: o.closePosition,
    priceProtect: false, reduceOnly: o.reduceOnly, createTime: o.createdAt, updateTime: o.updatedAt, triggerTime: o.triggeredAt ?? 0, goodTillDate: 0,
  };
}

/** GET /fapi/v1/openAlgoOrders uses `type` where the create/query answers use `orderType` (as Binance's docs show). */
export const openAlgoOrder = (o: SimOrder, m: SimMarket) => {
  const { orderType, ...rest } = algoOrder(o, m, null);
  return { ...rest, type: orderType };
};

export function userTrade(f: ExFill, m: SimMarket) {
  return {
    symbol: m.id, id: Number(f.tradeId), orderId: Number(f.exchangeOrderId), side: f.side.toUpperCase(), price: f.price, qty: f.qty,
    realizedPnl: f.realizedPnl, quoteQty: str(Number(f.price) * Number(f.qty)), commission: f.fee, commissionAsset: f.feeAsset, time: f.ts,
    positionSide: 'BOTH', buyer: f.side === 'buy', maker: f.isMaker, marginAsset: f.feeAsset,
  };
}

export function positionRiskV2(core: SimVenue, m: SimMarket, positionSide: 'BOTH' | 'LONG' | 'SHORT' = 'BOTH') {
  const p = positionSide === 'BOTH' ? core.position(m.symbol) : null;
  const mark = core.mark(m.symbol) ?? 0;
  const amt = p ? (p.side === 'long' ? p.qty : `-${p.qty}`) : '0';
  return {
    symbol: m.id, positionAmt: amt, entryPrice: p?.entryPrice ?? '0.0', breakEvenPrice: p?.entryPrice ?? '0.0', markPrice: str(mark), unRealizedProfit: p?.unrealizedPnl ?? '0.00000000',
    liquidationPrice: p?.liquidationPrice ?? '0', leverage: String(core.leverage(m.symbol)), maxNotionalValue: String(core.maxNotional(m.symbol)), marginType: core.marginType(m.symbol) === 'isolated' ? 'isolated' : 'cross', isolatedMargin: '0.00000000',
    isAutoAddMargin: 'false', positionSide, notional: p ? str(Number(amt) * mark) : '0', isolatedWallet: '0', updateTime: p?.updatedAt ?? 0,
  };
}

/** positionRisk rows of one market: one BOTH row in one-way mode, a LONG and a SHORT row in hedge mode. */
export const positionRiskRows = (core: SimVenue, m: SimMarket) => (core.positionMode === 'hedge' ? [positionRiskV2(core, m, 'LONG'), positionRiskV2(core, m, 'SHORT')] : [positionRiskV2(core, m)]);

export function positionRiskV3(core: SimVenue, m: SimMarket) {
  const v2 = positionRiskV2(core, m);
  const im = Math.abs(Number(v2.notional)) / core.leverage(m.symbol);
  return {
    symbol: v2.symbol, positionSide: 'BOTH', positionAmt: v2.positionAmt, entryPrice: v2.entryPrice, breakEvenPrice: v2.breakEvenPrice, markPrice: v2.markPrice,
    unRealizedProfit: v2.unRealizedProfit, liquidationPrice: v2.liquidationPrice, isolatedMargin: '0', notional: v2.notional, marginAsset: 'USDT', isolatedWallet: '0',
    initialMargin: str(im.toFixed(8)), maintMargin: str((Math.abs(Number(v2.notional)) * m.maintMarginRate).toFixed(8)), positionInitialMargin: str(im.toFixed(8)),
    openOrderInitialMargin: '0', adl: 0, bidNotional: '0', askNotional: '0', updateTime: v2.updateTime,
  };
}

export function balances(a: AccountView, asset: string, ts: number) {
  return [{
    accountAlias: 'SimVenue', asset, balance: a.wallet, crossWalletBalance: a.wallet, crossUnPnl: a.unrealizedPnl, availableBalance: a.available,
    maxWithdrawAmount: a.available, marginAvailable: true, updateTime: ts,
  }];
}

export function account(core: SimVenue, markets: SimMarket[], ts: number, version: 2 | 3) {
  const a = core.account();
  const margin = str(Number(a.wallet) + Number(a.unrealizedPnl));
  const assets = [{
    asset: core.quote, walletBalance: a.wallet, unrealizedProfit: a.unrealizedPnl, marginBalance: margin, maintMargin: a.maintMargin,
    initialMargin: str(Number(a.positionInitialMargin) + Number(a.openOrderInitialMargin)), positionInitialMargin: a.positionInitialMargin,
    openOrderInitialMargin: a.openOrderInitialMargin, crossWalletBalance: a.wallet, crossUnPnl: a.unrealizedPnl, availableBalance: a.available,
    maxWithdrawAmount: a.available, marginAvailable: true, updateTime: ts,
  }];
  const positions = markets
    .map((m) => ({ m, r: positionRiskV2(core, m) }))
    .filter(({ r }) => version === 2 || Number(r.positionAmt) !== 0)
    .map(({ m, r }) => ({
      symbol: r.symbol, initialMargin: str((Math.abs(Number(r.notional)) / core.leverage(m.symbol)).toFixed(8)), maintMargin: '0', unrealizedProfit: r.unRealizedProfit,
      positionInitialMargin: '0', openOrderInitialMargin: '0', leverage: r.leverage, isolated: false, entryPrice: r.entryPrice, breakEvenPrice: r.breakEvenPrice,
      maxNotional: '50000000', bidNotional: '0', askNotional: '0', positionSide: 'BOTH', positionAmt: r.positionAmt, notional: r.notional, isolatedWallet: '0', updateTime: r.updateTime,
    }));
  return {
    feeTier: 0, feeBurn: false, canTrade: true, canDeposit: true, canWithdraw: true, updateTime: 0, multiAssetsMargin: false, tradeGroupId: -1,
    totalInitialMargin: assets[0]!.initialMargin, totalMaintMargin: a.maintMargin, totalWalletBalance: a.wallet, totalUnrealizedProfit: a.unrealizedPnl,
    totalMarginBalance: margin, totalPositionInitialMargin: a.positionInitialMargin, totalOpenOrderInitialMargin: a.openOrderInitialMargin,
    totalCrossWalletBalance: a.wallet, totalCrossUnPnl: a.unrealizedPnl, availableBalance: a.available, maxWithdrawAmount: a.available, assets, positions,
  };
}

export function kline(c: Candle, tfMs: number) {
  const quote = (c.open + c.close) / 2 * c.volume;
  const tb = c.takerBuyVolume ?? c.volume / 2;
  return [c.openTime, str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume), c.openTime + tfMs - 1, quote.toFixed(4), Math.max(1, Math.round(c.volume * 10)), str(tb), (tb * (c.open + c.close) / 2).toFixed(4), '0'];
}

export function funding(f: SimFunding, m: SimMarket) {
  return { symbol: m.id, incomeType: 'FUNDING_FEE', income: f.amount, asset: 'USDT', info: 'FUNDING_FEE', time: f.ts, tranId: f.id, tradeId: '' };
}

/** A market frame as the combined stream sends it: `{ stream, data }`. */
export function marketFrame(f: MarketFrame, m: SimMarket): { stream: string; data: Record<string, unknown> } | null {
  const s = m.id.toLowerCase();
  switch (f.kind) {
    case 'aggTrade':
      return { stream: `${s}@aggTrade`, data: { e: 'aggTrade', E: f.ts, a: f.id, s: m.id, p: str(f.price), q: str(f.qty), f: f.id * 3, l: f.id * 3 + 2, T: f.ts, m: f.buyerMaker } };
    case 'kline': {
      const c = f.candle;
      const k = kline(c, 60_000);
      return {
        stream: `${s}@kline_1m`,
        data: { e: 'kline', E: f.ts, s: m.id, k: { t: c.openTime, T: c.openTime + 59_999, s: m.id, i: '1m', f: 100, L: 200, o: k[1], c: k[4], h: k[2], l: k[3], v: k[5], n: k[8], x: c.closed, q: k[7], V: k[9], Q: k[10], B: '0' } },
      };
    }
    case 'book':
      return { stream: `${s}@bookTicker`, data: { e: 'bookTicker', u: f.updateId, E: f.ts, T: f.ts, s: m.id, b: f.bid, B: f.bidQty, a: f.ask, A: f.askQty } };
    case 'mark':
      return { stream: `${s}@markPrice@1s`, data: { e: 'markPriceUpdate', E: f.ts, s: m.id, p: f.mark.toFixed(8), i: f.index.toFixed(8), P: f.mark.toFixed(8), r: f.fundingRate.toFixed(8), T: f.nextFundingTime } };
    case 'forceOrder': {
      const l = f.liquidation;
      const q = str(l.qty);
      return { stream: `${s}@forceOrder`, data: { e: 'forceOrder', E: f.ts, o: { s: m.id, S: l.side.toUpperCase(), o: 'LIMIT', f: 'IOC', q, p: str(l.price), ap: str(l.avgPrice), X: 'FILLED', l: q, z: q, T: l.ts } } };
    }
  }
}

/** One 5-minute statistics row as each /futures/data endpoint answers it (decimal strings, 4-decimal ratios). */
const share = (r: number) => ({ longAccount: (r / (1 + r)).toFixed(4), shortAccount: (1 / (1 + r)).toFixed(4) });

export function openInterestHist(r: DerivativesMetrics, m: SimMarket) {
  return { symbol: m.id, sumOpenInterest: dec(r.openInterest!).toFixed(8), sumOpenInterestValue: dec(r.openInterestValue!).toFixed(8), CMCCirculatingSupply: '0', timestamp: r.ts };
}

export function longShortRatio(ratio: number, ts: number, m: SimMarket) {
  return { symbol: m.id, longShortRatio: ratio.toFixed(4), ...share(ratio), timestamp: ts };
}

export function takerRatio(ratio: number, ts: number, volume: number) {
  const sell = volume / (1 + ratio);
  return { buySellRatio: ratio.toFixed(4), buyVol: (volume - sell).toFixed(4), sellVol: sell.toFixed(4), timestamp: ts };
}

export function fundingRate(f: FundingSettlement, m: SimMarket) {
  return { symbol: m.id, fundingRate: dec(f.rate).toFixed(8), fundingTime: f.ts, markPrice: f.markPrice === null ? '' : dec(f.markPrice).toFixed(8) };
}

export function depthUpdate(core: SimVenue, m: SimMarket, ts: number, id: number) {
  const b = core.book(m.symbol, 5);
  return { e: 'depthUpdate', E: ts, T: ts, s: m.id, U: id, u: id, pu: id - 1, b: b.bids, a: b.asks };
}

/** A venue event as the user-data stream sends it (ORDER_TRADE_UPDATE, ALGO_UPDATE, ACCOUNT_UPDATE). */
export function userEvent(e: VenueEvent, core: SimVenue, bySymbol: Map<string, SimMarket>): Record<string, unknown> {
  if (e.kind === 'order') {
    const o = e.order;
    const m = bySymbol.get(o.symbol)!;
    const f = e.fill;
    return {
      e: 'ORDER_TRADE_UPDATE', E: e.ts, T: e.ts,
      o: {
        s: m.id, c: o.clientId, S: o.side.toUpperCase(), o: TYPE[o.type], f: o.timeInForce, q: o.qty, p: z(o.price), ap: z(o.avgPrice), sp: z(o.stopPrice),
        x: e.exec, X: statusOf(o), i: o.id, l: f?.qty ?? '0', z: o.filledQty, L: f?.price ?? '0', N: f ? f.feeAsset : 'USDT', n: f?.fee ?? '0', T: e.ts,
        t: f ? Number(f.tradeId) : 0, b: '0', a: '0', m: f?.isMaker ?? false, R: o.reduceOnly, wt: o.workingType, ot: TYPE[o.type], ps: 'BOTH', cp: o.closePosition,
        rp: f?.realizedPnl ?? '0', pP: false, si: 0, ss: 0, V: 'EXPIRE_MAKER', pm: 'NONE', gtd: 0,
      },
    };
  }
  if (e.kind === 'algo') {
    const o = e.order;
    const m = bySymbol.get(o.symbol)!;
    return {
      e: 'ALGO_UPDATE', T: e.ts, E: e.ts,
      o: {
        caid: o.clientId, aid: o.id, at: 'CONDITIONAL', o: TYPE[o.type], s: m.id, S: o.side.toUpperCase(), ps: 'BOTH', f: o.timeInForce, q: o.qty, X: o.algoStatus,
        ai: o.actualOrderId === null ? '' : String(o.actualOrderId), ap: z(o.avgPrice), aq: o.filledQty, act: o.actualOrderId === null ? '0' : 'MARKET', tp: z(o.stopPrice),
        p: '0', V: 'EXPIRE_MAKER', wt: o.workingType, pm: 'NONE', cp: o.closePosition, pP: false, R: o.reduceOnly, tt: o.triggeredAt ?? 0, gtd: 0, rm: o.reason ?? '',
      },
    };
  }
  const a = core.account();
  return {
    e: 'ACCOUNT_UPDATE', E: e.ts, T: e.ts,
    a: {
      m: e.reason,
      B: [{ a: core.quote, wb: a.wallet, cw: a.wallet, bc: '0' }],
      P: e.symbols.map((sym) => {
        const p = core.position(sym);
        const m = bySymbol.get(sym)!;
        return { s: m.id, pa: p ? (p.side === 'long' ? p.qty : `-${p.qty}`) : '0', ep: p?.entryPrice ?? '0', bep: p?.entryPrice ?? '0', cr: '0', up: p?.unrealizedPnl ?? '0', mt: 'cross', iw: '0', ps: 'BOTH' };
      }),
    },
  };
}
