// Order path: a 1m candle closing on the venue → the entry order its decision sends accepted by the venue, through the
// real daemon (`bosun run`, six workers) trading the loopback venue, next to a bare ccxt createOrder to the same venue in
// the same run, and to the same job done bare (the entry's stop, then the entry, in series: two round trips).
// Both ends are the venue's own moments (closed kline sent, order saved and announced), on its clock.
import { loadConfig } from '../src/config/load.js';
import { clientOrderId } from '../src/domain/ids.js';
import { CcxtGateway } from '../src/exchange/ccxt-gateway.js';
import { venueServerFor } from '../src/exchange/sim/from-config.js';
import { createLogger } from '../src/log/logger.js';
import { fromRoot } from '../src/paths.js';
import { tradingOverrides } from '../test/helpers/chaos.js';
import { deepMerge } from '../test/helpers/config.js';
import { startDaemon } from '../test/helpers/daemon.js';
import { freshDb } from './fresh-db.js';
import { pct, type BenchLine } from './report.js';

const KEYS = { apiKey: 'bench-order-path-key', apiSecret: 'bench-order-path-secret' };
const TRADED = ['BTC/USDT:USDT', 'ETH/USDT:USDT'];
/** The bare orders go to a market the daemon does not trade, far from the price (they rest, then are cancelled). */
const BARE = 'SOL/USDT:USDT';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isFirstEntry = (clientId: string) => /^bsn-[0-9a-f]{24}-e0$/.test(clientId);

