// Wraps any ExchangeGateway so order calls report their wall-clock latency (the order_latency_seconds histogram).
// Guarantees the wrapped gateway behaves exactly as before: same results, same errors, same `this`.
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { WorkerMetrics } from './worker-metrics.js';

const TIMED = new Set(['createOrder', 'createOrders', 'cancelOrder', 'fetchOrderByClientId']);

export function timedGateway<G extends ExchangeGateway>(gw: G, metrics: WorkerMetrics): G {
  return new Proxy(gw, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !TIMED.has(prop) || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        const t0 = performance.now();
        let outcome = 'ok';
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (err) {
          outcome = 'error';
          throw err;
        } finally {
          metrics.observe('order_latency_seconds', { op: prop, outcome }, (performance.now() - t0) / 1000);
        }
      };
    },
  });
}
