// The crash test: `bosun venue` as its own process, the paper daemon on it, kill -9 at chosen points of the order
// lifecycle (and, with faults, venue faults at the same time), restart, N times. Guarantees: every restart that reaches
// trading is checked against the venue (positions, open orders, fills with their contents, final order states), trading
// must resume after it (`halted` is not ready), and bare time is rebuilt from the venue's own records for every
// position episode, across restarts and kills during startup.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'mariadb';
import type { ChaosPointName } from '../../src/ops/chaos-point.js';
import { createTestDb, type TestDb } from './db.js';
import { daemonConfig, startDaemon, type DaemonHandle } from './daemon.js';
import { duplicateClientIds, maxConcurrent, placed, positionEpisodes, readVenue, settledLedgerDiff, unprotected, type Episode, type VenueView } from './chaos-checks.js';
import { startVenueProcess, type VenueProcess } from './venue-process.js';
import { sleep, waitFor } from './wait.js';
import { mulberry32 } from './market-data.js';

export interface ChaosOptions {
  iterations: number;
  seed: number;
  /** The kill of each iteration in turn (cycled), instead of a seeded random pick: e.g. each kill point once in CI. */
  kinds?: Kind[];
  /** Combine the kills with venue faults (429 with Retry-After, timeout after accept, 5xx, WS silent drop, listenKey expiry, venue restart). */
  faults?: boolean;
  /** Venue clock speed (simulated seconds per wall second). */
  speed?: number;
  symbols?: string[];
  /** How long a kill waits for the event it is aimed at (an order, a fill, a kill point) before it kills anyway (wall ms). */
  eventWaitMs?: number;
  /** Upper bound of a random kill's delay after the daemon is trading (wall ms). */
  randomKillMs?: number;
  /** How long a restart may take to be trading again before it counts as a failure (wall ms; liveness, not speed). */
  readyTimeoutMs?: number;
  /** The whole run's time: no iteration starts once the next one could not finish within it (see minIterations). */
  timeoutMs?: number;
  /**
   * With a time budget on a loaded machine: stop starting iterations when the budget is nearly spent, as long as at least
   * this many ran (the checks after the last restart still run); fewer is a failure. Default: all of them must run.
   */
  minIterations?: number;
  log?: (line: string) => void;
}

export interface ChaosResult {
  /** Iterations run (fewer than asked when the time budget ran out; see minIterations). */
  iterations: number;
  /** The venue clock's speed (venue ms ÷ speed = wall ms). */
  speed: number;
  kills: number;
  /** Client ids placed on the venue more than once. */
  duplicates: number;
  /** Venue fills missing from the DB at the end. */
  lost: number;
  /** Checks after which the venue and the DB still disagreed (positions, open orders, fill contents, final order states). */
  mismatches: number;
  /** Longest bare time of a position episode (wall seconds: venue ms ÷ speed), and how many episodes exceeded 0.5 s. */
  maxBareSec: number;
  bareOver500ms: number;
  /** Fills that opened or grew a position while no live stop covered it (0 once the stop is placed before the entry). */
  uncoveredFills: number;
  episodes: Episode[];
  /** The most positions (symbols) open at once on the venue over the run. */
  maxConcurrent: number;
  /** Restarts checked (reached trading), and what the venue saw over the whole run. */
  checks: number;
  /** Times the daemon exited on its own during startup and was started again (as systemd would). */
  selfExits: number;
  venueOrders: number;
  venueFills: number;
  killsBy: Record<string, number>;
  faultsBy: Record<string, number>;
  failures: string[];
  summary: string;
}

const KEYS = { BOSUN_API_KEY: 'chaos-venue-key-0123456789', BOSUN_API_SECRET: 'chaos-venue-secret-0123456789' };

