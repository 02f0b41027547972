// The daemon in the main thread: config, database, clock, supervisor, control socket, signals.
// Guarantees: nothing starts before the database is migrated and of the right mode; SIGTERM/SIGINT stop the
// actors in reverse order and exit 0; exceeding restart intensity exits 1; startup and recovery are one path.
import type { Server } from 'node:net';
import { pathToFileURL } from 'node:url';
import { checkApiConfig } from '../api/token.js';
import { clockFromSpec } from '../clock/clock.js';
import { LockstepCell } from '../clock/lockstep.js';
import { loadConfig, readSecrets } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { listenControl } from '../control/socket.js';
import { BosunError, ConfigError, ExitCode } from '../errors.js';
import { closeLogger, createLogger, prettyLogs, type Logger } from '../log/logger.js';
import { OPERATOR_ACTIONS, type OperatorAction } from '../ops/operator.js';
import { queryRaw } from '../ops/queries/index.js';
import { OpsRuntime } from '../ops/runtime.js';
import type { AlertPayload } from '../protocol/index.js';
import { distRoot, fromRoot } from '../paths.js';
import { prepareDatabase } from '../store/migrate.js';
import { ensureEmbeddedDb, type EmbeddedDb } from '../store/embedded.js';
import { createPool, safeDbUrl, type Pool } from '../store/pool.js';
import { loadSupervisorSpec } from '../supervisor/spec.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { clockSpecFor, saveAnchor } from './clock-anchor.js';
import { recordConfigRun, requireMainnetPromotion } from './config-run.js';
import { buildStatus } from './status.js';
import { ensurePaperKeys, fetchVenueClock, sameClock, startEmbeddedVenue, type EmbeddedVenue } from './venue-link.js';

export interface RunOptions {
  configFile: string;
  supervisorFile?: string;
  confirmMainnet?: boolean;
  env?: NodeJS.ProcessEnv;
}

export function requireMainnetConfirmation(config: Config, flag: boolean, env: NodeJS.ProcessEnv): void {
  if (config.mode !== 'mainnet') return;
  if (flag || env.BOSUN_CONFIRM_MAINNET === 'yes') return;
  throw new ConfigError(
    'refusing to start on MAINNET without explicit confirmation: real money is at stake. ' +
      'Pass --confirm-mainnet or set BOSUN_CONFIRM_MAINNET=yes once you have checked the config.',
  );
}

