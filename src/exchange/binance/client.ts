// Builds the ccxt binanceusdm client for an environment: demo (enableDemoTrading), testnet (legacy sandbox),
// mainnet, or paper (every REST URL pointed at the loopback venue), plus the matching WebSocket base URL.
// Guarantees: 429/418 errors carry the server's Retry-After; in paper mode no request can leave the loopback venue.
import * as ccxt from './ccxt-lib.js';

export type Environment = 'paper' | 'demo' | 'testnet' | 'mainnet';

export interface ClientOptions {
  environment: Environment;
  /** Paper: the loopback venue, e.g. http://127.0.0.1:8765. */
  url?: string | null;
  apiKey?: string | undefined;
  secret?: string | undefined;
  recvWindowMs: number;
  timeoutMs: number;
}

/** Binance's usage headers of one answer (absent ones undefined). */
export interface UsageHeaders {
  usedWeight1m?: number;
  orderCount10s?: number;
  orderCount1m?: number;
}

const header = (h: Record<string, string>, name: string): number | undefined => {
  const raw = h[name] ?? h[name.toLowerCase()] ?? Object.entries(h).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

/** binanceusdm whose rate-limit errors say how long the server asked us to wait, and which reports every answer's usage headers. */
export class BosunBinanceUsdm extends ccxt.binanceusdm {
  /** Called with the X-MBX-USED-WEIGHT-1M and X-MBX-ORDER-COUNT-* headers of every answer (errors included). */
  onUsage: ((u: UsageHeaders) => void) | null = null;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override handleErrors(code: number, reason: string, url: string, method: string, headers: Record<string, string>, body: string, response: any, requestHeaders: any, requestBody: any): undefined {
    if (this.onUsage && headers) {
      const u: UsageHeaders = { usedWeight1m: header(headers, 'X-MBX-USED-WEIGHT-1M'), orderCount10s: header(headers, 'X-MBX-ORDER-COUNT-10S'), orderCount1m: header(headers, 'X-MBX-ORDER-COUNT-1M') };
      if (u.usedWeight1m !== undefined || u.orderCount10s !== undefined || u.orderCount1m !== undefined) this.onUsage(u);
    }
    if (code === 429 || code === 418) {
      const raw = headers['Retry-After'] ?? headers['retry-after'];
      const e = code === 418 ? new ccxt.DDoSProtection(`${this.id} ${code} ${reason} ${body}`) : new ccxt.RateLimitExceeded(`${this.id} ${code} ${reason} ${body}`);
      if (raw !== undefined && Number.isFinite(Number(raw))) (e as unknown as { retryAfterMs: number }).retryAfterMs = Number(raw) * 1000;
      throw e;
    }
    return super.handleErrors(code, reason, url, method, headers, body, response, requestHeaders, requestBody);
  }
}

export function wsBaseUrl(o: Pick<ClientOptions, 'environment' | 'url'>): string {
  switch (o.environment) {
    case 'paper':
      if (!o.url) throw new Error('paper mode needs the loopback venue URL');
      return o.url.replace(/^http/, 'ws');
    case 'demo':
    case 'testnet':
      return 'wss://fstream.binancefuture.com';
    case 'mainnet':
      return 'wss://fstream.binance.com';
  }
}

export function createClient(o: ClientOptions): BosunBinanceUsdm {
  const ex = new BosunBinanceUsdm({
    apiKey: o.apiKey,
    secret: o.secret,
    // ccxt's own limiter paces requests to Binance's weights; the loopback venue has no such limit (its faults do).
    enableRateLimit: o.environment !== 'paper',
    timeout: o.timeoutMs,
    options: {
      defaultType: 'swap',
      recvWindow: o.recvWindowMs,
      adjustForTimeDifference: false,
      warnOnFetchOpenOrdersWithoutSymbol: false,
      fetchCurrencies: false,
      disableFuturesSandboxWarning: true,
    },
  });
  if (o.environment === 'demo') ex.enableDemoTrading(true);
  if (o.environment === 'testnet') ex.setSandboxMode(true);
  if (o.environment === 'paper') {
    if (!o.url) throw new Error('paper mode needs the loopback venue URL');
    const origin = new URL(o.url).origin;
    const api = ex.urls['api'] as Record<string, string>;
    // Keep each endpoint's path, swap the host: anything ccxt calls lands on the venue (and is logged if unknown).
    ex.urls['api'] = Object.fromEntries(Object.entries(api).map(([k, v]) => [k, typeof v === 'string' ? origin + new URL(v).pathname : v]));
  }
  return ex;
}
