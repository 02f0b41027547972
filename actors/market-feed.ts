// market-feed worker: runs the feed machine on the seeded synthetic market, batches candles into MariaDB.
// Guarantees a restart resumes from the last stored candle, so the candle series has no duplicate or gap.
import { marketFeedMachine } from '../machines/market-feed.machine.js';
import { runActor } from '../src/host/host.js';
import type { Candle } from '../src/protocol/index.js';
import { BatchWriter } from '../src/store/batch-writer.js';
import { lastCandle, upsertCandles } from '../src/store/repos/candles.js';

runActor(async (ctx) => {
  const { config, clock } = ctx;
  const pool = ctx.db();
  const writer = new BatchWriter<Candle>({
    write: (rows) => upsertCandles(pool, rows, 'synthetic'),
    maxBatch: config.market.persistBatch,
    flushMs: config.market.persistFlushMs,
    onHealth: (err) => ctx.setDegraded(err ? `candle writes failing: ${err.message}` : null),
  });
  const machine = marketFeedMachine.provide({ actions: { persistCandle: (_, c: Candle) => writer.push(c) } });
  return {
    machine,
    input: { symbols: config.symbols, synthetic: config.market.synthetic, now: () => clock.now(), maxBackfillMinutes: 7 * 1440, initialHistoryMinutes: config.analytics.warmupCandles },
    routes: {},
    details: (a) => {
      const c = a.getSnapshot().context as { produced: number; nextOpenTime: number };
      return { source: 'synthetic', candles: c.produced, nextCandleAt: c.nextOpenTime + 60_000, unwritten: writer.pending };
    },
    onStart: async (a) => {
      const last: Record<string, { openTime: number; close: number } | null> = {};
      for (const s of config.symbols) {
        const c = await lastCandle(pool, s, '1m');
        last[s] = c ? { openTime: c.openTime, close: c.close } : null;
      }
      a.send({ type: 'feed.loaded', last });
    },
    dispose: () => writer.close(),
  };
});
