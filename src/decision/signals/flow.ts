// Signals on microstructure and flow (whales, VPIN, OFI, CVD, book, funding, ETF flow, sentiment, fair value,
// derivatives: open interest, crowd, taker volume). Guarantees each is "unavailable" while the snapshot's `micro` /
// `flow` part or the field it reads is null.
import type { SignalParams } from '../../config/sections/decision.js';
import { f, na, none, sign, vote, type SignalFn } from './types.js';

/** Net whale notional: more whale buying than selling is bullish (seed 000/001 whale_flow). */
export const whaleFlow: SignalFn<SignalParams['whale_flow']> = (s, _prev, p) => {
  if (!s.micro) return na('needs micro');
  const { whaleBuyNotional: b, whaleSellNotional: sl } = s.micro;
  if (b === null || sl === null) return na('needs micro.whaleBuyNotional/whaleSellNotional');
  if (b + sl <= 0) return none('no whale trades');
  const net = (b - sl) / (b + sl);
  if (Math.abs(net) < p.minImbalance) return none(`whale imbalance ${f(net, 2)} below ${p.minImbalance}`);
  return vote(sign(net), Math.abs(net), `whale imbalance ${f(net, 2)}`);
};

/** Toxic flow (high VPIN) follows the order-flow direction; low VPIN says nothing (seed 000/001 vpin). */
export const vpin: SignalFn<SignalParams['vpin']> = (s, prev, p) => {
  const v = s.micro?.vpin;
  if (v === null || v === undefined) return na('needs micro.vpin');
  if (v < p.high) return none(`VPIN ${f(v, 2)} below ${p.high}`);
  // OFI is the window's trade-flow imbalance; without it the window's volume delta gives the direction.
  const flow = s.micro!.ofi ?? s.micro!.cvd;
  if (flow === null) return na('needs micro.ofi or micro.cvd for the direction');
  return vote(sign(flow), p.high >= 1 ? 1 : (v - p.high) / (1 - p.high), `VPIN ${f(v, 2)} with flow ${f(flow, 3)}`);
};

/**
 * An extreme order-flow imbalance is faded (seed 000/001 ofi_contrarian). Without a trade stream (backtests on candles)
 * the exchange's taker buy/sell volume of the last 5-minute period is the same imbalance: (r − 1) / (r + 1).
 */
export const ofiContrarian: SignalFn<SignalParams['ofi_contrarian']> = (s, _prev, p) => {
  const fromTrades = s.micro?.ofi;
  const ofi = fromTrades ?? s.flow?.derivatives?.takerImbalance;
  if (ofi === null || ofi === undefined) return na('needs micro.ofi or flow.derivatives.takerBuySellRatio');
  const what = fromTrades === null || fromTrades === undefined ? 'taker volume imbalance' : 'OFI';
  if (Math.abs(ofi) < p.extreme) return none(`${what} ${f(ofi, 2)} not extreme`);
  return vote(sign(-ofi), (Math.abs(ofi) - p.extreme) / (1 - p.extreme), `extreme ${what} ${f(ofi, 2)} faded`);
};

/** Volume delta (taker buy − taker sell) over the analytics window, relative to the window's volume when known (seed 004 cvd). */
export const cvd: SignalFn<SignalParams['cvd']> = (s, _prev, p) => {
  const d = s.micro?.cvd;
  if (d === null || d === undefined) return na('needs micro.cvd');
  const vol = (s.micro!.buyVolume ?? 0) + (s.micro!.sellVolume ?? 0);
  const x = vol > 0 ? Math.abs(d) / vol : Math.tanh(Math.abs(d) / p.scale);
  return vote(sign(d), x, `volume delta ${f(d, 3)}${vol > 0 ? ` (${f((d / vol) * 100, 1)} % of volume)` : ''}`);
};

/** Order book imbalance (seed 004 obi). */
export const obi: SignalFn<SignalParams['obi']> = (s, _prev, p) => {
  const v = s.micro?.obi;
  if (v === null || v === undefined) return na('needs micro.obi');
  if (Math.abs(v) < p.min) return none(`book imbalance ${f(v, 2)} below ${p.min}`);
  return vote(sign(v), Math.abs(v), `book imbalance ${f(v, 2)}`);
};

