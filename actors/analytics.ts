// analytics worker: warms each symbol's engine from stored 1m candles in the piscina pool (packed windows),
// then turns market data into snapshots; reads manual inputs every `manual.pollSec`; runs the ONNX model (if
// configured) in the pool. Guarantees live messages that arrive during warm-up are buffered and applied after
// history, in order; a full snapshot from history is published as soon as warm-up ends; every full snapshot
// is persisted with its flow and signals.
import { isAbsolute } from 'node:path';
import type { AnyActorRef } from 'xstate';
import { analyticsMachine, type InferenceRequest, type MlSetup } from '../machines/analytics.machine.js';
import { aiState } from '../src/ai/state.js';
import { readSecrets } from '../src/config/secrets.js';
import { dbBudget } from '../src/store/repos/ai.js';
import type { ManualState } from '../src/analytics/manual-inputs.js';
import { engineParams } from '../src/analytics/params.js';
import { AnalyticsPool } from '../src/analytics/pool.js';
import { lockstepWork } from '../src/clock/lockstep.js';
import { runActor } from '../src/host/host.js';
import { fromRoot } from '../src/paths.js';
import type { Snapshot } from '../src/protocol/index.js';
import { BatchWriter } from '../src/store/batch-writer.js';
import { recentCandles } from '../src/store/repos/candles.js';
import { fundingBetween, liquidationsBetween, metricsBetween, openInterestBetween } from '../src/store/repos/derivatives.js';
import { insertFullSnapshots } from '../src/store/repos/flows.js';
import { latestManualInputs } from '../src/store/repos/manual-inputs.js';

