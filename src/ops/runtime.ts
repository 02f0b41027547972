// Everything operational the main thread runs beside the supervisor: operator actions, message rates, the
// Prometheus endpoint, the HTTP API and dashboard, the stale-market watch and systemd notifications (READY, STATUS,
// WATCHDOG, STOPPING).
// Guarantees none of it can stop trading: each part fails alone, reports why, and the daemon keeps running.
import type { Pool } from 'mariadb';
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/schema.js';
import type { StatusExtras } from '../daemon/status.js';
import type { Logger } from '../log/logger.js';
import type { SupervisorSpec } from '../supervisor/spec.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Heartbeat } from '../supervisor/worker-protocol.js';
import { Metrics } from './metrics.js';
import { Operator } from './operator.js';
import { SdNotify } from './sd-notify.js';
import { StaleWatch } from './stale-watch.js';

const RATE_WINDOW_MS = 10_000;

interface Sample {
  wall: number;
  handle: unknown;
  in: number;
  out: number;
}

export interface OpsDeps {
  sup: Supervisor;
  spec: SupervisorSpec;
  config: Config;
  pool: Pool;
  clock: Clock;
  log: Logger;
  env: NodeJS.ProcessEnv;
}

export class OpsRuntime implements StatusExtras {
  readonly operator: Operator;
  readonly metricsRegistry: Metrics;
  readonly heartbeatMs: number;
  private readonly samples = new Map<string, Sample[]>();
  private readonly sd: SdNotify | null;
  private sampler: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly market: StaleWatch;
  private apiServer: { url: string; close(): Promise<void> } | null = null;
  private apiError: string | null = null;

  constructor(private readonly d: OpsDeps) {
    this.heartbeatMs = d.spec.heartbeatMs;
    this.operator = new Operator({ sup: d.sup, spec: d.spec, pool: d.pool, clock: d.clock, log: d.log });
    this.metricsRegistry = new Metrics(d.sup);
    d.sup.on('heartbeat', (id: string, hb: Heartbeat) => this.metricsRegistry.ingest(id, hb));
    this.sd = SdNotify.fromEnv(d.env, d.log);
    this.market = new StaleWatch(d.config.ops.staleMarketSec * 1000, Date.now());
  }

  /** Before the actors start: operator state (so each actor is paused as it comes up) and the metrics endpoint. */
  async beforeStart(): Promise<void> {
    await this.operator.load().catch((err: Error) => this.d.log.error({ err: err.message }, 'could not read the operator state'));
    const m = this.d.config.ops.metrics;
    if (m.enabled) {
      await this.metricsRegistry.listen(m.host, m.port);
      if (this.metricsRegistry.error) this.d.log.error({}, this.metricsRegistry.error);
      else this.d.log.info({ url: this.metricsRegistry.url }, 'prometheus metrics');
    }
  }

  /** Once every actor runs: tell systemd, start the watchdog and the 1 s sampler. */
  started(): void {
    const c = this.d.config;
    this.sd?.send(`READY=1\nSTATUS=trading ${c.mode} (${c.exchange.environment}) on ${c.symbols.join(', ')}\nMAINPID=${process.pid}`);
    const every = this.sd?.startWatchdog(this.d.env, () => this.alive());
    if (every) this.d.log.info({ everyMs: every }, 'systemd watchdog pings enabled');
    this.sampler = setInterval(() => this.sample(), 1000);
    this.sampler.unref();
    this.sample();
  }

  /** The watchdog holds while the supervisor runs (or stops in order) and some actor reported recently. */
  private alive(): boolean {
    if (this.stopping) return true;
    if (!this.d.sup.running) return false;
    const ages = this.d.sup.status().map((a) => a.heartbeatAgeMs).filter((a): a is number => a !== null);
    return ages.length > 0 && Math.min(...ages) < this.heartbeatMs * 10;
  }

  stoppingNow(why: string): void {
    this.stopping = true;
    this.sd?.send(`STOPPING=1\nSTATUS=stopping: ${why}`);
  }

