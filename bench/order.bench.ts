// Order round trip through CcxtGateway (ccxt binanceusdm, HMAC signing) to the loopback venue, p50/p99, next to a
// bare signed HTTP request for the same order on the same server (the venue's own work: matching + MariaDB commit).
// Goal: ccxt (request building, signing, parsing) at most doubles what the venue costs itself: p50 ≤ 2× the bare request.
import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { loadConfig } from '../src/config/load.js';
import { CcxtGateway } from '../src/exchange/ccxt-gateway.js';
import { venueServerFor } from '../src/exchange/sim/from-config.js';
import { createLogger } from '../src/log/logger.js';
import { fromRoot } from '../src/paths.js';
import { freshDb } from './fresh-db.js';
import { pct, type BenchLine } from './report.js';

const KEY = 'bench-key';
const SECRET = 'bench-secret';

export default async function run(): Promise<BenchLine[]> {
  const { pool, drop } = await freshDb('order');
  const log = createLogger({ level: 'fatal', sync: true });
  const { config } = loadConfig(fromRoot('config', 'paper.json'), {});
  const server = await venueServerFor(config, { pool, log, apiKey: KEY, apiSecret: SECRET, port: 0, venue: { historyMinutes: 10 } });
  const { url: venueUrl, port } = await server.start();
  const gw = new CcxtGateway({
    environment: 'paper', url: venueUrl, apiKey: KEY, secret: SECRET, recvWindowMs: 5000, timeoutMs: 5000, retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 },
    userStream: { keepAliveMs: 60_000, pollMs: 1000, pingIntervalMs: 1000, pongTimeoutMs: 1000, reconnectInitialMs: 100, reconnectMaxMs: 1000 }, now: () => server.venue.now(), log,
  });
  await gw.loadMarkets();
  await gw.fetchBalance();
  await gw.setLeverage('BTC/USDT:USDT', 125); // a thousand resting orders fit the paper balance
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let seq = 0;
  const bare = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const q = `symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.01&price=10000&timeInForce=GTC&newClientOrderId=bare-${++seq}&newOrderRespType=RESULT&timestamp=${Date.now()}&recvWindow=5000`;
      const body = `${q}&signature=${createHmac('sha256', SECRET).update(q).digest('hex')}`;
      const r = request({ host: '127.0.0.1', port, path: '/fapi/v1/order', method: 'POST', agent, headers: { 'X-MBX-APIKEY': KEY, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}: ${text}`))));
      });
      r.on('error', reject);
      r.end(body);
    });
  const viaGateway = () => gw.createOrder({ symbol: 'BTC/USDT:USDT', clientId: `gw-${++seq}`, side: 'buy', type: 'limit', qty: '0.01', price: '10000', timeInForce: 'GTC' }).then(() => undefined);
  const measure = async (fn: () => Promise<void>, n: number) => {
    const lat: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await fn();
      lat.push(performance.now() - t0);
    }
    return lat.slice(Math.floor(n / 10));
  };
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < 2; round++) {
    b.push(...(await measure(bare, 250)));
    a.push(...(await measure(viaGateway, 250)));
  }
  await gw.close();
  agent.destroy();
  await server.stop();
  await drop();
  const g50 = pct(a, 50);
  const b50 = pct(b, 50);
  return [
    { name: 'order round trip via ccxt gateway p50', value: g50, unit: 'ms', baseline: { name: 'bare signed POST', value: b50 }, goal: '≤ 2× bare', met: g50 <= 2 * b50 },
    { name: 'order round trip via ccxt gateway p99', value: pct(a, 99), unit: 'ms', baseline: { name: 'bare signed POST', value: pct(b, 99) } },
  ];
}
