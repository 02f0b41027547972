import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dec } from '../../src/domain/decimal.js';
import { LocalSimGateway } from '../../src/exchange/sim/local-gateway.js';
import { SIM_MARKETS } from '../../src/exchange/sim/markets.js';
import { Ledger } from '../../src/execution/ledger.js';
import { OrderManager } from '../../src/execution/order-manager.js';
import { reconcile } from '../../src/execution/reconcile.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { quietLog } from '../helpers/venue-server.js';
import { PROTECTION } from '../helpers/config.js';

// PnL through reconciliation: what a position earned is booked once, with fees, whichever path closes it.
const BTC = 'BTC/USDT:USDT';
let db: TestDb;
test.before(async () => {
  db = await createTestDb('reconpnl');
});
test.after(async () => {
  await db?.drop();
});

test('a DB position larger than the exchange, closed by hand: the hand fill booked once (PnL and fee), the phantom rest closed without inventing PnL', async () => {
  let now = Date.UTC(2026, 3, 1);
  const gw = await LocalSimGateway.open({ markets: SIM_MARKETS, takerFee: 0.0004, makerFee: 0.0002, startingBalance: 100_000, leverage: 10, marketFill: 'immediate', markSmoothing: 1 }, null, () => now);
  await gw.onBar(BTC, { ts: now, open: 30_000, high: 30_000, low: 30_000, close: 30_000 });
  const ledger = new Ledger(db.pool, () => now);
  await gw.createOrder({ symbol: BTC, clientId: 'open-1', side: 'buy', type: 'market', qty: '0.1' });
  for (const f of gw.core.fills(BTC, 0)) await ledger.recordFill(f);
  const p = (await ledger.openPosition(BTC))!;
  await db.pool.query('UPDATE positions SET qty = 0.15 WHERE id = ?', [p.id]); // the DB believes in more than there is
  now += 60_000;
  await gw.onBar(BTC, { ts: now, open: 30_000, high: 31_000, low: 30_000, close: 31_000 });
  await gw.createOrder({ symbol: BTC, clientId: 'by-hand', side: 'sell', type: 'market', qty: '0.1' });
  const exit = gw.core.fills(BTC, 0).filter((f) => f.clientId === 'by-hand');
  const om = new OrderManager(gw, ledger, quietLog, { protection: PROTECTION,  recvWindowMs: 0, settleMarginMs: 0 });
  await om.loadMarkets();
  now += 1000;
  const r = await reconcile(gw, ledger, om, [BTC], now, { protection: PROTECTION, settleMs: 0 });
  assert.equal(r.anomalies.map((a) => a.code).sort(), ['reconcile.missed_fill', 'reconcile.position_gone']);
  const row = (await db.pool.query<Array<{ status: string; realized_pnl: string; fees: string; exit_reason: string; net_pnl: string; funding: string }>>('SELECT * FROM positions WHERE id = ?', [p.id]))[0]!;
  const all = gw.core.fills(BTC, 0);
  const gross = exit.reduce((s, f) => s.add(dec(f.price).sub(p.entry_price).mul(f.qty)), dec(0));
  assert.is(row.status, 'closed');
  assert.is(row.exit_reason, 'external');
  assert.is(dec(row.realized_pnl).toString(), gross.toString(), 'PnL of the 0.1 that existed, once');
  assert.is(dec(row.fees).toString(), all.reduce((s, f) => s.add(f.fee), dec(0)).toString(), 'entry and exit fees, once');
  assert.is(dec(row.net_pnl).toString(), dec(row.realized_pnl).sub(row.fees).add(row.funding).toString());
  // The exchange agrees: its wallet moved by the same realised PnL minus fees.
  assert.is(dec(gw.core.balance()[0]!.total).sub(100_000).toString(), gross.sub(row.fees).toString());
  assert.equal((await reconcile(gw, ledger, om, [BTC], now + 1000, { protection: PROTECTION, settleMs: 0 })).anomalies, []);
});

test.run();