/**
 * Where a kill is aimed, with its weight. `startup`: during boot or reconciliation (a random delay); `reconcile`: between
 * two steps of startup reconciliation (kill point); `written`: order row committed, request not yet sent (kill point);
 * `inflight`: request on the venue, answer not received (the venue holds it; killed once it arrived); `answered`: answer
 * received, not yet written (kill point); `fill`: a fill in the ledger, its stop not yet placed (kill point); `order` /
 * `venue_fill`: right after the venue accepted an order / filled one; `random`: at a random moment while trading.
 */
const KINDS = [['startup', 2], ['reconcile', 2], ['written', 2], ['inflight', 2], ['answered', 1], ['fill', 2], ['order', 1], ['venue_fill', 1], ['random', 1]] as const;
export type Kind = (typeof KINDS)[number][0];
const POINT: Partial<Record<Kind, ChaosPointName>> = { reconcile: 'reconcile.step', written: 'order.written', answered: 'order.answered', fill: 'fill.recorded' };
const FAULTS = ['rate_limit', 'timeout_after_accept', 'server_error', 'ws_silent_drop', 'listen_key_expiry', 'venue_restart'] as const;
type FaultKind = (typeof FAULTS)[number];

/** mulberry32 (test/helpers/market-data.ts): a small seeded PRNG so a failing run can be replayed with its seed. */
const rng = mulberry32;

/** A config that trades all the time: any vote enters, no cooldowns, tight stops and targets so positions turn over. */
export function tradingOverrides(url: string, symbols: string[], speed?: number) {
  return {
    symbols,
    exchange: { url, timeoutMs: 3000, stream: { reconnectInitialMs: 200, staleAfterMs: 3000 }, userStream: { pollMs: 300 } },
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
    // With a fast clock (`speed`), polls timed in venue time (the reconciler's minute, derivatives every few venue
    // minutes) would send thousands of requests a wall minute and push the gateway into pacing (the venue counts its
    // weight per wall minute, as Binance does): the reconciler then checks every 5 wall seconds (a drift it reports
    // blocks entries on the symbol until its next check clears it), derivatives are not polled.
    ...(speed && speed > 1 ? { reconciler: { intervalSec: 5 * speed, confirmMs: 60_000 }, market: { derivatives: { enabled: false } } } : {}),
    log: { level: 'warn' },
  };
}

