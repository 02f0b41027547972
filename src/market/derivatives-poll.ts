// The market feed's derivatives poller: the 5-minute statistics (every pollSec, lagSec after a period ends), the
// current open interest and the funding history, over the exchange gateway, one request group at a time.
// Guarantees: on start it fetches what the database lacks (back to maxBackfillDays), then resumes after the last
// complete period, so no period is skipped or fetched twice once complete; a failed poll is counted and retried at the
// next one, never fatal; in a lockstep replay every poll is work the replay waits for.
import type { Pool } from 'mariadb';
import type { Clock } from '../clock/clock.js';
import { lockstepWork } from '../clock/lockstep.js';
import type { MarketConfig } from '../config/sections/market.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { Logger } from '../log/logger.js';
import type { DerivativesMetrics, DerivativesUpdate } from '../protocol/index.js';
import { lastFundingTs, lastMetricsTs } from '../store/repos/derivatives.js';
import { PERIOD_MS } from './derivatives-synth.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** A period younger than this that still lacks a value is fetched again (the exchange publishes its parts apart). */
const SETTLE_MS = 15 * MINUTE;

export interface DerivativesPollerOptions {
  gw: Pick<ExchangeGateway, 'fetchDerivativesMetrics' | 'fetchOpenInterest' | 'fetchFundingHistory'>;
  pool: Pool;
  clock: Clock;
  log: Logger;
  symbols: string[];
  cfg: MarketConfig['derivatives'];
  /** On an empty database, this much history is fetched first (capped by maxBackfillDays). */
  initialHistoryMinutes: number;
  publish(u: DerivativesUpdate): void;
}

const complete = (r: DerivativesMetrics) =>
  r.openInterest !== null && r.openInterestValue !== null && r.longShortRatio !== null && r.topTraderAccountRatio !== null && r.topTraderPositionRatio !== null && r.takerBuySellRatio !== null;

export class DerivativesPoller {
  readonly stats = { polls: 0, metricsRows: 0, fundingRows: 0, openInterestSamples: 0, dropped: 0, errors: 0, lastError: null as string | null, lastMetricsTs: null as number | null };
  private readonly cursor = new Map<string, { metrics: number; funding: number }>();
  private readonly timers = new Set<unknown>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastWarnAt = 0;

  constructor(private readonly o: DerivativesPollerOptions) {}

  /** Backfills at once, then polls on schedule. */
  start(): void {
    this.enqueue('backfill', async () => {
      await this.init();
      await this.pollMetrics();
      await this.pollFunding();
      await this.pollOpenInterest();
    });
    this.schedule('metrics', () => this.nextMetricsDelay(), () => this.pollMetrics());
    this.schedule('funding', () => this.o.cfg.fundingSec * 1000, () => this.pollFunding());
    if (this.o.cfg.openInterestSec > 0) this.schedule('open interest', () => this.o.cfg.openInterestSec * 1000, () => this.pollOpenInterest());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) this.o.clock.clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves when the poll in flight (if any) is done. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Clock ms until `lagSec` after the next period boundary of `pollSec`. */
  private nextMetricsDelay(): number {
    const every = this.o.cfg.pollSec * 1000;
    const lag = this.o.cfg.lagSec * 1000;
    const now = this.o.clock.now();
    const next = Math.floor((now - lag) / every) * every + every + lag;
    return Math.max(1, next - now);
  }

