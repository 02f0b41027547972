// Builds the daemon's ExchangeGateway from its config: CcxtGateway on Binance (demo/testnet/mainnet) or on the
// loopback venue (paper). Guarantees keys come only from the environment and a live mode without keys is refused.
import type { Config } from '../config/schema.js';
import { readSecrets } from '../config/secrets.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { CcxtGateway } from './ccxt-gateway.js';
import { PAPER_KEYS } from './sim/from-config.js';

export interface GatewayNeeds {
  now: () => number;
  log: Logger;
  /** Private endpoints (orders, account, user-data stream) are used. */
  private: boolean;
  env?: NodeJS.ProcessEnv;
}

export function gatewayFromConfig(config: Config, n: GatewayNeeds): CcxtGateway {
  const x = config.exchange;
  const s = readSecrets(n.env ?? process.env);
  const paper = x.environment === 'paper';
  if (paper && !x.url) throw new ConfigError('paper mode: the loopback venue URL is unknown (the daemon sets it when it starts its venue, or set exchange.url / BOSUN_VENUE_URL)');
  if (!paper && n.private && (!s.apiKey || !s.apiSecret)) {
    throw new ConfigError(`${config.mode} mode trades on Binance (${x.environment}): set BOSUN_API_KEY and BOSUN_API_SECRET in the environment`);
  }
  return new CcxtGateway({
    environment: x.environment, url: paper ? x.url : null,
    apiKey: s.apiKey ?? (paper ? PAPER_KEYS.apiKey : undefined), secret: s.apiSecret ?? (paper ? PAPER_KEYS.apiSecret : undefined),
    recvWindowMs: x.recvWindowMs, timeoutMs: x.timeoutMs, retry: x.retry, rateLimit: x.rateLimit,
    userStream: {
      keepAliveMs: x.userStream.keepAliveMs, pollMs: x.userStream.pollMs, pingIntervalMs: x.stream.pingIntervalMs, pongTimeoutMs: x.stream.pongTimeoutMs,
      reconnectInitialMs: x.stream.reconnectInitialMs, reconnectMaxMs: x.stream.reconnectMaxMs,
    },
    now: n.now, log: n.log,
  });
}
