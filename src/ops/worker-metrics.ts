// Metrics a worker collects for the main thread's Prometheus registry; shipped with every heartbeat.
// Guarantees counters are cumulative per incarnation (the main thread turns them into deltas), gauges are last
// values, and each histogram observation is shipped exactly once (drained by the heartbeat that carries it).
import type { Topic } from '../protocol/index.js';

export type Labels = Record<string, string>;

export interface WorkerMetricsSnapshot {
  counters: Record<string, number>;
  gauges: Record<string, number>;
  observations: Array<[string, number]>;
}

/** `name{"k":"v"}` with sorted label keys: one series per key. */
export const metricKey = (name: string, labels: Labels = {}): string =>
  `${name}${JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))))}`;

export const parseMetricKey = (key: string): { name: string; labels: Labels } => {
  const i = key.indexOf('{');
  return { name: key.slice(0, i), labels: JSON.parse(key.slice(i)) as Labels };
};

const MAX_OBSERVATIONS = 5000;

export class WorkerMetrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();
  private observations: Array<[string, number]> = [];

  inc(name: string, labels: Labels = {}, n = 1): void {
    const k = metricKey(name, labels);
    this.counters.set(k, (this.counters.get(k) ?? 0) + n);
  }

  set(name: string, labels: Labels, value: number): void {
    if (Number.isFinite(value)) this.gauges.set(metricKey(name, labels), value);
  }

  observe(name: string, labels: Labels, value: number): void {
    if (this.observations.length < MAX_OBSERVATIONS && Number.isFinite(value)) this.observations.push([metricKey(name, labels), value]);
  }

  /** Metrics derived from what an actor publishes: decisions by verdict, anomalies by kind, equity. */
  onPublish(topic: Topic, payload: unknown): void {
    const p = (payload ?? {}) as Record<string, unknown>;
    switch (topic) {
      case 'decision.made':
        this.inc('decisions_total', { verdict: String(p.verdict) });
        break;
      case 'reconcile.anomaly':
        this.inc('reconcile_anomalies_total', { kind: String(p.kind ?? p.code) });
        break;
      case 'execution.alert':
        // Startup reconciliation reports its anomalies as execution alerts that carry a `kind`.
        if (typeof p.kind === 'string') this.inc('reconcile_anomalies_total', { kind: p.kind });
        break;
      case 'reconcile.equity':
        this.set('equity', {}, Number(p.equity));
        break;
      default:
        break;
    }
    if (topic.endsWith('.alert') || topic === 'reconcile.anomaly') this.inc('alerts_total', { severity: String(p.severity) });
  }

  snapshot(): WorkerMetricsSnapshot {
    const s = { counters: Object.fromEntries(this.counters), gauges: Object.fromEntries(this.gauges), observations: this.observations };
    this.observations = [];
    return s;
  }
}