  private schedule(what: string, delay: () => number, fn: () => Promise<void>): void {
    if (this.stopped) return;
    const t = this.o.clock.setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(what, fn);
      this.schedule(what, delay, fn);
    }, delay());
    this.timers.add(t);
  }

  /** One request group at a time (the exchange's request weight); a failure is counted and logged, never thrown. */
  private enqueue(what: string, fn: () => Promise<void>): void {
    const run = this.chain.then(async () => {
      if (this.stopped) return;
      try {
        await fn();
      } catch (err) {
        this.stats.errors++;
        this.stats.lastError = `${what}: ${(err as Error).message}`;
        if (Date.now() - this.lastWarnAt > 60_000) {
          this.lastWarnAt = Date.now();
          this.o.log.warn({ err: (err as Error).message, what, errors: this.stats.errors }, 'derivatives poll failed; retrying at the next one');
        }
      }
    });
    this.chain = lockstepWork.track(run);
  }

  private async init(): Promise<void> {
    const now = this.o.clock.now();
    const horizon = now - Math.min(this.o.cfg.maxBackfillDays * DAY, this.o.initialHistoryMinutes * MINUTE);
    const oldest = now - this.o.cfg.maxBackfillDays * DAY;
    for (const s of this.o.symbols) {
      const m = await lastMetricsTs(this.o.pool, s, 0, Number.MAX_SAFE_INTEGER);
      const f = await lastFundingTs(this.o.pool, s, 0, Number.MAX_SAFE_INTEGER);
      this.cursor.set(s, {
        metrics: Math.max(oldest, m !== null ? m + PERIOD_MS : Math.ceil(horizon / PERIOD_MS) * PERIOD_MS),
        funding: Math.max(oldest, f !== null ? f + 1 : horizon),
      });
    }
  }

  private async pollMetrics(): Promise<void> {
    const fetch = this.o.gw.fetchDerivativesMetrics?.bind(this.o.gw);
    if (!fetch) return;
    if (!this.cursor.size) await this.init();
    this.stats.polls++;
    for (const s of this.o.symbols) {
      const c = this.cursor.get(s)!;
      for (let guard = 0; guard < 100 && !this.stopped; guard++) {
        const now = this.o.clock.now();
        if (c.metrics > now) break;
        const r = await fetch(s, c.metrics, 500);
        this.stats.dropped += r.dropped;
        const rows = r.rows.filter((x) => x.ts >= c.metrics && x.ts <= now);
        if (!rows.length) {
          // Nothing that far back (older than the exchange keeps, or before the market began): the next page.
          if (c.metrics + 500 * PERIOD_MS <= now) {
            c.metrics += 500 * PERIOD_MS;
            continue;
          }
          break;
        }
        this.o.publish({ symbol: s, metrics: rows, openInterest: null, funding: [] });
        this.stats.metricsRows += rows.length;
        this.stats.lastMetricsTs = rows.at(-1)!.ts;
        // Resume after the last period that is complete or old enough to stay as it is.
        let next = c.metrics;
        for (const x of rows) {
          if (!complete(x) && now - x.ts < SETTLE_MS) break;
          next = x.ts + PERIOD_MS;
        }
        const advanced = next > c.metrics;
        c.metrics = next;
        if (!advanced || rows.length < 500) break;
      }
    }
  }

  private async pollFunding(): Promise<void> {
    const fetch = this.o.gw.fetchFundingHistory?.bind(this.o.gw);
    if (!fetch) return;
    if (!this.cursor.size) await this.init();
    for (const s of this.o.symbols) {
      const c = this.cursor.get(s)!;
      for (let guard = 0; guard < 100 && !this.stopped; guard++) {
        const now = this.o.clock.now();
        const r = await fetch(s, c.funding, 1000);
        this.stats.dropped += r.dropped;
        const rows = r.rows.filter((x) => x.ts >= c.funding && x.ts <= now);
        if (!rows.length) break;
        this.o.publish({ symbol: s, metrics: [], openInterest: null, funding: rows });
        this.stats.fundingRows += rows.length;
        c.funding = rows.at(-1)!.ts + 1;
        if (rows.length < 1000) break;
      }
    }
  }

  private async pollOpenInterest(): Promise<void> {
    const fetch = this.o.gw.fetchOpenInterest?.bind(this.o.gw);
    if (!fetch) return;
    for (const s of this.o.symbols) {
      if (this.stopped) return;
      const oi = await fetch(s);
      if (!oi) {
        this.stats.dropped++;
        continue;
      }
      this.o.publish({ symbol: s, metrics: [], openInterest: oi, funding: [] });
      this.stats.openInterestSamples++;
    }
  }
}
