// The crash test: `bosun venue` as its own process, the paper daemon on it, kill -9 at random points of the order
// lifecycle and restart, N times. Guarantees every restart that finishes reconciling is checked against the venue.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'mariadb';
import { createTestDb, type TestDb } from './db.js';
import { daemonConfig, startDaemon, type DaemonHandle } from './daemon.js';
import { duplicateClientIds, placed, readVenue, secondsUntilProtected, settledDiff } from './chaos-checks.js';
import { startVenueProcess, type VenueProcess } from './venue-process.js';
import { sleep, waitFor } from './wait.js';

export interface ChaosOptions {
  iterations: number;
  seed: number;
  /** Venue clock speed (simulated seconds per wall second). */
  speed?: number;
  symbols?: string[];
  /** Stop-loss deadline after a restart (wall ms from the new process's spawn). */
  protectMs?: number;
  /** How long a kill waits for the next order or fill on the venue before it kills anyway. */
  eventWaitMs?: number;
  /** Upper bound of a random kill's delay after reconciliation (wall ms). */
  randomKillMs?: number;
  /** The whole run is aborted (and fails) past this. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface ChaosResult {
  iterations: number;
  kills: number;
  duplicates: number;
  maxUnprotectedSec: number;
  mismatches: number;
  checks: number;
  /** What the venue saw over the whole run (orders the daemon placed, fills). */
  venueOrders: number;
  venueFills: number;
  killsBy: Record<string, number>;
  failures: string[];
  summary: string;
}

const KEYS = { BOSUN_API_KEY: 'chaos-venue-key-0123456789', BOSUN_API_SECRET: 'chaos-venue-secret-0123456789' };
/** Where a kill is aimed, with its weight: during startup (boot or reconciliation), right after the venue accepted an
 * order, right after a venue fill, or at a random delay after reconciliation. */
const KINDS = [['startup', 3], ['order', 3], ['fill', 3], ['random', 1]] as const;

/** mulberry32: a small seeded PRNG so a failing run can be replayed with its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A config that trades all the time: any vote enters, no cooldowns, tight stops and targets so positions turn over. */
export function tradingOverrides(url: string, symbols: string[]) {
  return {
    symbols,
    exchange: { url, stream: { reconnectInitialMs: 200, staleAfterMs: 3000 }, userStream: { pollMs: 300 } },
    analytics: { warmupCandles: 60, catchUpSec: 3600 },
    decision: {
      strategy: 'chaos', cooldownSec: 0, intentTtlSec: 1800,
      presets: {
        chaos: {
          kind: 'imba', description: 'crash test: any vote trades',
          weights: { rsi_mr: 1, atr_momentum: 1, vwap_pullback: 1, vwap_bands_mr: 1, bb_squeeze: 1, ema_pinch: 1, cvd: 1, obi: 1 },
          regimeMultiplier: 1, trendSignals: [], meanReversionSignals: [], volatileSignals: [],
          sentiment: { extremeFear: -1, extremeGreed: 1, boost: 1, cut: 1 },
          thresholds: { strongBuy: 0.02, buy: 0.01, sell: -0.01, strongSell: -0.02 },
          gates: { hours: false, rangingVeto: false, minAgreement: null, mlAgreementMin: null, debounceSec: null, fundingMaxAbs: null, entryGrades: null, volatileMinStrength: null, maxRiskScore: null },
        },
      },
    },
    risk: { maxTradesPerDay: 100000, lossCooldownMin: [0], maxSlippage: 0.01, stops: 'percent', stopPct: 0.002, takeProfitPct: 0.003, riskPerTrade: 0.002, maxPositions: 3, btcRegimeGate: { enabled: false }, dailyDrawdown: 0.9, weeklyDrawdown: 0.95, emergencyDrawdown: 0.99 },
    execution: { loopMs: 250 },
    log: { level: 'warn' },
  };
}

