// Execution: decision-to-order latency through the real execution worker (a decision.made published on the bus → the
// venue's "order accepted" event), and startup reconciliation with 3 positions and 20 open orders, each against a same-run
// baseline: a bare ccxt createOrder round trip, and a bare fetchPositions + fetchOpenOrders of the same symbols.
import { MessageChannel } from 'node:worker_threads';
import { PortBus } from '../src/bus/port-bus.js';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { CcxtGateway } from '../src/exchange/ccxt-gateway.js';
import { PAPER_KEYS, venueServerFor } from '../src/exchange/sim/from-config.js';
import { Ledger } from '../src/execution/ledger.js';
import { OrderManager } from '../src/execution/order-manager.js';
import { reconcile } from '../src/execution/reconcile.js';
import { createLogger } from '../src/log/logger.js';
import { fromRoot } from '../src/paths.js';
import type { Decision } from '../src/protocol/index.js';
import { ChildHandle } from '../src/supervisor/child.js';
import type { Pool } from '../src/store/pool.js';
import { freshDb } from './fresh-db.js';
import { pct, type BenchLine } from './report.js';
import { PROTECTION } from '../test/helpers/config.js';

const SYMBOLS = ['BTC/USDT:USDT', 'ETH/USDT:USDT', 'SOL/USDT:USDT'];
/** Position sizes (small against the paper balance) and how many resting limits each symbol gets (17 in all). */
const STEP: Record<string, number> = { 'BTC/USDT:USDT': 0.001, 'ETH/USDT:USDT': 0.001, 'SOL/USDT:USDT': 1 };
const sizeFor = (s: string, px: number) => (Math.ceil(250 / px / STEP[s]!) * STEP[s]!).toFixed(STEP[s]! < 1 ? 3 : 0);
const RESTING: Record<string, number> = { 'BTC/USDT:USDT': 9, 'ETH/USDT:USDT': 8, 'SOL/USDT:USDT': 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export default async function run(): Promise<BenchLine[]> {
  const db = await freshDb('exec');
  const log = createLogger({ level: 'fatal', sync: true });
  const base = loadConfig(fromRoot('config', 'paper.json'), {}).config;
  const server = await venueServerFor({ ...base, symbols: SYMBOLS }, { pool: db.pool, log, apiKey: PAPER_KEYS.apiKey, apiSecret: PAPER_KEYS.apiSecret, port: 0, venue: { historyMinutes: 10 } });
  const { url } = await server.start();
  const venue = server.venue;
  const gw = new CcxtGateway({
    environment: 'paper', url, apiKey: PAPER_KEYS.apiKey, secret: PAPER_KEYS.apiSecret, recvWindowMs: 5000, timeoutMs: 5000, retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 },
    userStream: { keepAliveMs: 60_000, pollMs: 1000, pingIntervalMs: 1000, pongTimeoutMs: 1000, reconnectInitialMs: 100, reconnectMaxMs: 1000 }, now: () => venue.now(), log,
  });
  try {
    await gw.loadMarkets();
    for (const s of SYMBOLS) await gw.setLeverage(s, 20);
    const debug = process.env.BENCH_DEBUG ? (m: string) => process.stderr.write(`${m}\n`) : () => undefined;
    const latency = await decisionToOrder({ ...base, db: { ...base.db, url: db.url }, symbols: ['BTC/USDT:USDT'], exchange: { ...base.exchange, url }, log: { level: 'fatal' } }, venue, gw);
    debug(`decision → order: ${latency.a.length} samples`);
    const rec = await startupReconciliation(db.pool, gw, venue.now.bind(venue), log);
    const [l50, b50, r50, f50] = [pct(latency.a, 50), pct(latency.b, 50), pct(rec.a, 50), pct(rec.b, 50)];
    return [
      { name: 'decision → order on venue p50', value: l50, unit: 'ms', baseline: { name: 'bare ccxt createOrder', value: b50 } },
      { name: 'decision → order on venue p99', value: pct(latency.a, 99), unit: 'ms', baseline: { name: 'bare ccxt createOrder', value: pct(latency.b, 99) } },
      { name: 'startup reconciliation (3 pos, 20 orders) p50', value: r50, unit: 'ms', baseline: { name: 'bare fetchPositions+fetchOpenOrders', value: f50 } },
      { name: 'startup reconciliation (3 pos, 20 orders) p99', value: pct(rec.a, 99), unit: 'ms', baseline: { name: 'bare fetchPositions+fetchOpenOrders', value: pct(rec.b, 99) } },
    ];
  } finally {
    await gw.close();
    await server.stop();
    await db.drop();
  }
}

type VenueT = Awaited<ReturnType<typeof venueServerFor>>['venue'];