/** Runs until stopped; resolves with the process exit code. */
export async function runDaemon(opts: RunOptions): Promise<number> {
  const env = opts.env ?? process.env;
  const { config } = loadConfig(opts.configFile, env);
  requireMainnetConfirmation(config, !!opts.confirmMainnet, env);
  checkApiConfig(config, env);
  // The configured database on this host does not answer: a private mariadbd (var/mariadb/<port>) serves it, until we stop.
  const embedded = await ensureEmbeddedDb(config.db.url, { env, adopt: true });
  try {
    return await runOn(opts, env, config, embedded);
  } catch (err) {
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

async function runOn(opts: RunOptions, env: NodeJS.ProcessEnv, config: Config, embedded: EmbeddedDb | null): Promise<number> {
  // Workers inherit the choice (they cannot see the terminal themselves).
  process.env.BOSUN_LOG_FORMAT ??= prettyLogs() ? 'pretty' : 'json';
  const log = createLogger({ level: config.log.level, name: 'supervisor', db: { url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, level: config.ops.dbLogLevel } });
  log.info({ mode: config.mode, environment: config.exchange.environment, venue: config.exchange.venue, db: safeDbUrl(config.db.url), config: opts.configFile }, `bosun starting in ${config.mode.toUpperCase()} mode`);
  if (embedded) {
    const what = embedded.how === 'started' ? `nothing answered at ${embedded.host}:${embedded.port}: started the ${embedded.describe()}` : `the database is the ${embedded.describe()}${embedded.how === 'adopted' ? ', left by an earlier run: adopted (stopped with this daemon)' : ', started by another process'}`;
    log.info({ dir: embedded.dir, port: embedded.port, pid: embedded.pid, socket: embedded.socket, how: embedded.how }, what);
  }
  const spec = loadSupervisorSpec(opts.supervisorFile ?? fromRoot('supervisor.config.json'));

  const migrated = await prepareDatabase(config.db.url, config.mode, config.db.connectTimeoutMs);
  if (migrated.applied.length) log.info({ applied: migrated.applied }, 'migrations applied');
  const keys = readSecrets(env);
  if (config.mode !== 'paper' && (!keys.apiKey || !keys.apiSecret)) {
    throw new ConfigError(`${config.mode} mode trades on Binance (${config.exchange.environment}): set BOSUN_API_KEY and BOSUN_API_SECRET in the environment (never in a config file)`);
  }
  const pool = createPool({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 2 });
  await requireMainnetPromotion(pool, config, opts.configFile).catch(async (err) => {
    await pool.end().catch(() => undefined);
    throw err;
  });
  // Paper: the venue (embedded, or external at exchange.url) owns simulated time; every actor adopts its clock.
  let venue: EmbeddedVenue | null = null;
  let runConfig = config;
  let clockSpec = await clockSpecFor(pool, config.clock.speed);
  let venueClock: Awaited<ReturnType<typeof fetchVenueClock>> | null = null;
  // Lockstep replay: one shared clock cell for this thread, the venue's (which steps it) and every worker's.
  const lockstep = config.clock.pace === 'lockstep' ? LockstepCell.create() : undefined;
  if (config.mode === 'paper') {
    let url = config.exchange.url;
    if (!url) {
      // A fresh paper database has no time of its own (simStart is the wall clock then): a replay venue starts after its
      // history, not at today's date.
      const fresh = clockSpec.simStart === clockSpec.wallStart && config.venue.market.source !== 'synthetic';
      const resumeAt = fresh ? null : clockSpec.simStart;
      venue = await startEmbeddedVenue(config, ensurePaperKeys(env === process.env ? process.env : env), resumeAt, log, lockstep);
      url = venue.url;
    }
    venueClock = await fetchVenueClock(url);
    const [row] = await pool.query<Array<{ t: number | null }>>("SELECT MAX(open_time) AS t FROM candles WHERE tf = '1m'");
    if (row?.t && row.t > venueClock.now) {
      await venue?.stop();
      throw new ConfigError(`the paper database has candles up to ${new Date(row.t).toISOString()} but the venue's clock is at ${new Date(venueClock.now).toISOString()}: the venue belongs to another database or was reset; use a fresh paper database`);
    }
    if (venueClock.speed !== config.clock.speed) log.warn({ venue: venueClock.speed, config: config.clock.speed }, 'the venue runs at another speed; adopting the venue clock');
    clockSpec = { simStart: venueClock.simStart, wallStart: venueClock.wallStart, speed: venueClock.speed, ...(lockstep ? { lockstep } : {}) };
    runConfig = { ...config, clock: { speed: venueClock.speed, pace: config.clock.pace }, exchange: { ...config.exchange, url } };
    log.info({ venue: url, embedded: !!venue, venueId: venueClock.venueId, epoch: venueClock.epoch, simNow: new Date(venueClock.now).toISOString() }, 'paper mode on the loopback venue; adopted its clock');
  }
  const clock = clockFromSpec(clockSpec);
  const configRun = await recordConfigRun(pool, config, clock, log);
  const sup = new Supervisor({
    spec, config: runConfig, clock: clockSpec, log, now: () => clock.now(),
    resolveEntry: (entry) => pathToFileURL(`${distRoot}/${entry}`),
    testHooks: env.BOSUN_TEST_HOOKS === '1',
  });
  const ops = new OpsRuntime({ sup, spec, config: runConfig, pool, clock, log, env });
  const startedAt = Date.now();
  const socketPath = fromRoot(config.control.socketPath);
  let server: Server | null = null;
  let stopping: Promise<number> | null = null;
  let anchorTimer: NodeJS.Timeout | null = null;
  let venueWatch: NodeJS.Timeout | null = null;
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));

  const stop = (code: number, why: string): Promise<number> => {
    if (stopping) return stopping;
    stopping = (async () => {
      log.info({ why }, 'stopping');
      ops.stoppingNow(why);
      if (anchorTimer) clearInterval(anchorTimer);
      const budget = spec.children.reduce((a, c) => a + c.shutdownMs, 0) + 2000;
      const hard = setTimeout(() => {
        log.fatal({ budgetMs: budget }, 'shutdown exceeded its time budget; exiting');
        process.exit(ExitCode.failure);
      }, budget);
      hard.unref();
      if (sup.running) sup.bus.publish('supervisor.alert', { severity: 'info', code: 'daemon.stopping', text: `bosun stopping in ${config.mode.toUpperCase()} mode: ${why}` });
      await sup.shutdown();
      if (venueWatch) clearInterval(venueWatch);
      await venue?.stop().catch(() => undefined);
      await ops.close();
      server?.close();
      if (config.clock.speed !== 1) await saveAnchor(pool, clock.now()).catch(() => undefined);
      await configRun.stop();
      await pool.end().catch(() => undefined);
      await embedded?.stop().catch((e) => log.warn({ err: (e as Error).message }, 'stopping the embedded MariaDB failed'));
      clearTimeout(hard);
      log.info({ code }, 'stopped');
      await closeLogger(log);
      resolveExit(code);
      return code;
    })();
    return stopping;
  };

  const onSignal = (sig: string) => void stop(ExitCode.ok, `received ${sig}`);
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  sup.once('escalated', (child: string) => void stop(ExitCode.failure, `restart intensity exceeded (last crash: ${child})`));

  server = await listenControl(socketPath, (cmd, args) => handle(cmd, args));
  const handle = async (cmd: string, args: Record<string, unknown>): Promise<unknown> => {
    switch (cmd) {
      case 'status': {
        const doc = await buildStatus(sup, pool, runConfig, clock, startedAt, ops);
        doc.db.embedded = embedded ? { pid: embedded.pid, dir: embedded.dir, port: embedded.port, socket: embedded.socket, text: embedded.describe() } : null;
        return doc;
      }
      case 'query':
        // The operator's reads by name (Telegram's path to the query layer the API and status use).
        return queryRaw({ pool, config: runConfig, now: () => clock.now() }, String(args.name ?? ''), args.args ?? {});
      case 'pause':
      case 'resume':
      case 'flatten':
      case 'force-exit':
      case 'kill-switch':
        return ops.operator.act(cmd satisfies OperatorAction, { by: 'unidentified control-socket client', ...args });
      case 'command': {
        const actor = String(args.actor ?? '');
        const name = String(args.name ?? '');
        // Operator actions take one path, where they are recorded: never around it.
        if (actor === 'execution' && (name === 'flatten' || name === 'halt')) throw new Error(`use the ${name === 'halt' ? 'kill-switch' : name} action, which records who and when`);
        return sup.call(actor, name, (h) => h.call(name, (api) => api.command(name, (args.args as Record<string, unknown>) ?? {}), sup.callTimeoutMs));
      }
      case 'test.crash': {
        const actor = String(args.actor ?? '');
        await sup.call(actor, 'crash', (h) => h.call('crash', (api) => api.crash(), sup.callTimeoutMs));
        return { ok: true };
      }
      case 'test.alert': {
        if (env.BOSUN_TEST_HOOKS !== '1') throw new Error('test hooks are disabled');
        for (const a of (args.alerts as AlertPayload[]) ?? []) sup.bus.publish('supervisor.alert', a);
        return { ok: true };
      }
      default:
        throw new Error(`unknown command ${cmd} (known: status, query, ${OPERATOR_ACTIONS.join(', ')}, command)`);
    }
  };

  void venue?.exited.then((code) => void stop(ExitCode.failure, `the embedded paper venue stopped (exit ${code})`));
  if (venueClock) {
    const first = venueClock;
    venueWatch = setInterval(() => {
      fetchVenueClock(runConfig.exchange.url!, 1).then(
        (c) => {
          if (!sameClock(first, c)) void stop(ExitCode.failure, `the venue re-anchored its clock (epoch ${first.epoch} → ${c.epoch}); restarting to adopt it`);
        },
        (err) => log.warn({ err: (err as Error).message }, 'venue clock check failed'),
      );
    }, 5000);
    venueWatch.unref();
  }
  await ops.beforeStart();
  try {
    await sup.start();
  } catch (err) {
    await stop(ExitCode.failure, `start failed: ${(err as Error).message}`);
    throw new BosunError(`bosun could not start its actors: ${(err as Error).message}`);
  }
  // Lockstep: the venue's stepper may move time from now on (each step waits for every actor to be idle).
  if (lockstep) new LockstepCell(lockstep).go();
  anchorTimer = setInterval(() => {
    if (config.clock.speed !== 1) saveAnchor(pool, clock.now()).catch((e) => log.warn({ err: (e as Error).message }, 'saving the clock anchor failed'));
  }, 5000);
  anchorTimer.unref();
  ops.started();
  sup.bus.publish('supervisor.alert', { severity: 'info', code: 'daemon.started', text: `bosun started in ${config.mode.toUpperCase()} mode (${config.exchange.environment}${runConfig.exchange.url ? ` via ${runConfig.exchange.url}` : ''}, ${config.symbols.join(', ')})` });
  log.info({ actors: sup.status().map((a) => ({ id: a.id, threadId: a.threadId })), socket: socketPath }, 'all actors running');
  // The API and dashboard come up once the actors run, so they never delay (or compete with) the actors' start.
  if (!stopping) void ops.startApi((cmd, args) => handle(cmd, args));
  return exited;
}

export type { Logger, Pool };