runActor(async (ctx) => {
  const { config, clock, log } = ctx;
  const a = config.analytics;
  const db = ctx.db();
  const pool = new AnalyticsPool(a.pool.threads);
  const params = engineParams(a);
  const writer = new BatchWriter<Snapshot>({
    write: (rows) => insertFullSnapshots(db, rows),
    maxBatch: 50,
    flushMs: 200,
    onHealth: (err) => ctx.setDegraded(err ? `snapshot writes failing: ${err.message}` : null),
  });

  let ml: MlSetup = { kind: 'none', reason: 'no model configured (analytics.ml.model)' };
  const modelPath = a.ml.model === null ? null : isAbsolute(a.ml.model) ? a.ml.model : fromRoot(a.ml.model);
  if (modelPath) {
    try {
      const info = await pool.loadModel(modelPath);
      ml = { kind: 'model', name: info.name, features: info.features };
      log.info({ model: info.name, features: info.features.length }, 'ML model loaded');
    } catch (err) {
      ml = { kind: 'none', reason: `model unavailable: ${(err as Error).message}` };
      log.warn({ err: (err as Error).message }, 'ML model unavailable; the ML signal reports itself unavailable');
    }
  }

  // The AI swarm (ai.baseUrl set): its own async cycle beside the machine, fed by the snapshots the machine emits.
  const ai = aiState(config);
  const aiStop = new AbortController();
  let machineRef: AnyActorRef | null = null;
  let swarmReady = false;
  // Loaded only when on: a daemon without the swarm does not even load the client library.
  const swarm = config.ai.baseUrl === null ? null : await (async () => {
    const [{ ChatClient }, { Swarm }] = await Promise.all([import('../src/ai/client.js'), import('../src/ai/swarm.js')]);
    return new Swarm({
      pool: db, ai: config.ai, symbols: config.symbols, clock, log,
      client: new ChatClient({ config: config.ai, apiKey: readSecrets().aiApiKey, budget: dbBudget(db, config.ai.budget), signal: aiStop.signal }),
      onConsensus: (symbol, consensus) => machineRef?.send({ type: 'analytics.ai', symbol, consensus }),
      track: (p) => lockstepWork.track(p),
    });
  })();

  let lastManual: ManualState | null = null;
  const readManual = () => latestManualInputs(db, (id, kind, why) => log.warn({ id, kind, why }, 'stored manual input no longer validates; skipped'));
  let pollTimer: unknown = null;
  let closed = false;
  const stats = { warmupMs: 0, history: 0, inferences: 0, inferenceErrors: 0 };

  const machine = analyticsMachine.provide({
    actions: {
      persistSnapshot: (_, s: Snapshot) => writer.push(s),
      requestInference: ({ self }, r: InferenceRequest) => {
        if (!modelPath || ml.kind !== 'model') {
          self.send({ type: 'analytics.ml_result', seq: r.seq, ml: { available: false, reason: 'no model loaded' } });
          return;
        }
        const name = ml.name;
        void lockstepWork.track(pool.infer(modelPath, r.values, a.ml.timeoutMs).then(
          (pUp) => {
            stats.inferences++;
            self.send({ type: 'analytics.ml_result', seq: r.seq, ml: { available: true, pUp, model: name } });
          },
          (err: Error) => {
            stats.inferenceErrors++;
            log.warn({ err: err.message, ts: r.ts }, 'inference failed');
            self.send({ type: 'analytics.ml_result', seq: r.seq, ml: { available: false, reason: `inference failed: ${err.message}` } });
          },
        ));
      },
    },
  });

  // Everything routed before warm-up ends waits here, in arrival order.
  let buffer: Array<{ type: string; [k: string]: unknown }> | null = [];
  const route = <E extends { type: string }>(ev: E) => {
    if (buffer) {
      buffer.push(ev);
      return null;
    }
    return ev.type === 'analytics.candle' ? { ...ev, receivedAt: clock.now() } : ev;
  };

  /** History from MariaDB → engines built in the pool → restored; then manual inputs, buffered messages. */
  const warmUp = async (actor: AnyActorRef) => {
    const t0 = Date.now();
    const results = await Promise.all(config.symbols.map(async (s) => {
      const candles = await recentCandles(db, s, '1m', a.warmupCandles);
      return { s, n: candles.length, r: candles.length ? await pool.warmup(s, params, candles) : null };
    }));
    if (closed) return;
    for (const { s, r } of results) if (r) actor.send({ type: 'analytics.restore', symbol: s, state: r.state });
    await loadDerivatives(actor);
    lastManual = await readManual();
    actor.send({ type: 'analytics.manual', manual: lastManual });
    const live = buffer ?? [];
    buffer = null;
    for (const ev of live) actor.send((ev.type === 'analytics.candle' ? { ...ev, receivedAt: clock.now() } : ev) as never);
    actor.send({ type: 'analytics.warmed', receivedAt: clock.now() });
    stats.warmupMs = Date.now() - t0;
    stats.history = results.reduce((x, r) => x + r.n, 0);
    log.info({ history: stats.history, buffered: live.length, ms: stats.warmupMs, warm: results.map((r) => ({ symbol: r.s, candles: r.n, warm: r.r?.warm ?? false })) }, 'analytics warmed up from MariaDB in the pool');
  };

  /** The stored derivatives data the flow view needs (the OI window, the liquidation window, the last funding). */
  const loadDerivatives = async (actor: AnyActorRef) => {
    const d = a.derivatives;
    const now = clock.now();
    for (const symbol of config.symbols) {
      const [metrics, oi, funding, liquidations] = await Promise.all([
        metricsBetween(db, symbol, now - (d.oiWindowSec + 2 * d.maxAgeSec) * 1000, now + 1),
        openInterestBetween(db, symbol, now - d.maxAgeSec * 1000, now + 1),
        fundingBetween(db, symbol, now - d.fundingSettledMaxAgeSec * 1000, now + 1),
        liquidationsBetween(db, symbol, now - d.liqWindowSec * 1000, now + 1),
      ]);
      if (closed) return;
      actor.send({ type: 'analytics.derivatives', update: { symbol, metrics, openInterest: oi.at(-1) ?? null, funding } });
      // The feed streams forceOrder whenever derivatives are enabled: the stored window is complete.
      if (config.market.derivatives.enabled) actor.send({ type: 'analytics.liquidations', batch: { symbol, liquidations, coverageFrom: now - d.liqWindowSec * 1000 } });
    }
  };

  /** Re-reads the manual inputs every `manual.pollSec` clock-seconds; a failed read keeps the previous values. */
  const pollManual = (actor: AnyActorRef) => {
    pollTimer = clock.setTimeout(() => {
      void lockstepWork.track(readManual().then(
        (m) => {
          if (closed) return;
          if (JSON.stringify(m) !== JSON.stringify(lastManual)) {
            lastManual = m;
            actor.send({ type: 'analytics.manual', manual: m });
          }
          pollManual(actor);
        },
        (err: Error) => {
          log.warn({ err: err.message }, 'reading manual inputs failed; the previous values stay in force');
          if (!closed) pollManual(actor);
        },
      ));
    }, a.manual.pollSec * 1000);
  };

  return {
    machine,
    input: { symbols: config.symbols, params, fullSnapshotSec: a.fullSnapshotSec, ml, catchUpMs: a.catchUpSec === null ? null : a.catchUpSec * 1000 },
    routes: {
      'market.candle': (env) => route({ type: 'analytics.candle', candle: env.payload }),
      'market.trades': (env) => route({ type: 'analytics.trades', batch: env.payload }),
      'market.book': (env) => route({ type: 'analytics.book', book: env.payload }),
      'market.mark': (env) => route({ type: 'analytics.mark', mark: env.payload }),
      'market.derivatives': (env) => route({ type: 'analytics.derivatives', update: env.payload }),
      'market.liquidations': (env) => route({ type: 'analytics.liquidations', batch: env.payload }),
    },
    details: (actor) => {
      const c = actor.getSnapshot().context as { snapshots: number; pending: unknown[]; caughtUp: number };
      return {
        snapshots: c.snapshots, caughtUp: c.caughtUp, pendingInference: c.pending.length, unwritten: writer.pending,
        ml: ml.kind === 'model' ? `model ${ml.name}` : `unavailable: ${ml.reason}`,
        warmupMs: stats.warmupMs, historyCandles: stats.history, inferences: stats.inferences, inferenceErrors: stats.inferenceErrors,
        // Latest stored manual input of each kind (id), whether or not it is still within its max age.
        manualInputs: { sentiment: lastManual?.sentiment?.id ?? null, etfFlow: lastManual?.etfFlow?.id ?? null, liquidations: lastManual?.liquidations?.id ?? null },
        // Read by `bosun status` (ai section).
        ai: swarm
          ? { on: true, text: ai.text, ready: swarmReady, ...swarm.stats, inFlight: swarm.inFlight, clientCounts: swarm.clientCounts }
          : { on: false, text: ai.text },
      };
    },
    // Warm-up runs in the background: the worker reports running at once (machine state `warming`), live
    // messages wait in the buffer, and a failed warm-up crashes the worker so the supervisor restarts it.
    onStart: (actor) => {
      machineRef = actor;
      if (swarm) {
        actor.on('analytics.snapshot', (e: { payload: Snapshot }) => swarmReady && swarm.onSnapshot(e.payload));
        lockstepWork.track(swarm.start()).then(
          () => {
            swarmReady = true;
            log.info({ ai: ai.text }, 'ai swarm ready');
          },
          (err: Error) => {
            if (closed) return;
            log.error({ err: err.message }, 'ai swarm could not restore its state from MariaDB');
            throw err;
          },
        );
      }
      // A lockstep replay waits for the warm-up (time does not move before it is done).
      lockstepWork.track(warmUp(actor)).then(
        () => !closed && pollManual(actor),
        (err: Error) => {
          if (closed) return;
          log.error({ err: err.message }, 'analytics warm-up failed');
          throw err;
        },
      );
    },
    dispose: async () => {
      closed = true;
      if (pollTimer) clock.clearTimeout(pollTimer);
      aiStop.abort();
      await swarm?.close();
      try {
        await writer.close();
      } finally {
        await pool.close();
      }
    },
  };
});
