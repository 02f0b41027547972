// The paper daemon on its simulated venue: the market feed polls open interest and the long/short and taker ratios
// and streams forced liquidations (forceOrder) through the real ccxt and ws clients, stores them in MariaDB and
// publishes them; analytics puts them in every full snapshot (flow.derivatives) and the signals history.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DerivativesView } from '../../src/protocol/index.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

let db: TestDb;
let d: DaemonHandle | null = null;
test.before(async () => {
  db = await createTestDb('derivdaemon', { migrate: false });
});
test.after(async () => {
  await d?.stop('SIGKILL');
  await db.drop();
});

const one = async <T>(sql: string): Promise<T> => (await db.pool.query<T[]>(sql))[0]!;

test('open interest, ratios and liquidations flow from the venue into MariaDB and into the snapshots', async () => {
  // Two days of venue history, so the 1h volatility the flow view needs is known at once; liquidations in calm minutes
  // now and then (a burst needs a large move), so some reach a snapshot's 5-minute window within the test.
  d = startDaemon({
    dbUrl: db.url,
    overrides: { symbols: ['BTC/USDT:USDT'], venue: { historyMinutes: 3000, derivatives: { source: 'auto', synthetic: { oiDays: 0.3, liqMoveSigma: 3, liqVolumeShare: 0.05, liqBackground: 0.5 } } } },
  });
  // Generous: the venue first writes two days of history (a loaded machine takes a while).
  await d.waitRunning(120_000);
  await waitFor('metrics rows, open-interest samples and liquidations in MariaDB', async () => {
    const m = await one<{ n: number; complete: number }>('SELECT COUNT(*) AS n, SUM(open_interest IS NOT NULL AND long_short_ratio IS NOT NULL AND top_position_ratio IS NOT NULL AND taker_buy_sell_ratio IS NOT NULL) AS complete FROM derivatives_metrics');
    const oi = await one<{ n: number }>('SELECT COUNT(*) AS n FROM open_interest');
    const l = await one<{ n: number }>('SELECT COUNT(*) AS n FROM liquidations');
    return Number(m.complete) > 12 && Number(oi.n) > 0 && Number(l.n) > 0;
  }, 120_000, 250);
  // The feed fetched the history back to the venue's first candles, then every period as it ended.
  const span = await one<{ first: number; last: number; n: number }>('SELECT MIN(ts) AS first, MAX(ts) AS last, COUNT(*) AS n FROM derivatives_metrics');
  assert.is(Number(span.n), (Number(span.last) - Number(span.first)) / 300_000 + 1, 'one row per 5-minute period, no gap');
  const liq = await one<{ side: string; price: string; qty: string; notional: number }>('SELECT side, price, qty, notional FROM liquidations ORDER BY ts DESC LIMIT 1');
  assert.ok(['buy', 'sell'].includes(liq.side) && Number(liq.price) > 0 && Number(liq.qty) > 0 && Math.abs(liq.notional / Number(liq.qty) - Number(liq.price)) / Number(liq.price) < 0.01);

  const snap = await waitFor('a full snapshot with open interest, its change, ratios and liquidations in its window', async () => {
    const rows = await db.pool.query<Array<{ ts: number; d: string | null }>>("SELECT ts, JSON_EXTRACT(data, '$.flow.derivatives') AS d FROM snapshots WHERE kind = 'full' ORDER BY ts DESC LIMIT 30");
    for (const r of rows) {
      const v = r.d ? (typeof r.d === 'string' ? JSON.parse(r.d) : r.d) as DerivativesView : null;
      if (v && v.oiChangePct !== null && v.longShortRatio !== null && v.forcedLiquidations && v.forcedLiquidations.count > 0) return { ts: Number(r.ts), v };
    }
    return null;
  }, 180_000, 500);
  const v = snap.v;
  assert.ok(v.openInterest! > 0 && v.openInterestValue! > 0);
  assert.ok(v.metricsTs! <= snap.ts && snap.ts - v.metricsTs! <= 15 * 60_000, 'the latest period at or before the snapshot');
  for (const r of [v.longShortRatio, v.topTraderAccountRatio, v.topTraderPositionRatio, v.takerBuySellRatio]) assert.ok(r! > 0.05 && r! < 20, String(r));
  assert.ok(Math.abs(v.oiChangePct!) < 50, `OI change ${v.oiChangePct}`);
  assert.ok(v.forcedLiquidations!.longUsd + v.forcedLiquidations!.shortUsd > 0);
  assert.ok(v.fundingSettled !== null, 'the funding history too');
  // The stored liquidations of the window add up to what the snapshot counted (once the feed's batch is written).
  const inWindow = async () => Number((await one<{ n: number }>(`SELECT COUNT(*) AS n FROM liquidations WHERE ts > ${snap.ts - v.forcedLiquidations!.windowSec * 1000} AND ts <= ${snap.ts}`)).n);
  await waitFor(`the ${v.forcedLiquidations!.count} liquidations of the snapshot's window stored`, async () => (await inWindow()) >= v.forcedLiquidations!.count, 20_000, 200);
  assert.is(await inWindow(), v.forcedLiquidations!.count);
  // The same in the signals history and the flow row.
  const sig = await one<{ open_interest: number; oi_change_pct: number; long_short_ratio: number; taker_buy_sell_ratio: number }>(`SELECT open_interest, oi_change_pct, long_short_ratio, taker_buy_sell_ratio FROM signals WHERE ts = ${snap.ts}`);
  assert.equal([sig.open_interest, sig.oi_change_pct, sig.long_short_ratio, sig.taker_buy_sell_ratio], [v.openInterest, v.oiChangePct, v.longShortRatio, v.takerBuySellRatio]);
  const flow = await one<{ oi_change_pct: number }>(`SELECT oi_change_pct FROM flows WHERE ts = ${snap.ts}`);
  assert.is(flow.oi_change_pct, v.oiChangePct);
  // The feed reports its polls.
  const s = await d.status();
  const feed = s.actors.find((a) => a.id === 'market-feed')!;
  const polls = (feed as unknown as { details: { derivatives: { polls: number; metricsRows: number; errors: number } } }).details.derivatives;
  assert.ok(polls.polls > 1 && polls.metricsRows > 12 && polls.errors === 0, JSON.stringify(polls));
});

test.run();