/** Avellaneda-Stoikov fair value above price is bullish (seed 000/001 as_fair_value). */
export const asFairValue: SignalFn<SignalParams['as_fair_value']> = (s, _prev, p) => {
  const fv = s.micro?.fairValue;
  const atr = s.ind.atr;
  if (fv === null || fv === undefined) return na('needs micro.fairValue');
  if (atr === null || !(atr > 0)) return na('needs atr');
  const d = (fv - s.price) / atr;
  return vote(sign(d), Math.abs(d) / p.fullAtr, `fair value ${f(d, 2)} ATR from price`);
};

/** Funding is contrarian: longs paying a lot is bearish, shorts paying bullish (seed 001 funding_rate). */
export const fundingRate: SignalFn<SignalParams['funding_rate']> = (s, _prev, p) => {
  const fr = s.flow?.fundingRate;
  if (fr === null || fr === undefined) return na('needs flow.fundingRate');
  if (Math.abs(fr) <= p.neutral) return none(`funding ${f(fr * 100, 4)} % is neutral`);
  return vote(sign(-fr), (Math.abs(fr) - p.neutral) / (p.extreme - p.neutral), `funding ${f(fr * 100, 4)} %`);
};

/** Net ETF flow in USD (seed 001 etf_flow, seed 003 manual input). */
export const etfFlow: SignalFn<SignalParams['etf_flow']> = (s, _prev, p) => {
  const usd = s.flow?.etfFlowUsd;
  if (usd === null || usd === undefined) return na('needs flow.etfFlowUsd (manual input)');
  return vote(sign(usd), Math.abs(usd) / p.fullUsd, `ETF net flow ${f(usd / 1e6, 1)} M USD`);
};

/** Manual sentiment on −2..2 (seed 003 news_sentiment). */
export const sentiment: SignalFn<SignalParams['sentiment']> = (s) => {
  const v = s.flow?.sentiment;
  if (v === null || v === undefined) return na('needs flow.sentiment (manual input)');
  return vote(sign(v), Math.abs(v) / 2, `sentiment ${f(v, 1)}`);
};

/**
 * Seed 003 derivatives context (funding, OI change, crowd): extreme funding or a trapped crowd votes against the crowd;
 * otherwise open interest rising with a price move (new positions behind it) follows the move; falling open interest
 * (positions closing) says nothing.
 */
export const derivatives: SignalFn<SignalParams['derivatives']> = (s, _prev, p) => {
  const fl = s.flow;
  if (!fl) return na('needs flow');
  if (fl.fundingExtreme === true && fl.fundingRate !== null) return vote(sign(-fl.fundingRate), 1, `extreme funding ${f(fl.fundingRate * 100, 4)} %`);
  if (fl.crowdBias !== null && fl.crowdBias !== 'neutral' && fl.trapIndex !== null && fl.trapIndex >= p.trapMin) {
    return vote(fl.crowdBias === 'long' ? -1 : 1, fl.trapIndex, `crowd ${fl.crowdBias}, trap index ${f(fl.trapIndex, 2)}`);
  }
  const oi = fl.derivatives?.oiChangePct;
  const px = fl.derivatives?.oiPriceChangePct;
  if (oi !== null && oi !== undefined && px !== null && px !== undefined) {
    if (oi >= p.oiMinPct && Math.abs(px) >= p.priceMinPct) return vote(sign(px), oi / p.oiFullPct, `open interest +${f(oi, 2)} % with price ${px > 0 ? '+' : ''}${f(px, 2)} %`);
    return none(`open interest ${oi >= 0 ? '+' : ''}${f(oi, 2)} %, price ${px >= 0 ? '+' : ''}${f(px, 2)} %${fl.crowdBias ? `, crowd ${fl.crowdBias}` : ''}`);
  }
  if (fl.crowdBias === null) return na('needs flow.crowdBias or flow.derivatives.oiChangePct');
  return none(`crowd ${fl.crowdBias}, trap ${fl.trapIndex === null ? 'n/a' : f(fl.trapIndex, 2)}`);
};
