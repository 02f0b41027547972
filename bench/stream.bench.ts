// Market-stream frame handling: frames parsed, validated (zod) and published on the real bus, vs bare JSON.parse.
// Goal: at least 50,000 frames/s end to end (Binance sends ~100/s for two symbols); the ratio shows zod's and the bus's cost.
import { MessageChannel } from 'node:worker_threads';
import { PortBus } from '../src/bus/port-bus.js';
import { SIM_MARKETS } from '../src/exchange/sim/markets.js';
import { marketFrame } from '../src/exchange/sim/server/format.js';
import type { MarketFrame } from '../src/exchange/sim/venue.js';
import { parseMarketFrame } from '../src/exchange/stream/frames.js';
import { MarketStream } from '../src/exchange/stream/market-stream.js';
import type { BenchLine } from './report.js';

/** A realistic mix: trades most often, then book tops, mark prices and klines (two symbols). */
function frames(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const m = SIM_MARKETS[i % 2]!;
    const ts = 1_760_000_000_000 + i * 37;
    const px = 30_000 + (i % 200) * 0.1;
    const k = i % 20;
    const f: MarketFrame =
      k < 10 ? { kind: 'aggTrade', symbol: m.symbol, id: i, price: px, qty: 0.012, buyerMaker: i % 3 === 0, ts }
        : k < 15 ? { kind: 'book', symbol: m.symbol, updateId: i, bid: (px - 0.1).toFixed(1), bidQty: '2', ask: px.toFixed(1), askQty: '3', ts }
          : k < 18 ? { kind: 'mark', symbol: m.symbol, mark: px, index: px - 0.5, fundingRate: 0.0001, nextFundingTime: ts + 3_600_000, ts }
            : { kind: 'kline', candle: { symbol: m.symbol, tf: '1m', openTime: Math.floor(ts / 60_000) * 60_000, open: px, high: px + 5, low: px - 5, close: px + 1, volume: 12.5, takerBuyVolume: 6, closed: k === 19 }, ts };
    out.push(JSON.stringify(marketFrame(f, m)));
  }
  return out;
}

const rate = (n: number, ms: number) => n / (ms / 1000);

export default async function run(): Promise<BenchLine[]> {
  const input = frames(100_000);
  const time = (fn: () => void) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  const { port1, port2 } = new MessageChannel();
  port2.on('message', () => undefined);
  const bus = new PortBus('market-feed', Date.now, 'b-', [{ to: 'analytics', topics: ['market.candle', 'market.trades', 'market.book', 'market.mark'], port: port1 }], []);
  const bySymbol = new Map(SIM_MARKETS.map((m) => [m.id, m.symbol]));
  const stream = new MarketStream({
    wsBase: 'ws://unused', symbols: ['BTCUSDT', 'ETHUSDT'], book: 'bookTicker', onOpen: () => undefined, onClose: () => undefined,
    onEvent: (e) => {
      const symbol = bySymbol.get(e.venueSymbol)!;
      if (e.kind === 'trade') bus.publish('market.trades', { symbol, trades: [e.trade] });
      else if (e.kind === 'book') bus.publish('market.book', { ...e.book, symbol });
      else if (e.kind === 'mark') bus.publish('market.mark', { ...e.mark, symbol });
      else if (e.kind === 'kline' && e.candle.closed) bus.publish('market.candle', { ...e.candle, symbol });
    },
  });
  let best = { parse: Infinity, validate: Infinity, full: Infinity };
  for (let round = 0; round < 3; round++) {
    best = {
      parse: Math.min(best.parse, time(() => input.forEach((f) => JSON.parse(f)))),
      validate: Math.min(best.validate, time(() => input.forEach((f) => parseMarketFrame(f)))),
      full: Math.min(best.full, time(() => input.forEach((f) => stream.handle(f)))),
    };
    await new Promise((r) => setTimeout(r, 50));
  }
  port1.close();
  bus.close();
  const parse = rate(input.length, best.parse);
  const full = rate(input.length, best.full);
  return [
    { name: 'stream frames parsed + validated + published', value: full, unit: 'frames/s', baseline: { name: 'bare JSON.parse', value: parse }, goal: '≥ 50,000 frames/s', met: full >= 50_000 },
    { name: 'stream frames parsed + validated (no publish)', value: rate(input.length, best.validate), unit: 'frames/s', baseline: { name: 'bare JSON.parse', value: parse } },
  ];
}
