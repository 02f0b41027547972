// Asks the configured exchange for its time: reachability, round-trip latency and clock offset, for `bosun doctor`.
// Guarantees a bounded wait (timeoutMs) and no credentials used: the server time is a public endpoint.
import type { Config } from '../config/schema.js';

export interface ProbeResult {
  reachable: boolean;
  /** Exchange time minus ours at the round trip's midpoint; null when unknown. */
  clockOffsetMs: number | null;
  latencyMs: number | null;
  detail: string;
}

export async function probeExchange(config: Config, timeoutMs = 5000): Promise<ProbeResult> {
  if (config.exchange.venue === 'sim') {
    return { reachable: true, clockOffsetMs: 0, latencyMs: 0, detail: 'the simulated venue runs in-process on the daemon clock' };
  }
  const ccxt = await import('../exchange/binance/ccxt-lib.js');
  const ex = new ccxt.binanceusdm({ timeout: timeoutMs, enableRateLimit: false });
  if (config.exchange.environment === 'demo') ex.enableDemoTrading(true);
  else if (config.exchange.environment === 'testnet') ex.setSandboxMode(true);
  // Loopback venues (tests) and proxies: a config may point the REST API elsewhere (exchange.urls, when present).
  const urls = (config.exchange as { urls?: { rest?: string } }).urls;
  if (urls?.rest) {
    const api = ex.urls.api as Record<string, string>;
    for (const k of Object.keys(api)) if (/^fapi/.test(k)) api[k] = `${urls.rest.replace(/\/+$/, '')}/fapi/v1`;
  }
  const t0 = Date.now();
  try {
    const server = await ex.fetchTime();
    const t1 = Date.now();
    return { reachable: true, clockOffsetMs: Math.round(Number(server) - (t0 + t1) / 2), latencyMs: t1 - t0, detail: `${config.exchange.venue} ${config.exchange.environment} answered` };
  } catch (err) {
    return { reachable: false, clockOffsetMs: null, latencyMs: null, detail: `${config.exchange.venue} ${config.exchange.environment} did not answer: ${(err as Error).message.split('\n')[0]!.slice(0, 200)}` };
  }
}
