// `bosun venue`: the simulated Binance USD-M venue as its own process (loopback HTTP + WebSocket), state in MariaDB.
// Guarantees it survives any number of daemon restarts and, restarted itself, resumes from its saved state.
import type { Command } from 'commander';
import { loadConfig, readSecrets } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../log/logger.js';
import { prepareDatabase } from '../../store/migrate.js';
import { createPool, safeDbUrl } from '../../store/pool.js';
import { configOf, type CliContext } from '../shared.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('venue')
    .description('run the simulated Binance USD-M venue (loopback HTTP + WebSocket) until SIGTERM')
    .option('-c, --config <file>', 'paper config (symbols, market, fees, clock speed, venue section)')
    .option('--port <n>', 'port to listen on (default: venue.port)')
    .option('--host <h>', 'address to bind (default: venue.host)')
    .option('--db <url>', 'database for the venue state (default: venue.dbUrl, else db.url)')
    .option('--venue-id <id>', 'venue id in the venue_* tables (default: venue.venueId)')
    .action(async (o: { config?: string; port?: string; host?: string; db?: string; venueId?: string }) => {
      const { config } = loadConfig(configOf(o.config));
      if (config.mode !== 'paper') throw new ConfigError(`bosun venue simulates the exchange for paper mode; ${config.mode} configs trade on Binance`);
      const dbUrl = o.db ?? config.venue.dbUrl ?? config.db.url;
      const log = createLogger({ level: config.log.level, name: 'venue' });
      await prepareDatabase(dbUrl, 'paper', config.db.connectTimeoutMs);
      const pool = createPool({ url: dbUrl, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 4 });
      const s = readSecrets();
      if (!s.apiKey || !s.apiSecret) log.warn('BOSUN_API_KEY / BOSUN_API_SECRET not set: the venue accepts the built-in paper keys');
      const { PAPER_KEYS, venueServerFor } = await import('../../exchange/sim/from-config.js');
      const server = await venueServerFor(
        { ...config, venue: { ...config.venue, ...(o.venueId ? { venueId: o.venueId } : {}) } },
        { pool, log, apiKey: s.apiKey ?? PAPER_KEYS.apiKey, apiSecret: s.apiSecret ?? PAPER_KEYS.apiSecret, ...(o.host ? { host: o.host } : {}), ...(o.port !== undefined ? { port: Number(o.port) } : {}) },
      );
      const { url } = await server.start();
      process.stdout.write(`bosun venue listening on ${url} (venue ${server.venue.o.venueId}, ${config.clock.speed}x, db ${safeDbUrl(dbUrl)})\n`);
      await new Promise<void>((resolveStop) => {
        const stop = () => resolveStop();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await server.stop();
      await pool.end();
      log.info('venue stopped');
      log.flush();
      ctx.code = 0;
    });
}