  async close(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    this.sd?.close();
    await this.apiServer?.close().catch((err: Error) => this.d.log.warn({ err: err.message }, 'closing the api failed'));
    await this.metricsRegistry.close();
  }

  /**
   * The HTTP API and dashboard (`ops.api`), beside the actors (the caller does not wait for it before starting them). A
   * busy port is reported in status and logged, never fatal; the binding rule was checked at start (`checkApiConfig`).
   */
  async startApi(control: (cmd: string, args: Record<string, unknown>) => Promise<unknown>): Promise<void> {
    const c = this.d.config;
    if (!c.ops.api.enabled) {
      this.apiError = 'disabled (ops.api.enabled is false)';
      return;
    }
    try {
      const [{ startApi }, { resolveApiToken }] = await Promise.all([import('../api/server.js'), import('../api/token.js')]);
      const token = resolveApiToken(c, this.d.env);
      if (!token) {
        this.apiError = `off: ${c.mode} mode needs BOSUN_API_TOKEN in the environment (only paper mode generates one)`;
        this.d.log.warn({}, `the HTTP API and dashboard are ${this.apiError}`);
        return;
      }
      const server = await startApi({ config: c, pool: this.d.pool, clock: this.d.clock, log: this.d.log, token, control });
      if (this.stopping) {
        await server.close();
        return;
      }
      this.apiServer = server;
      this.d.log.info(
        { url: this.apiServer.url, tokenSource: token.file ? `generated, in ${token.file} (mode 0600)` : 'BOSUN_API_TOKEN', tokenId: token.id },
        `dashboard at ${this.apiServer.url} (log in with the API token)`,
      );
    } catch (err) {
      this.apiError = `the API could not start on ${c.ops.api.host}:${c.ops.api.port}: ${(err as Error).message}`;
      this.d.log.error({}, this.apiError);
    }
  }

  api(): { url: string | null; error: string | null } {
    return { url: this.apiServer?.url ?? null, error: this.apiServer ? null : (this.apiError ?? 'starting') };
  }

  private sample(): void {
    const now = Date.now();
    for (const a of this.d.sup.status()) {
      const handle = this.d.sup.child(a.id);
      let list = this.samples.get(a.id) ?? [];
      if (list.length && list[0]!.handle !== handle) list = [];
      list.push({ wall: now, handle, in: a.messagesIn, out: a.messagesOut });
      while (list.length > 2 && now - list[0]!.wall > RATE_WINDOW_MS) list.shift();
      this.samples.set(a.id, list);
      if (a.id === 'market-feed') this.watchMarket(now, a.messagesOut, a.lifecycle === 'running');
    }
  }

  /** Stale market data: market-feed published nothing for `staleMarketSec` wall seconds. */
  private watchMarket(now: number, out: number, running: boolean): void {
    const change = this.market.observe(now, out, running);
    if (change?.kind === 'stale') {
      this.publish({ severity: 'warning', code: 'market.stale', text: `no market data from market-feed for ${Math.round(change.silentMs / 1000)} s${running ? '' : ' (market-feed is not running)'}` });
    } else if (change?.kind === 'recovered') this.publish({ severity: 'info', code: 'market.recovered', text: 'market data is flowing again' });
  }

  private publish(a: { severity: 'info' | 'warning'; code: string; text: string }): void {
    if (this.d.sup.running) this.d.sup.bus.publish('supervisor.alert', a);
  }

  // StatusExtras
  rates(id: string): { inPerSec: number; outPerSec: number } | null {
    const list = this.samples.get(id);
    if (!list || list.length < 2) return null;
    const a = list[0]!;
    const b = list[list.length - 1]!;
    const dt = (b.wall - a.wall) / 1000;
    if (dt <= 0) return null;
    const r = (x: number) => Math.round(x * 100) / 100;
    return { inPerSec: r((b.in - a.in) / dt), outPerSec: r((b.out - a.out) / dt) };
  }

  operatorState() {
    return this.operator.state();
  }

  metrics(): { url: string | null; error: string | null } {
    return { url: this.metricsRegistry.url, error: this.d.config.ops.metrics.enabled ? this.metricsRegistry.error : 'disabled (ops.metrics.enabled is false)' };
  }
}
