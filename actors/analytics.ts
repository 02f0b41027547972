// analytics worker: warms its engines from stored candles, then turns each closed candle into a snapshot.
// Guarantees live candles that arrive during warm-up are buffered and applied after history, in order.
import { analyticsMachine } from '../machines/analytics.machine.js';
import { runActor } from '../src/host/host.js';
import type { Candle, Snapshot } from '../src/protocol/index.js';
import { BatchWriter } from '../src/store/batch-writer.js';
import { insertSnapshots } from '../src/store/repos/analytics.js';
import { recentCandles } from '../src/store/repos/candles.js';

runActor(async (ctx) => {
  const { config } = ctx;
  const pool = ctx.db();
  const writer = new BatchWriter<Snapshot>({
    write: (rows) => insertSnapshots(pool, rows),
    maxBatch: 20,
    flushMs: 500,
    onHealth: (err) => ctx.setDegraded(err ? `snapshot writes failing: ${err.message}` : null),
  });
  const machine = analyticsMachine.provide({ actions: { persistSnapshot: (_, s: Snapshot) => writer.push(s) } });
  let buffer: Candle[] | null = [];
  return {
    machine,
    input: { symbols: config.symbols, params: config.analytics, fullSnapshotSec: config.analytics.fullSnapshotSec },
    routes: {
      'market.candle': (env) => {
        if (buffer) {
          buffer.push(env.payload);
          return null;
        }
        return { type: 'analytics.candle', candle: env.payload };
      },
    },
    details: (a) => {
      const c = a.getSnapshot().context as { snapshots: number };
      return { snapshots: c.snapshots, unwritten: writer.pending };
    },
    onStart: async (a) => {
      const history: Candle[] = [];
      for (const s of config.symbols) history.push(...(await recentCandles(pool, s, '1m', config.analytics.warmupCandles)));
      history.sort((x, y) => x.openTime - y.openTime);
      a.send({ type: 'analytics.warmup', candles: history });
      const live = buffer ?? [];
      buffer = null;
      for (const c of live) a.send({ type: 'analytics.candle', candle: c });
      ctx.log.info({ history: history.length, buffered: live.length }, 'analytics warmed up from MariaDB');
    },
    dispose: () => writer.close(),
  };
});
