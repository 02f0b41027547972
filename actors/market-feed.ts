// market-feed worker: the feed machine on the exchange's WebSocket streams (ws) with REST backfill through the gateway;
// persists every candle it emits; polls the derivatives statistics (open interest, long/short ratios, taker volume,
// funding history) and streams forced liquidations, storing and publishing both. Guarantees: frames and REST values are
// validated (malformed ones counted, dropped); trades are batched and book tops throttled so the bus carries bounded
// traffic; a restart resumes after the last stored candle and the last complete derivatives period.
import { fromPromise } from 'xstate';
import { marketFeedMachine, type BackfillInput, type FeedContext } from '../machines/market-feed.machine.js';
import { lockstepWork } from '../src/clock/lockstep.js';
import { bucketStart } from '../src/domain/timeframes.js';
import type { CcxtGateway } from '../src/exchange/ccxt-gateway.js';
import type { MarketEvent } from '../src/exchange/stream/frames.js';
import { MarketStream } from '../src/exchange/stream/market-stream.js';
import { DerivativesPoller } from '../src/market/derivatives-poll.js';
import { runActor } from '../src/host/host.js';
import type { BookTop, Candle, DerivativesUpdate, Liquidation, LiquidationsBatch, Trade } from '../src/protocol/index.js';
import { BatchWriter } from '../src/store/batch-writer.js';
import { candlesBetween, lastCandle, upsertCandles } from '../src/store/repos/candles.js';
import { insertLiquidations, insertOpenInterest, upsertFunding, upsertMetrics } from '../src/store/repos/derivatives.js';
import { inTx } from '../src/store/tx.js';

const MINUTE = 60_000;