/** The real execution worker on the bus: publish a decision, time until the venue accepts its entry; flatten; repeat. */
async function decisionToOrder(config: Config, venue: VenueT, gw: CcxtGateway): Promise<{ a: number[]; b: number[] }> {
  const symbol = config.symbols[0]!;
  const toExec = new MessageChannel();
  const child = new ChildHandle('execution', {
    spec: { id: 'execution', entry: 'actors/execution.js', restart: 'temporary', shutdownMs: 10_000 },
    entryUrl: new URL('../actors/execution.js', import.meta.url), config, clock: venue.clock, out: [], in: [{ from: 'decision', port: toExec.port2 }],
    incarnation: 'bench', heartbeatMs: 1000, testHooks: false, onReport: () => undefined,
  });
  const bus = new PortBus('decision', () => venue.now(), 'bench-', [{ to: 'execution', topics: ['decision.made', 'market.mark'], port: toExec.port1 }], []);
  const state = async () => String((await child.call('status', (api) => api.status(), 5000)).machineState);
  const accepted = new Map<string, number>();
  const off = venue.onUser((e) => {
    if (e.kind === 'order' && e.exec === 'NEW' && e.order.clientId.startsWith('bsn-') && !accepted.has(e.order.clientId)) accepted.set(e.order.clientId, performance.now());
  });
  const mark = () => venue.core.mark(symbol) ?? Number(venue.current(symbol)?.close);
  const marks = setInterval(() => bus.publish('market.mark', { symbol, ts: venue.now(), markPrice: mark() }), 50);
  const a: number[] = [];
  const b: number[] = [];
  try {
    await child.call('start', (api) => api.start(), 60_000);
    for (const until = Date.now() + 60_000; /booting|reconciling/.test(await state()) && Date.now() < until; ) await sleep(20);
    for (let i = 0; i < 40; i++) {
      for (const until = Date.now() + 10_000; !/flat/.test(await state()) && Date.now() < until; ) await sleep(10);
      const now = venue.now();
      const px = mark();
      const decisionId = `bench-${i}-${now}`;
      const before = accepted.size;
      const d: Decision = {
        decisionId, symbol, ts: now, strategy: 'bench', verdict: 'BUY', score: 1, vetoes: [], reasoning: 'bench',
        intent: {
          decisionId, symbol, side: 'long', entry: { reference: String(px), low: (px * 0.995).toFixed(1), high: (px * 1.005).toFixed(1) },
          stopLoss: (px * 0.9).toFixed(1), takeProfits: [{ price: (px * 1.1).toFixed(1), fraction: 1 }], qty: '0.01', notional: (px * 0.01).toFixed(2),
          maxSlippage: 0.01, expiresAt: now + 3_600_000, confidence: 1, allowMarket: true,
        },
      };
      const t0 = performance.now();
      bus.publish('decision.made', d);
      for (const until = Date.now() + 10_000; accepted.size === before && Date.now() < until; ) await new Promise((r) => setImmediate(r));
      const t1 = [...accepted.values()].slice(before)[0];
      if (t1 !== undefined && i >= 4) a.push(t1 - t0);
      await child.call('flatten', (api) => api.command('flatten', { by: 'bench', source: 'bench' }), 30_000).catch(() => undefined);
      // The baseline in between: the same venue, a bare ccxt order that rests far from the price.
      const g0 = performance.now();
      await gw.createOrder({ symbol: 'ETH/USDT:USDT', clientId: `bare-${i}-${now}`, side: 'buy', type: 'limit', qty: '0.1', price: '300', timeInForce: 'GTC' });
      if (i >= 4) b.push(performance.now() - g0);
    }
  } finally {
    clearInterval(marks);
    off();
    await child.call('stop', (api) => api.stop(), 15_000).catch(() => undefined);
    await child.worker.terminate();
    bus.close();
  }
  return { a, b };
}

/** 3 positions with their stops and 17 resting limits on the venue, adopted once; then the steady restart case, timed. */
async function startupReconciliation(pool: Pool, gw: CcxtGateway, now: () => number, log: ReturnType<typeof createLogger>): Promise<{ a: number[]; b: number[] }> {
  await pool.query("DELETE FROM orders WHERE client_id LIKE 'bare-%'");
  for (const s of SYMBOLS) {
    for (const o of await gw.fetchOpenOrders(s)) await gw.cancelOrder(s, o.clientId, o.type === 'stop_market' || o.type === 'take_profit_market');
  }
  for (const [i, s] of SYMBOLS.entries()) {
    const px = Number((await gw.fetchMarkPrice(s)).markPrice);
    await gw.createOrder({ symbol: s, clientId: `pos-${i}`, side: 'buy', type: 'market', qty: sizeFor(s, px) });
    await gw.createOrder({ symbol: s, clientId: `sl-${i}`, side: 'sell', type: 'stop_market', stopPrice: (px * 0.8).toFixed(2), closePosition: true, workingType: 'MARK_PRICE' });
    for (let k = 0; k < RESTING[s]!; k++) {
      await gw.createOrder({ symbol: s, clientId: `rest-${i}-${k}`, side: 'buy', type: 'limit', qty: sizeFor(s, px), price: (px * (0.7 - k * 0.01)).toFixed(2), timeInForce: 'GTC' });
    }
  }
  const ledger = new Ledger(pool, now);
  const orders = new OrderManager(gw, ledger, log, { protection: PROTECTION,  recvWindowMs: 5000, maxSends: 1 });
  await orders.loadMarkets();
  const opts = { protection: { defaultStopPct: 0.2, defaultTakeProfitPct: 0.4 }, settleMs: 0, foreignOrders: 'adopt' as const };
  const first = await reconcile(gw, ledger, orders, SYMBOLS, now(), opts);
  const open = (await Promise.all(SYMBOLS.map((s) => gw.fetchOpenOrders(s)))).flat();
  if (first.positions.length !== 3 || open.length < 20) throw new Error(`bench setup: ${first.positions.length} positions, ${open.length} open orders`);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const r = await reconcile(gw, ledger, orders, SYMBOLS, now(), opts);
    if (i >= 3) a.push(performance.now() - t0);
    if (r.anomalies.length) throw new Error(`a repeated reconciliation changed something: ${r.anomalies.map((x) => x.kind).join(', ')}`);
    const t1 = performance.now();
    await gw.fetchPositions(SYMBOLS);
    for (const s of SYMBOLS) await gw.fetchOpenOrders(s);
    if (i >= 3) b.push(performance.now() - t1);
  }
  return { a, b };
}