export default async function run(): Promise<BenchLine[]> {
  const want = Number(process.env.BENCH_ORDER_PATH_SAMPLES ?? 100);
  const limitMs = Number(process.env.BENCH_ORDER_PATH_MAX_SEC ?? 300) * 1000;
  const speed = Number(process.env.BENCH_ORDER_PATH_SPEED ?? 300);
  const venueDb = await freshDb('opath_venue');
  const daemonDb = await freshDb('opath_daemon');
  const log = createLogger({ level: 'fatal', sync: true });
  const base = loadConfig(fromRoot('config', 'paper.json'), {}).config;
  // A jumpy synthetic market so positions close within seconds and the next entry comes soon.
  const config = { ...base, symbols: [...TRADED, BARE], clock: { ...base.clock, speed }, market: { ...base.market, synthetic: { ...base.market.synthetic, volatility: 0.004, regimeMinutes: 60 } } };
  const server = await venueServerFor(config, { pool: venueDb.pool, log, ...KEYS, port: 0, venue: { historyMinutes: 180 } });
  const { url } = await server.start();
  const venue = server.venue;
  const closes = new Map<string, number>();
  const accepted = new Map<string, number>();
  const offMarket = venue.onMarket((f) => {
    if (f.kind === 'kline' && f.candle.closed && f.candle.tf === '1m') closes.set(`${f.candle.symbol}|${f.candle.openTime + 60_000}`, performance.now());
  });
  /** The entry's stop (placed before it): when the venue accepted it, by client id. */
  const stopAt = new Map<string, number>();
  const offUser = venue.onUser((e) => {
    if (e.kind === 'order' && e.exec === 'NEW' && isFirstEntry(e.order.clientId) && !accepted.has(e.order.clientId)) accepted.set(e.order.clientId, performance.now());
    if (e.kind === 'algo' && e.order.status === 'new' && /-s0$/.test(e.order.clientId) && !stopAt.has(e.order.clientId)) stopAt.set(e.order.clientId, performance.now());
  });
  const gw = new CcxtGateway({
    environment: 'paper', url, apiKey: KEYS.apiKey, secret: KEYS.apiSecret, recvWindowMs: 5000, timeoutMs: 5000, retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 },
    userStream: { keepAliveMs: 60_000, pollMs: 1000, pingIntervalMs: 1000, pongTimeoutMs: 1000, reconnectInitialMs: 100, reconnectMaxMs: 1000 }, now: () => venue.now(), log,
  });
  const d = startDaemon({
    dbUrl: daemonDb.url,
    // The crash test's always-trading strategy, with a stop far enough that the mark is rarely past it when the decision
    // arrives (an entry deliberately held back is not order-path latency); the target keeps positions short.
    overrides: deepMerge(tradingOverrides(url, TRADED, speed), { clock: { speed }, risk: { stopPct: 0.01, takeProfitPct: 0.003 }, log: { level: 'warn' } }),
    env: { BOSUN_API_KEY: KEYS.apiKey, BOSUN_API_SECRET: KEYS.apiSecret },
  });
  const bare: number[] = [];
  /** The same job done bare: the entry's stop (closePosition, algo API), then the entry, in series, as bosun must. */
  const barePair: number[] = [];
  let seq = 0;
  let rows: Array<{ client_id: string; decision_id: string; symbol: string; ts: number }> = [];
  try {
    await gw.loadMarkets();
    await d.waitRunning(120_000);
    // The bare baseline, interleaved with the daemon's trading: a raw ccxt createOrder of a limit that rests.
    const t0 = Date.now();
    while (Date.now() - t0 < limitMs && (accepted.size < want + 3 || bare.length < want)) {
      if (d.proc.exitCode !== null) throw new Error(`the daemon exited ${d.proc.exitCode}: ${d.output().slice(-2000)}`);
      const id = `bare-${++seq}`;
      const b0 = performance.now();
      await gw.ex.createOrder(BARE, 'limit', 'buy', 1, 10, { clientOrderId: id, timeInForce: 'GTC' });
      bare.push(performance.now() - b0);
      await gw.cancelOrder(BARE, id, false);
      const [sid, eid] = [`bare-${++seq}-s`, `bare-${seq}-e`];
      const p0 = performance.now();
      await gw.ex.createOrder(BARE, 'market', 'sell', undefined as unknown as number, undefined, { clientOrderId: sid, stopLossPrice: 5, closePosition: true });
      await gw.ex.createOrder(BARE, 'limit', 'buy', 1, 10, { clientOrderId: eid, timeInForce: 'GTC' });
      barePair.push(performance.now() - p0);
      await gw.cancelOrder(BARE, eid, false);
      await gw.cancelOrder(BARE, sid, true);
      await sleep(150);
    }
    // Each first entry attempt against the close of the candle its decision was made on (decisions.ts is that close).
    rows = await daemonDb.pool.query<Array<{ client_id: string; decision_id: string; symbol: string; ts: number }>>(
      "SELECT o.client_id, o.decision_id, o.symbol, d.ts FROM orders o JOIN decisions d ON d.id = o.decision_id WHERE o.leg = 'entry' AND o.attempt = 0",
    );
  } finally {
    await d.stop('SIGTERM');
    offMarket();
    offUser();
    await gw.close();
    await server.stop();
    await venueDb.drop().catch(() => undefined);
    await daemonDb.drop().catch(() => undefined);
  }
  const lat: number[] = [];
  const toStop: number[] = [];
  let unpaired = 0;
  for (const r of rows) {
    const at = accepted.get(r.client_id);
    const close = closes.get(`${r.symbol}|${Number(r.ts)}`);
    const stop = stopAt.get(clientOrderId(r.decision_id, 'sl', 0));
    if (at === undefined || close === undefined) unpaired++;
    else {
      lat.push(at - close);
      if (stop !== undefined && stop <= at) toStop.push(stop - close);
    }
  }
  // The first entries come while the daemon is still warming up (startup work in the same threads): left out.
  const a = lat.slice(Math.min(3, Math.floor(lat.length / 10)));
  if (a.length < 5) throw new Error(`order-path: only ${a.length} entries measured (${rows.length} entry rows, ${unpaired} without a venue close or acceptance)`);
  const [p50, p99, b50, b99] = [pct(a, 50), pct(a, 99), pct(bare, 50), pct(bare, 99)];
  const [pp50, pp99] = [pct(barePair, 50), pct(barePair, 99)];
  const ms = (x: number) => `${x.toFixed(1)}ms`;
  process.stdout.write(`order-path bosun p50=${ms(p50)} p99=${ms(p99)} bare p50=${ms(b50)} p99=${ms(b99)} ratio=${(p50 / b50).toFixed(2)} close→stop accepted p50=${toStop.length ? ms(pct(toStop, 50)) : '-'} bare stop+entry p50=${ms(pp50)} p99=${ms(pp99)} ratio-protected=${(p50 / pp50).toFixed(2)} (n=${a.length} entries, ${bare.length} bare orders, ${unpaired} unpaired, clock ${speed}×)\n`);
  return [
    { name: 'candle close → entry accepted on venue p50', value: p50, unit: 'ms', baseline: { name: 'bare ccxt createOrder', value: b50 }, goal: '≤ 1.5× bare', met: p50 <= 1.5 * b50 },
    { name: 'candle close → entry accepted on venue p99', value: p99, unit: 'ms', baseline: { name: 'bare ccxt createOrder', value: b99 } },
    { name: 'candle close → entry accepted on venue p50, vs the bare protected entry', value: p50, unit: 'ms', baseline: { name: 'bare ccxt stop then entry, in series', value: pp50 } },
  ];
}