const placedCount = (v: Parameters<typeof placed>[0]) => placed(v).length;
const pick = (x: number) => {
  const total = KINDS.reduce((a, [, w]) => a + w, 0);
  let acc = 0;
  for (const [k, w] of KINDS) if (x * total < (acc += w)) return k;
  return KINDS[0][0];
};
const maxId = async (pool: Pool, sql: string) => Number((await pool.query<Array<{ n: number | null }>>(sql))[0]?.n ?? 0);

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => undefined);
  const rand = rng(o.seed);
  const symbols = o.symbols ?? ['BTC/USDT:USDT', 'ETH/USDT:USDT'];
  const protectMs = o.protectMs ?? 5000;
  const eventWaitMs = o.eventWaitMs ?? 8000;
  const deadline = Date.now() + (o.timeoutMs ?? 30 * 60_000);
  const r = { venueOrders: 0, venueFills: 0, kills: 0, duplicates: 0, maxUnprotectedSec: 0, mismatches: 0, checks: 0, killsBy: {} as Record<string, number>, failures: [] as string[] };
  let venueDb: TestDb | null = null;
  let db: TestDb | null = null;
  let venue: VenueProcess | null = null;
  let d: DaemonHandle | null = null;
  let readyMs = 4000;
  const fail = (what: string) => {
    r.failures.push(what);
    log(`FAIL ${what}`);
  };
  try {
    venueDb = await createTestDb('chaosvenue', { migrate: false });
    db = await createTestDb('chaosdaemon', { migrate: false });
    // A jumpier synthetic market than the default so stops and targets trigger within seconds.
    const market = { synthetic: { seed: o.seed, startPrice: 30000, volatility: 0.004, regimeMinutes: 60, baseVolume: 25 } };
    venue = await startVenueProcess({ dbUrl: venueDb.url, overrides: { clock: { speed: o.speed ?? 600 }, symbols, market, log: { level: 'warn' } }, env: KEYS });
    const { dir } = daemonConfig({ dbUrl: db.url });
    const overrides = tradingOverrides(venue.url, symbols);
    // CHAOS_LOG_DIR: each run's daemon log (at info) is written there as iteration-N.log, to read a failure afterwards.
    const logDir = process.env.CHAOS_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      overrides.log = { level: 'info' };
    }
    const keepLog = (i: number | string, h: DaemonHandle) => logDir && writeFileSync(join(logDir, `iteration-${i}.log`), h.output());
    const control = venue.control;

    /** Starts the daemon and waits until execution has finished startup reconciliation; null if it died first. */
    const start = () => startDaemon({ dbUrl: db!.url, dir, overrides, env: KEYS });
    // Readiness is execution leaving startup reconciliation (the other actors may still be starting).
    const reconciled = (h: DaemonHandle) =>
      waitFor('execution done reconciling', async () => {
        if (h.proc.exitCode !== null) throw new Error(`the daemon exited ${h.proc.exitCode}: ${h.output().slice(-2000)}`);
        const a = (await h.status()).actors.find((x) => x.id === 'execution');
        // machineState is null until the worker's first heartbeat: that is not "done reconciling".
        return a && a.lifecycle === 'running' && a.machineState && !/booting|reconciling/.test(a.machineState) ? a : null;
      }, 60_000, 25);
    /** Watches the venue from the restart (spawn) on: a position the killed run left without a stop counts from then. */
    const watch = (since: number) => secondsUntilProtected(control, since, protectMs + 10_000);
    const check = async (label: string, watching: ReturnType<typeof watch>) => {
      r.checks++;
      const prot = await watching;
      r.maxUnprotectedSec = Math.max(r.maxUnprotectedSec, prot.sec);
      if (prot.missing.length || prot.sec > protectMs / 1000) {
        const v = await readVenue(control);
        const orders = v.orders.filter((x) => x.book === 'algo').slice(-6).map((x) => `${x.clientId} ${x.symbol} ${x.side} ${x.type} ${x.algoStatus}`);
        fail(`${label}: ${prot.missing.length ? `still unprotected: ${prot.missing.join(', ')}` : `${prot.worst} was unprotected ${prot.sec.toFixed(2)} s`}; last conditional orders: ${orders.join('; ')}\n${d!.output().split('\n').filter((l) => /execution|reconcil/.test(l)).slice(-12).join('\n')}`);
      }
      const diff = await settledDiff(control, db!.pool, 8000);
      if (diff.length) {
        r.mismatches++;
        fail(`${label}: venue and DB disagree: ${diff.slice(0, 8).join('; ')}`);
      }
      const dups = duplicateClientIds(await readVenue(control));
      if (dups.length > r.duplicates) fail(`${label}: client ids placed twice on the venue: ${dups.join(', ')}`);
      r.duplicates = Math.max(r.duplicates, dups.length);
      const v = await readVenue(control);
      log(`${label}: protected after ${prot.sec.toFixed(2)} s${prot.worst ? ` (${prot.worst})` : ''}; venue ${placedCount(v)} orders, ${v.fills.length} fills, ${v.positions.length} positions`);
    };

    for (let i = 1; i <= o.iterations; i++) {
      if (Date.now() > deadline) throw new Error(`chaos run exceeded its time limit after ${i - 1} iterations`);
      const kind = i === 1 ? 'order' : pick(rand());
      const spawnedAt = Date.now();
      d = start();
      const watching = kind === 'startup' ? null : watch(spawnedAt);
      watching?.catch(() => undefined); // awaited by check(); a daemon that dies first leaves it unawaited
      let what: string = kind;
      if (kind === 'startup') {
        await sleep(rand() * readyMs);
      } else {
        await reconciled(d);
        const readyAt = Date.now();
        readyMs = readyAt - spawnedAt;
        log(`iteration ${i}: reconciled ${readyMs} ms after spawn`);
        await check(`iteration ${i} (after restart)`, watching!);
        if (kind === 'random') await sleep(rand() * (o.randomKillMs ?? 2500));
        else {
          const sql = kind === 'order' ? 'SELECT MAX(order_id) AS n FROM venue_orders' : 'SELECT MAX(trade_id) AS n FROM venue_fills';
          const before = await maxId(venueDb.pool, sql);
          const seen = await waitFor(`a new venue ${kind}`, async () => (await maxId(venueDb!.pool, sql)) > before, eventWaitMs, 5).catch(() => false);
          if (!seen) what = `no ${kind} within ${eventWaitMs} ms`;
          await sleep(rand() * 30);
        }
      }
      if (d.proc.exitCode !== null) fail(`iteration ${i}: the daemon exited on its own (${d.proc.exitCode}): ${d.output().slice(-1500)}`);
      d.proc.kill('SIGKILL');
      await d.exited;
      keepLog(i, d);
      d = null;
      r.kills++;
      r.killsBy[what.startsWith('no ') ? 'no_event' : kind] = (r.killsBy[what.startsWith('no ') ? 'no_event' : kind] ?? 0) + 1;
      log(`iteration ${i}: killed at ${what} after ${Date.now() - spawnedAt} ms`);
    }
    const finalAt = Date.now();
    d = start();
    const watchingFinal = watch(finalAt);
    watchingFinal.catch(() => undefined);
    await reconciled(d);
    await check('final restart', watchingFinal);
    const end = await readVenue(control);
    [r.venueOrders, r.venueFills] = [placedCount(end), end.fills.length];
    await d.waitRunning(60_000);
    const d0 = d;
    const stopped = await d.stop('SIGTERM');
    keepLog('final', d0);
    d = null;
    if (stopped.code !== 0) fail(`the daemon did not stop cleanly on SIGTERM: ${JSON.stringify(stopped)}: ${d0.output().slice(-2500)}`);
  } catch (err) {
    fail(`aborted: ${(err as Error).message}${d ? `\n${d.output().slice(-3000)}` : ''}`);
  } finally {
    await d?.stop('SIGKILL');
    await venue?.stop('SIGKILL');
    if (process.env.CHAOS_KEEP_DB) log(`kept databases ${venueDb?.name} (venue) and ${db?.name} (daemon)`);
    else {
      await venueDb?.drop().catch(() => undefined);
      await db?.drop().catch(() => undefined);
    }
  }
  const sec = Math.round(r.maxUnprotectedSec * 100) / 100;
  const summary = `chaos: iterations=${o.iterations} kills=${r.kills} duplicates=${r.duplicates} maxUnprotectedSec=${sec} mismatches=${r.mismatches}`;
  return { iterations: o.iterations, ...r, maxUnprotectedSec: sec, summary };
}