runActor(async (ctx) => {
  const { config, clock, log } = ctx;
  const pool = ctx.db();
  // The gateway (ccxt is large) and the stream are built in onStart, off the supervisor's start-up path.
  let gw: CcxtGateway | null = null;
  let stream: MarketStream | null = null;
  const bySymbolId = new Map<string, string>();
  const source = config.exchange.venue === 'sim' ? 'sim' : 'binance';
  const writer = new BatchWriter<Candle>({
    write: (rows) => upsertCandles(pool, rows, source),
    maxBatch: config.market.persistBatch,
    flushMs: config.market.persistFlushMs,
    onHealth: (err) => ctx.setDegraded(err ? `candle writes failing: ${err.message}` : null),
  });
  const s = config.exchange.stream;
  let actor: { send(e: unknown): void } | null = null;
  const send = (e: unknown) => actor?.send(e);
  // Derivatives (polled updates and liquidation batches) are written in order, each batch in one transaction.
  type DerivRecord = { update: DerivativesUpdate } | { liquidations: LiquidationsBatch };
  const derivWriter = new BatchWriter<DerivRecord>({
    write: (rows) => inTx(pool, async (conn) => {
      for (const r of rows) {
        if ('update' in r) {
          await upsertMetrics(conn, r.update.metrics, source);
          await upsertFunding(conn, r.update.funding, source);
          if (r.update.openInterest) await insertOpenInterest(conn, [r.update.openInterest], source);
        } else await insertLiquidations(conn, r.liquidations.liquidations, source);
      }
    }),
    maxBatch: config.market.persistBatch,
    flushMs: config.market.persistFlushMs,
    onHealth: (err) => ctx.setDegraded(err ? `derivatives writes failing: ${err.message}` : null),
  });
  const dcfg = config.market.derivatives;
  let poller: DerivativesPoller | null = null;
  // Forced liquidations are batched per symbol (at most every liquidationsBatchMs); in a lockstep replay each goes out
  // as it is handled, so the replay waits for it like any frame.
  const liqs = new Map<string, Liquidation[]>();
  const flushLiquidations = () => {
    for (const [symbol, list] of liqs) if (list.length) send({ type: 'stream.liquidations', batch: { symbol, liquidations: list.splice(0) } });
  };
  const liqTimer = setInterval(flushLiquidations, dcfg.liquidationsBatchMs);

  // Trades are batched per symbol, book tops throttled per symbol: the bus gets bounded traffic whatever the stream rate.
  const trades = new Map<string, Trade[]>();
  const books = new Map<string, { book: BookTop; sentAt: number; pending: boolean }>();
  let lastAlive = 0;
  const alive = () => {
    const t = Date.now();
    if (t - lastAlive >= s.staleAfterMs / 8) {
      lastAlive = t;
      send({ type: 'stream.alive' });
    }
  };
  const flushTrades = () => {
    for (const [symbol, list] of trades) if (list.length) send({ type: 'stream.trades', batch: { symbol, trades: list.splice(0) } });
    for (const [symbol, b] of books) {
      if (b.pending && Date.now() - b.sentAt >= s.bookThrottleMs) {
        b.pending = false;
        b.sentAt = Date.now();
        send({ type: 'stream.book', book: { ...b.book, symbol } });
      }
    }
  };
  const batchTimer = setInterval(flushTrades, s.tradesBatchMs);

  const onEvent = (e: MarketEvent) => {
    const symbol = bySymbolId.get(e.venueSymbol);
    if (!symbol) return;
    switch (e.kind) {
      case 'kline':
        if (e.candle.closed) send({ type: 'stream.candle', candle: { ...e.candle, symbol } });
        else alive();
        return;
      case 'trade': {
        const list = trades.get(symbol) ?? [];
        list.push(e.trade);
        trades.set(symbol, list);
        return alive();
      }
      case 'book': {
        const b = books.get(symbol) ?? { book: { ...e.book, symbol }, sentAt: 0, pending: false };
        b.book = { ...e.book, symbol };
        b.pending = true;
        books.set(symbol, b);
        if (Date.now() - b.sentAt >= s.bookThrottleMs) flushTrades();
        return alive();
      }
      case 'mark':
        return send({ type: 'stream.mark', mark: { ...e.mark, symbol } });
      case 'liquidation': {
        const list = liqs.get(symbol) ?? [];
        list.push({ ...e.liquidation, symbol });
        liqs.set(symbol, list);
        if (lockstepWork.cell) flushLiquidations();
        return alive();
      }
    }
  };

  const connect = async () => {
    gw = (await import('../src/exchange/from-config.js')).gatewayFromConfig(config, { now: () => clock.now(), log, private: false });
    const markets = await gw.loadMarkets();
    const missing = config.symbols.filter((x) => !markets.some((m) => m.symbol === x));
    if (missing.length) throw new Error(`${gw.name} does not list ${missing.join(', ')}`);
    for (const m of markets) if (config.symbols.includes(m.symbol)) bySymbolId.set(m.id, m.symbol);
    const st: MarketStream = new MarketStream({
      wsBase: gw.wsBase, symbols: [...bySymbolId.keys()], book: s.book,
      onOpen: () => {
        send({ type: 'ws.open' });
        // From now on the forceOrder stream sees every liquidation: an empty window is a real zero.
        if (dcfg.enabled) for (const symbol of config.symbols) send({ type: 'stream.liquidations', batch: { symbol, liquidations: [], coverageFrom: clock.now() } });
      },
      onClose: (reason) => send({ type: 'ws.closed', reason }),
      onEvent,
      onMalformed: (error) => log.warn({ error, malformed: st.counters.malformed }, 'malformed market frame dropped'),
    });
    stream = st;
  };

  /** REST backfill: pages of klines from each symbol's `from` until `until`; only candles closed by then. */
  const backfill = async ({ input }: { input: BackfillInput }): Promise<Candle[]> => {
    const out: Candle[] = [];
    for (const symbol of config.symbols) {
      let from = input.from[symbol]!;
      while (from + MINUTE <= input.until) {
        const page = (await gw!.fetchOhlcv(symbol, '1m', from, 1500)).filter((c) => c.openTime >= from && c.openTime + MINUTE <= input.until);
        out.push(...page);
        if (!page.length) break;
        from = page.at(-1)!.openTime + MINUTE;
      }
    }
    if (out.length) log.info({ candles: out.length, from: new Date(Math.min(...Object.values(input.from))).toISOString() }, 'backfilled candles over REST');
    return out;
  };

  const machine = marketFeedMachine.provide({
    actions: { openSocket: () => stream?.connect(), closeSocket: () => stream?.drop() },
    actors: { backfill: fromPromise(backfill) },
  });
  return {
    machine,
    input: {
      symbols: config.symbols, now: () => clock.now(), speed: config.clock.speed, timeframes: config.market.timeframes,
      staleAfterMs: s.staleAfterMs, reconnectInitialMs: s.reconnectInitialMs, reconnectMaxMs: s.reconnectMaxMs, rotateAfterMs: s.rotateAfterMs, connectTimeoutMs: 10_000,
      maxBackfillMinutes: 7 * 1440, initialHistoryMinutes: config.analytics.warmupCandles, seed: config.market.synthetic.seed,
    },
    routes: {},
    details: (a) => {
      const c = a.getSnapshot().context as FeedContext;
      return {
        source: gw?.name ?? 'connecting', candles: c.stats.candles, backfilled: c.stats.backfilled, reconnects: c.stats.reconnects, staleEvents: c.stats.staleEvents,
        gapsBackfilled: c.stats.gapsBackfilled,
        exchange: { connected: /streaming|stale|backfilling/.test(String(a.getSnapshot().value)), clockOffsetMs: gw?.clockOffsetMs ?? null, latencyMs: gw?.stats.lastLatencyMs ?? null },
        frames: stream?.counters.frames ?? 0, malformedFrames: stream?.counters.malformed ?? 0, lastError: c.lastError, unwritten: writer.pending + derivWriter.pending,
        derivatives: poller ? { ...poller.stats } : null,
      };
    },
    onStart: async (a) => {
      await connect();
      actor = a;
      a.on('market.candle', (ev: { payload: Candle }) => writer.push(ev.payload));
      a.on('market.derivatives', (ev: { payload: DerivativesUpdate }) => derivWriter.push({ update: ev.payload }));
      a.on('market.liquidations', (ev: { payload: LiquidationsBatch }) => ev.payload.liquidations.length && derivWriter.push({ liquidations: ev.payload }));
      const last: Record<string, number | null> = {};
      const recent: Candle[] = [];
      for (const symbol of config.symbols) {
        const c = await lastCandle(pool, symbol, '1m');
        last[symbol] = c ? c.openTime : null;
        if (c) recent.push(...(await candlesBetween(pool, symbol, '1m', bucketStart(c.openTime + MINUTE, '4h'), c.openTime + MINUTE)));
      }
      a.send({ type: 'feed.loaded', last, recent });
      if (dcfg.enabled && gw) {
        poller = new DerivativesPoller({
          gw, pool, clock, log, symbols: config.symbols, cfg: dcfg, initialHistoryMinutes: config.analytics.warmupCandles,
          publish: (update) => send({ type: 'derivatives.polled', update }),
        });
        poller.start();
      }
    },
    dispose: async () => {
      clearInterval(batchTimer);
      clearInterval(liqTimer);
      poller?.stop();
      stream?.drop();
      await poller?.idle();
      await derivWriter.close();
      await writer.close();
      await gw?.close();
    },
  };
});
