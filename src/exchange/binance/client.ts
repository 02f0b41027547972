// Builds the ccxt binanceusdm client for an environment: demo (enableDemoTrading), testnet (legacy sandbox),
// mainnet, or paper (every REST URL pointed at the loopback venue), plus the matching WebSocket base URL.
// Guarantees: 429/418 errors carry the server's Retry-After; in paper mode no request can leave the loopback venue.
import * as ccxt from 'ccxt';

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

/** binanceusdm whose rate-limit errors say how long the server asked us to wait. */
export class BosunBinanceUsdm extends ccxt.binanceusdm {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override handleErrors(code: number, reason: string, url: string, method: string, headers: Record<string, string>, body: string, response: any, requestHeaders: any, requestBody: any): undefined {
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
