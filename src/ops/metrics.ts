// The Prometheus registry (main thread only) and its loopback HTTP endpoint.
// Guarantees counters only go up across worker restarts (heartbeat counters become deltas per incarnation),
// every worker histogram observation is counted once, and the endpoint binds only the configured loopback address.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Heartbeat } from '../supervisor/worker-protocol.js';
import { parseMetricKey } from './worker-metrics.js';

const P = 'bosun_';

/** Metrics workers may report, with their label names (every one also gets `actor`). */
const WORKER_COUNTERS: Record<string, { help: string; labels: string[] }> = {
  decisions_total: { help: 'Decisions made, by verdict', labels: ['verdict'] },
  reconcile_anomalies_total: { help: 'Differences found between the exchange and the DB, by kind', labels: ['kind'] },
  alerts_total: { help: 'Alerts published, by severity', labels: ['severity'] },
};
const WORKER_GAUGES: Record<string, { help: string; labels: string[] }> = {
  equity: { help: 'Account equity in the quote currency (last reconciliation)', labels: [] },
  notification_backlog: { help: 'Notifications waiting for Telegram', labels: [] },
  exchange_request_weight: { help: 'Request weight used this minute, as the exchange last reported it (X-MBX-USED-WEIGHT-1M)', labels: [] },
  exchange_order_count: { help: 'Orders counted by the exchange in its window (X-MBX-ORDER-COUNT-10S / -1M)', labels: ['interval'] },
  exchange_maintenance: { help: '1 while the exchange answers as in maintenance (-1008 / 503 Service Unavailable)', labels: [] },
  heap_bytes: { help: "The actor thread's V8 heap: bytes in use (kind=used) and held (kind=total)", labels: ['kind'] },
};
const WORKER_HISTOGRAMS: Record<string, { help: string; labels: string[]; buckets: number[] }> = {
  order_latency_seconds: { help: 'Exchange order call latency (wall clock)', labels: ['op', 'outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
};

interface Seen {
  handle: unknown;
  bus: Record<string, number>;
  counters: Record<string, number>;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly messages: Counter;
  private readonly restarts: Counter;
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly seen = new Map<string, Seen>();
  private readonly restartsSeen = new Map<string, number>();
  private server: Server | null = null;
  url: string | null = null;
  error: string | null = null;

  constructor(private readonly sup: Supervisor) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: P });
    this.messages = new Counter({ name: `${P}messages_total`, help: 'Bus messages per actor, topic and direction', labelNames: ['actor', 'topic', 'direction'], registers: [r] });
    this.restarts = new Counter({ name: `${P}actor_restarts_total`, help: 'Worker restarts by the supervisor', labelNames: ['actor'], registers: [r] });
    const restarts = this.restarts;
    const seen = this.restartsSeen;
    new Gauge({
      name: `${P}actor_up`, help: '1 when the actor is running', labelNames: ['actor'], registers: [r],
      collect() {
        for (const a of sup.status()) {
          this.set({ actor: a.id }, a.lifecycle === 'running' ? 1 : 0);
          const d = a.restarts - (seen.get(a.id) ?? 0);
          if (d > 0) restarts.inc({ actor: a.id }, d);
          seen.set(a.id, a.restarts);
        }
      },
    });
    new Gauge({
      name: `${P}heartbeat_age_seconds`, help: 'Seconds since the actor last reported', labelNames: ['actor'], registers: [r],
      collect() {
        for (const a of sup.status()) if (a.heartbeatAgeMs !== null) this.set({ actor: a.id }, a.heartbeatAgeMs / 1000);
      },
    });
    new Gauge({
      name: `${P}actor_uptime_seconds`, help: 'Seconds since the current incarnation started', labelNames: ['actor'], registers: [r],
      collect() {
        for (const a of sup.status()) if (a.uptimeMs !== null) this.set({ actor: a.id }, a.uptimeMs / 1000);
      },
    });
    for (const [n, d] of Object.entries(WORKER_COUNTERS)) this.counters.set(n, new Counter({ name: P + n, help: d.help, labelNames: ['actor', ...d.labels], registers: [r] }));
    for (const [n, d] of Object.entries(WORKER_GAUGES)) this.gauges.set(n, new Gauge({ name: P + n, help: d.help, labelNames: ['actor', ...d.labels], registers: [r] }));
    for (const [n, d] of Object.entries(WORKER_HISTOGRAMS)) this.histograms.set(n, new Histogram({ name: P + n, help: d.help, labelNames: ['actor', ...d.labels], buckets: d.buckets, registers: [r] }));
  }

  /** Folds one heartbeat in: bus counters and worker counters as deltas, gauges as values, observations once. */
  ingest(id: string, hb: Heartbeat): void {
    const handle = this.sup.child(id);
    let s = this.seen.get(id);
    if (!s || s.handle !== handle) {
      s = { handle, bus: {}, counters: {} };
      this.seen.set(id, s);
    }
    for (const [direction, per] of [['in', hb.counters.perTopicIn], ['out', hb.counters.perTopicOut]] as const) {
      for (const [topic, v] of Object.entries(per)) {
        const k = `${direction}|${topic}`;
        const d = (v ?? 0) - (s.bus[k] ?? 0);
        if (d > 0) this.messages.inc({ actor: id, topic, direction }, d);
        s.bus[k] = v ?? 0;
      }
    }
    const m = hb.metrics;
    if (!m) return;
    for (const [key, v] of Object.entries(m.counters)) {
      const { name, labels } = parseMetricKey(key);
      const c = this.counters.get(name);
      const d = v - (s.counters[key] ?? 0);
      s.counters[key] = v;
      if (c && d > 0) c.inc(this.labelsFor(id, labels, WORKER_COUNTERS[name]!.labels), d);
    }
    for (const [key, v] of Object.entries(m.gauges)) {
      const { name, labels } = parseMetricKey(key);
      this.gauges.get(name)?.set(this.labelsFor(id, labels, WORKER_GAUGES[name]?.labels ?? []), v);
    }
    for (const [key, v] of m.observations) {
      const { name, labels } = parseMetricKey(key);
      this.histograms.get(name)?.observe(this.labelsFor(id, labels, WORKER_HISTOGRAMS[name]?.labels ?? []), v);
    }
  }

  private labelsFor(actor: string, labels: Record<string, string>, names: string[]): Record<string, string> {
    const out: Record<string, string> = { actor };
    for (const n of names) out[n] = String(labels[n] ?? '');
    return out;
  }

  /** Serves GET /metrics on a loopback address; a busy port is reported, never fatal for trading. */
  async listen(host: string, port: number): Promise<void> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end('not found: GET /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      this.server = server;
      const a = server.address() as AddressInfo;
      this.url = `http://${host.includes(':') ? `[${host}]` : host}:${a.port}/metrics`;
    } catch (err) {
      this.error = `metrics endpoint not started on ${host}:${port}: ${(err as Error).message}`;
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    await closed;
  }
}