const placedCount = (v: VenueView) => placed(v).length;
const pickWeighted = <T extends string>(table: ReadonlyArray<readonly [T, number]>, x: number): T => {
  const total = table.reduce((a, [, w]) => a + w, 0);
  let acc = 0;
  for (const [k, w] of table) if (x * total < (acc += w)) return k;
  return table[0]![0];
};
const maxId = async (pool: Pool, sql: string) => Number((await pool.query<Array<{ n: number | null }>>(sql))[0]?.n ?? 0);
const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => undefined);
  const rand = rng(o.seed);
  const symbols = o.symbols ?? ['BTC/USDT:USDT', 'ETH/USDT:USDT'];
  const speed = o.speed ?? 600;
  const eventWaitMs = o.eventWaitMs ?? 20_000;
  const readyTimeoutMs = o.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + (o.timeoutMs ?? 30 * 60_000);
  const r = { kills: 0, duplicates: 0, lost: 0, mismatches: 0, checks: 0, selfExits: 0, killsBy: {} as Record<string, number>, faultsBy: {} as Record<string, number>, failures: [] as string[] };
  let venueDb: TestDb | null = null;
  let db: TestDb | null = null;
  let venue: VenueProcess | null = null;
  let d: DaemonHandle | null = null;
  let end: VenueView | null = null;
  let readyMs = 4000;
  let ran = 0;
  const fail = (what: string) => {
    r.failures.push(what);
    log(`FAIL ${what}`);
  };
  // Interrupted (Ctrl-C, a CI timeout): the venue and the daemon are our children; they go with us.
  const onSignal = (sig: NodeJS.Signals) => {
    for (const p of [d?.proc, venue?.proc]) if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    venueDb = await createTestDb('chaosvenue', { migrate: false });
    db = await createTestDb('chaosdaemon', { migrate: false });
    // A jumpier synthetic market than the default so stops and targets trigger within seconds.
    const market = { synthetic: { seed: o.seed, startPrice: 30000, volatility: 0.004, regimeMinutes: 60, baseVolume: 25 } };
    venue = await startVenueProcess({ dbUrl: venueDb.url, overrides: { clock: { speed }, symbols, market, log: { level: 'warn' } }, env: KEYS });
    const { dir } = daemonConfig({ dbUrl: db.url });
    const overrides = tradingOverrides(venue.url, symbols, speed);
    // CHAOS_LOG_DIR: each run's daemon log (at info) is written there as iteration-N.log, to read a failure afterwards.
    const logDir = process.env.CHAOS_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      overrides.log = { level: 'info' };
    }
    const keepLog = (i: number | string, h: DaemonHandle) => logDir && writeFileSync(join(logDir, `iteration-${i}.log`), h.output());
    const control = venue.control;
    const venueUp = () => waitFor('the venue answering', async () => control('GET', '/bosun/v1/clock').then(() => true, () => false), 30_000, 50);

    const start = (point?: string) => startDaemon({ dbUrl: db!.url, dir, overrides, env: { ...KEYS, ...(point ? { BOSUN_CHAOS_POINT: point } : {}) } });
    /**
     * Until the daemon trades: all six actors running and execution's machine `ready` (not booting, not reconciling, not
     * halted). 'exited' when the process died first (a kill point fired); a halt is a failure of the restart, never readiness.
     */
    const ready = async (h: DaemonHandle, label: string): Promise<'ready' | 'exited' | 'crashed' | 'halted' | 'timeout'> => {
      let halted: string | null = null;
      const t0 = Date.now();
      const out = await waitFor(`${label}: execution trading`, async () => {
        if (h.proc.exitCode !== null || h.proc.signalCode !== null) return 'exited' as const;
        const s = await h.status().catch(() => null);
        const a = s?.actors.find((x) => x.id === 'execution');
        if (!a?.machineState || a.lifecycle !== 'running') return null;
        if (a.machineState.startsWith('halted')) {
          halted = a.machineState;
          return 'halted' as const;
        }
        // Trading needs the whole pipeline: every actor running (market-feed starts last), execution ready.
        return a.machineState.startsWith('ready') && s!.actors.length === 6 && s!.actors.every((x) => x.lifecycle === 'running') ? ('ready' as const) : null;
      }, Math.max(10_000, Math.min(readyTimeoutMs, deadline - Date.now())), 25).catch(() => 'timeout' as const);
      if (out === 'timeout') {
        const s = await h.status().catch(() => null);
        fail(`${label}: not trading within ${Math.round((Date.now() - t0) / 1000)} s of the restart (actors: ${s ? s.actors.map((a) => `${a.id} ${a.lifecycle} ${a.machineState ?? ''}`).join(', ') : 'no answer'}): ${h.output().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-6).join(' | ')}`);
      }
      if (out === 'exited' && h.proc.signalCode !== 'SIGKILL') return 'crashed';
      if (out === 'halted') fail(`${label}: execution halted after the restart (${halted}): ${h.output().split('\n').filter((l) => /halt|reconcil/i.test(l)).slice(-6).join(' | ')}`);
      return out;
    };
    /** Every venue position ends up with a stop that closes all of it (liveness; how long it took is read from the venue). */
    const alive = (h: DaemonHandle) => h.proc.exitCode === null && h.proc.signalCode === null;
    /**
     * The live daemon after a restart: every venue position gets its stop (liveness), venue and DB agree, nothing placed
     * twice. A daemon armed with a kill point may die during the check: then it is not this restart's state that is seen,
     * and the check is left to the next restart (the duplicates and the end-of-run figures still cover everything).
     */
    const check = async (label: string, h: DaemonHandle) => {
      const ok = await waitFor(`${label}: every venue position protected`, async () => !alive(h) || !unprotected(await readVenue(control)).length, 30_000, 50).catch(() => false);
      if (!alive(h)) return log(`${label}: the kill point fired during the check; checked at the next restart`);
      if (!ok) fail(`${label}: a venue position stayed without a stop: ${unprotected(await readVenue(control)).join(', ')}`);
      const diff = await settledLedgerDiff(control, db!.pool, 20_000);
      if (!alive(h)) return log(`${label}: the kill point fired during the check; checked at the next restart`);
      r.checks++;
      r.lost = diff.lost.length;
      if (diff.lost.length || diff.other.length) {
        r.mismatches++;
        fail(`${label}: venue and DB disagree: ${[...diff.lost, ...diff.other].slice(0, 8).join('; ')}`);
      }
      const dups = duplicateClientIds(diff.venue);
      if (dups.length > r.duplicates) fail(`${label}: client ids placed twice on the venue: ${dups.join(', ')}`);
      r.duplicates = Math.max(r.duplicates, dups.length);
      log(`${label}: checked; venue ${placedCount(diff.venue)} orders, ${diff.venue.fills.length} fills, ${diff.venue.positions.length} positions`);
    };
    const fault = async (f: FaultKind) => {
      bump(r.faultsBy, f);
      const orderPath = rand() < 0.5 ? '/fapi/v1/order' : '/fapi/v1/algoOrder';
      switch (f) {
        case 'rate_limit': {
          const path = ['/fapi/v1/order', '/fapi/v1/algoOrder', '/fapi/v1/openOrders', '/fapi/v2/positionRisk', '/fapi/v1/userTrades'][Math.floor(rand() * 5)]!;
          return control('POST', '/bosun/v1/faults', { rules: [{ path, times: 1 + Math.floor(rand() * 3), fault: { kind: 'status', status: 429, retryAfterSec: 1 } }] });
        }
        case 'timeout_after_accept':
          return control('POST', '/bosun/v1/faults', { rules: [{ method: 'POST', path: orderPath, fault: { kind: 'timeout_after_accept' } }] });
        case 'server_error':
          return control('POST', '/bosun/v1/faults', { rules: [{ method: 'POST', path: orderPath, fault: rand() < 0.5 ? { kind: 'status', status: 503 } : { kind: 'error_after_accept', status: 503 } }] });
        case 'ws_silent_drop':
          return control('POST', '/bosun/v1/ws-faults', { action: 'silent_drop', scope: rand() < 0.5 ? 'user' : 'market' });
        case 'listen_key_expiry':
          return control('POST', '/bosun/v1/ws-faults', { action: 'expire_listen_key' });
        case 'venue_restart':
          await control('POST', '/bosun/v1/restart', { downMs: Math.floor(rand() * 1500) });
          await sleep(50);
          return venueUp();
      }
    };
    /**
     * Starts the daemon and waits until it trades. A daemon that exits on its own during startup (crash-only: a child that
     * cannot start stops the process) is started again, as its supervisor (systemd) would, up to 3 times in a row.
     */
    const startTrading = async (label: string, point?: string) => {
      for (let attempt = 0; ; attempt++) {
        d = start(point);
        const st = await ready(d, label);
        if (st !== 'crashed') return st;
        r.selfExits++;
        const why = d.output().split('\n').filter((l) => /"level":(50|60)/.test(l)).slice(-3).join(' | ');
        log(`${label}: the daemon exited on its own (${d.proc.exitCode}); started again as its supervisor would: ${why.slice(0, 400)}`);
        if (attempt >= 3) {
          fail(`${label}: the daemon exited on its own ${attempt + 1} times in a row: ${why}`);
          return st;
        }
      }
    };
    /** Kill -9 now (unless it died by itself), and wait for the process to be gone. */
    const kill = async (h: DaemonHandle) => {
      if (h.proc.exitCode === null && h.proc.signalCode === null) h.proc.kill('SIGKILL');
      await h.exited;
    };

    let lastIterMs = 0;
    for (let i = 1; i <= o.iterations; i++) {
      // Room for this iteration (as long as the last one took) and for the final restart and its checks.
      if (Date.now() + lastIterMs + Math.max(30_000, 2 * readyMs) > deadline) {
        const min = o.minIterations ?? o.iterations;
        (ran < min ? fail : log)(`time budget spent after ${ran} of ${o.iterations} iterations${ran < min ? ` (at least ${min} were to run)` : ''}`);
        break;
      }
      const iterStart = Date.now();
      const kind: Kind = o.kinds?.length ? o.kinds[(i - 1) % o.kinds.length]! : i === 1 ? 'order' : pickWeighted(KINDS, rand());
      const label = `iteration ${i} (${kind})`;
      const point = POINT[kind];
      const nth = kind === 'reconcile' ? 1 + Math.floor(rand() * 8) : 1 + Math.floor(rand() * 2);
      const withFault: FaultKind | null = o.faults && rand() < 0.8 ? FAULTS[Math.floor(rand() * FAULTS.length)]! : null;
      const faultEarly = withFault !== null && rand() < 0.4;
      if (withFault && faultEarly && withFault !== 'ws_silent_drop' && withFault !== 'listen_key_expiry') await fault(withFault);
      const spawnedAt = Date.now();
      let what: string = kind;
      if (kind === 'startup') {
        d = start();
        await sleep(rand() * readyMs);
      } else {
        const st = await startTrading(label, point ? `${point}:${nth}` : undefined);
        d = d!;
        if (st === 'ready') {
          readyMs = Date.now() - spawnedAt;
          log(`${label}: trading ${readyMs} ms after spawn`);
          await check(`${label} after restart`, d);
          if (withFault && !faultEarly) await fault(withFault);
        } else if (st === 'exited') {
          if (kind !== 'reconcile') what = `${kind} (during startup)`;
        } else what = `${kind} (restart ${st})`;
        if (st === 'ready') {
          if (kind === 'reconcile') {
            // Its kill point was not reached during this reconciliation (fewer steps than aimed at): killed now.
            what = 'reconcile (point not reached)';
          } else if (point) {
            const died = await waitFor(`${label}: the kill point`, async () => d!.proc.exitCode !== null || d!.proc.signalCode !== null, eventWaitMs, 10).catch(() => false);
            if (!died) what = `no ${kind} within ${eventWaitMs} ms`;
          } else if (kind === 'inflight') {
            await control('DELETE', '/bosun/v1/faults');
            const held = rand() < 0.5 ? { kind: 'timeout_after_accept' } : { kind: 'latency', ms: 1500 };
            await control('POST', '/bosun/v1/faults', { rules: [{ method: 'POST', path: rand() < 0.5 ? '/fapi/v1/order' : '/fapi/v1/algoOrder', fault: held }] });
            const arrived = await waitFor(`${label}: an order request on the venue`, async () => (await control<{ faultsPending: number }>('GET', '/bosun/v1/health')).faultsPending === 0, eventWaitMs, 5).catch(() => false);
            if (!arrived) what = `no ${kind} within ${eventWaitMs} ms`;
          } else if (kind === 'random') {
            await sleep(rand() * (o.randomKillMs ?? 2500));
          } else {
            const sql = kind === 'order' ? 'SELECT MAX(order_id) AS n FROM venue_orders' : 'SELECT MAX(trade_id) AS n FROM venue_fills';
            const from = await maxId(venueDb.pool, sql);
            const seen = await waitFor(`a new venue ${kind}`, async () => (await maxId(venueDb!.pool, sql)) > from, eventWaitMs, 5).catch(() => false);
            if (!seen) what = `no ${kind} within ${eventWaitMs} ms`;
            else await sleep(rand() * 30);
          }
          // Trading resumed after the restart: an order written, sent or answered after it was trading.
          if (what.startsWith('no ') && ['written', 'answered', 'inflight', 'order'].includes(kind)) {
            const tail = d.output().split('\n').filter((l) => /"name":"(execution|decision|reconciler)"/.test(l)).slice(-12).join('\n');
            fail(`${label}: trading did not resume: ${what} after the restart\n${tail}`);
          }
        }
      }
      const byPoint = d.proc.signalCode === 'SIGKILL';
      await kill(d);
      keepLog(i, d);
      d = null;
      await control('DELETE', '/bosun/v1/faults');
      r.kills++;
      bump(r.killsBy, what.startsWith('no ') ? 'no_event' : what);
      log(`${label}: killed${byPoint ? ' (by its kill point)' : ''} at ${what} after ${Date.now() - spawnedAt} ms${withFault ? `, fault ${withFault}${faultEarly ? ' before the restart' : ''}` : ''}`);
      ran++;
      lastIterMs = Date.now() - iterStart;
    }
    // The last restart: no kill point, no fault; it must trade, be protected and agree with the venue.
    await control('DELETE', '/bosun/v1/faults');
    if ((await startTrading('final restart')) === 'ready') {
      await check('final restart', d!);
      const before = placedCount(await readVenue(control));
      const resumed = await waitFor('trading after the final restart', async () => placedCount(await readVenue(control)) > before, 60_000, 50).catch(() => false);
      if (!resumed) fail('final restart: trading did not resume within 60 s');
      await d!.waitRunning(60_000);
      // The last comparison while the daemon runs: after SIGTERM the venue keeps trading (a market close placed just
      // before fills at its next bar), and what fills then is the next start's to reconcile, not a loss.
      await check('final restart, trading', d!);
    } else fail('final restart: the daemon did not reach trading');
    const d0 = d!;
    const stopped = await d0.stop('SIGTERM');
    keepLog('final', d0);
    d = null;
    if (stopped.code !== 0) fail(`the daemon did not stop cleanly on SIGTERM: ${JSON.stringify(stopped)}: ${d0.output().slice(-2500)}`);
    end = await readVenue(control);
  } catch (err) {
    fail(`aborted: ${(err as Error).message}${d ? `\n${d.output().slice(-3000)}` : ''}`);
    // What the venue recorded until then still tells the bare time of every episode.
    if (venue && !end) end = await readVenue(venue.control).catch(() => null);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await d?.stop('SIGKILL');
    await venue?.stop('SIGKILL');
    if (process.env.CHAOS_KEEP_DB) log(`kept databases ${venueDb?.name} (venue) and ${db?.name} (daemon)`);
    else {
      await venueDb?.drop().catch(() => undefined);
      await db?.drop().catch(() => undefined);
    }
  }
  // CHAOS_DUMP: the venue's final records (orders, fills, positions) as JSON, to trace a bare episode afterwards.
  if (process.env.CHAOS_DUMP && end) writeFileSync(process.env.CHAOS_DUMP, JSON.stringify(end));
  const episodes = end ? positionEpisodes(end) : [];
  const wallMs = (venueMs: number) => venueMs / speed;
  const maxBareSec = Math.round(Math.max(0, ...episodes.map((e) => wallMs(e.bareMs))) / 10) / 100;
  const bareOver500ms = episodes.filter((e) => wallMs(e.bareMs) > 500).length;
  const uncoveredFills = episodes.reduce((a, e) => a + e.uncoveredFills, 0);
  const summary = `chaos: iterations=${ran} kills=${r.kills} duplicates=${r.duplicates} lost=${r.lost} mismatches=${r.mismatches} maxBareSec=${maxBareSec} bareOver500ms=${bareOver500ms} seed=${o.seed}`;
  return {
    iterations: ran, speed, ...r, maxBareSec, bareOver500ms, uncoveredFills, episodes, maxConcurrent: maxConcurrent(episodes),
    venueOrders: end ? placedCount(end) : 0, venueFills: end?.fills.length ?? 0, summary,
  };
}
