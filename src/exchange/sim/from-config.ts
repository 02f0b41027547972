// Builds the simulated venue (and its loopback server) from the daemon config: markets, fees, market source, clock.
// Guarantees the embedded venue (paper mode) and a standalone `bosun venue` are the same venue given the same config.
import { resolve } from 'node:path';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log/logger.js';
import { createPool, type Pool } from '../../store/pool.js';
import { noDerivatives, replayDerivatives, syntheticDerivatives, type CandleLoader, type VenueDerivatives } from './derivatives.js';
import { replayFromCsv, replayFromDb, syntheticSource, type MarketSource } from './market-source.js';
import { VenueServer } from './server/server.js';
import { VenueStore } from './store.js';
import { Venue, type VenueOptions } from './venue.js';

/** Keys a paper venue accepts when none are set in the environment: not secrets, the venue is loopback-only. */
export const PAPER_KEYS = { apiKey: 'bosun-paper-api-key', apiSecret: 'bosun-paper-api-secret' } as const;

export async function marketSourceFor(config: Config, venuePool: Pool): Promise<MarketSource> {
  const m = config.venue.market;
  switch (m.source) {
    case 'synthetic':
      return syntheticSource(config.market.synthetic);
    case 'replay_csv': {
      const missing = config.symbols.filter((s) => !m.files[s]);
      if (missing.length) throw new Error(`venue.market.files has no CSV for ${missing.join(', ')}`);
      return replayFromCsv(Object.fromEntries(config.symbols.map((s) => [s, resolve(m.files[s]!)])));
    }
    case 'replay_db': {
      if (!m.dbUrl) return replayFromDb(venuePool, config.symbols);
      const p = createPool({ url: m.dbUrl, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 1 });
      try {
        return await replayFromDb(p, config.symbols);
      } finally {
        await p.end();
      }
    }
  }
}

/**
 * The venue's derivatives source for this config (`venue.derivatives.source`; 'auto': generated for the synthetic
 * market, the replayed database's tables for replay_db, none for replay_csv).
 */
export async function derivativesFor(config: Config, venuePool: Pool): Promise<((candles: CandleLoader) => VenueDerivatives) | undefined> {
  const v = config.venue;
  const kind = v.derivatives.source === 'auto' ? { synthetic: 'synthetic', replay_db: 'replay_db', replay_csv: 'none' }[v.market.source] : v.derivatives.source;
  if (kind === 'none') return () => noDerivatives;
  if (kind === 'synthetic') {
    // The typical volume open interest is scaled to: the synthetic market's (a replay's volumes move it around that).
    const p = { ...v.derivatives.synthetic, seed: config.market.synthetic.seed, refVolume: config.market.synthetic.baseVolume, fundingIntervalMs: v.fundingIntervalMs, interestRate: v.interestRate };
    return (candles) => syntheticDerivatives(p, candles);
  }
  const read = async (pool: Pool) => replayDerivatives(pool, config.symbols);
  let d: VenueDerivatives;
  if (!v.market.dbUrl) d = await read(venuePool);
  else {
    const p = createPool({ url: v.market.dbUrl, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 1 });
    try {
      d = await read(p);
    } finally {
      await p.end();
    }
  }
  return () => d;
}

export function venueOptions(config: Config, source: MarketSource, over: Partial<VenueOptions> = {}): VenueOptions {
  const v = config.venue;
  return {
    venueId: v.venueId,
    symbols: config.symbols,
    sim: {
      takerFee: config.execution.takerFee, makerFee: config.execution.makerFee, startingBalance: config.execution.paperStartingBalance, leverage: config.risk.leverage,
      marketFill: v.matching === 'bars' ? 'next_bar' : 'immediate', participation: v.participation, fundingIntervalMs: v.fundingIntervalMs, interestRate: v.interestRate,
      liquidationFeeRate: v.liquidationFeeRate, markSmoothing: v.markSmoothing, rejectWouldTrigger: v.rejectWouldTrigger,
      positionMode: v.account.positionMode, marginType: v.account.marginType,
    },
    matching: v.matching,
    speed: config.clock.speed,
    source,
    historyMinutes: v.historyMinutes,
    maxCatchUpMinutes: v.maxCatchUpMinutes,
    minWallStepMs: v.minWallStepMs,
    maxStepsPerMinute: v.maxStepsPerMinute,
    loopMs: v.loopMs,
    ...over,
  };
}

export interface VenueServerSetup {
  pool: Pool;
  log: Logger;
  apiKey: string;
  apiSecret: string;
  host?: string;
  port?: number;
  venue?: Partial<VenueOptions>;
}

/** A loopback venue server for this config; call start(). Restarts reload the venue from `pool`. */
export async function venueServerFor(config: Config, s: VenueServerSetup): Promise<VenueServer> {
  const source = await marketSourceFor(config, s.pool);
  const derivatives = await derivativesFor(config, s.pool);
  const opts = venueOptions(config, source, { ...(derivatives ? { derivatives } : {}), ...s.venue });
  return new VenueServer({
    open: () => Venue.open(opts, new VenueStore(s.pool, opts.venueId), s.log),
    apiKey: s.apiKey, apiSecret: s.apiSecret, host: s.host ?? config.venue.host, port: s.port ?? config.venue.port, log: s.log,
    listenKeyValidityMs: config.venue.listenKeyValidityMs, maxConnectionMs: config.venue.maxConnectionMs,
  });
}
