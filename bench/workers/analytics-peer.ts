// Benchmark peer thread: the analytics stage of the live path. Receives market.candle over the real PortBus,
// runs the real analytics machine (warmed in the real piscina pool, optional ONNX model) and publishes
// analytics.snapshot back; in `echo` mode it answers each candle at once (the bus-only baseline).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createActor } from 'xstate';
import { analyticsMachine, type InferenceRequest, type MlSetup } from '../../machines/analytics.machine.js';
import type { EngineParams } from '../../src/analytics/engine.js';
import { AnalyticsPool } from '../../src/analytics/pool.js';
import { PortBus } from '../../src/bus/port-bus.js';
import { SimClock } from '../../src/clock/clock.js';
import type { Candle, Snapshot } from '../../src/protocol/index.js';

const { inPort, outPort, mode, params, history, model } = workerData as {
  inPort: MessagePort; outPort: MessagePort; mode: 'echo' | 'analytics'; params: EngineParams; history: Candle[]; model: { path: string } | null;
};
const bus = new PortBus('analytics', () => Date.now(), 'a-', [{ to: 'decision', topics: ['analytics.snapshot'], port: outPort }], [{ from: 'feed', port: inPort }]);

if (mode === 'echo') {
  const dummy = { symbol: 'X', ts: 0, kind: 'fast', price: 0, ind: {}, tf: {}, mtfAlignment: null, session: 'us', hourUtc: 0, regime: null, micro: null, flow: null, ml: { available: false, reason: 'echo' } } as unknown as Snapshot;
  bus.subscribe('market.candle', (e) => bus.publish('analytics.snapshot', { ...dummy, ts: e.payload.openTime + 60_000 }));
  parentPort!.postMessage({ kind: 'ready' });
} else {
  const pool = new AnalyticsPool(1);
  let ml: MlSetup = { kind: 'none', reason: 'no model' };
  if (model) {
    const info = await pool.loadModel(model.path);
    ml = { kind: 'model', name: info.name, features: info.features };
  }
  const symbol = history[0]!.symbol;
  const actor = createActor(analyticsMachine.provide({
    actions: {
      requestInference: ({ self }, r: InferenceRequest) => {
        pool.infer(model!.path, r.values, 2000).then(
          (pUp) => self.send({ type: 'analytics.ml_result', seq: r.seq, ml: { available: true, pUp, model: 'bench' } }),
          (err: Error) => self.send({ type: 'analytics.ml_result', seq: r.seq, ml: { available: false, reason: err.message } }),
        );
      },
    },
  }), { clock: new SimClock(0), input: { symbols: [symbol], params, fullSnapshotSec: 300, ml, catchUpMs: null } });
  actor.on('analytics.snapshot', (e) => bus.publish('analytics.snapshot', e.payload, { tsEvent: e.payload.ts }));
  actor.start();
  const w = await pool.warmup(symbol, params, history);
  actor.send({ type: 'analytics.restore', symbol, state: w.state });
  bus.subscribe('market.candle', (e) => actor.send({ type: 'analytics.candle', candle: e.payload }));
  parentPort!.postMessage({ kind: 'ready', warmupCandles: w.candles });
}
