// Flatten on the paper venue with the real ledger: entries cancelled, one reduce-only close per position (also when
// asked twice), the stop-loss kept until the close filled, then stops and targets cancelled.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientOrderId } from '../../src/domain/ids.js';
import { DEFAULT_MARKETS, LocalSimGateway, SimVenueStore } from '../../src/exchange/sim/local-gateway.js';
import { cancelProtectionWhereFlat, submitFlatten } from '../../src/execution/flatten.js';
import { Ledger } from '../../src/execution/ledger.js';
import { OrderManager } from '../../src/execution/order-manager.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { PROTECTION } from '../helpers/config.js';

const SYM = 'BTC/USDT:USDT';
let db: TestDb;
test.before(async () => {
  db = await createTestDb('flatten');
});
test.after(async () => db.drop());

test('flatten: cancel entries, close at market reduce-only once, keep protection until filled, then cancel it', async () => {
  let t = Date.UTC(2026, 0, 1);
  const now = () => t;
  const gw = await LocalSimGateway.open({ markets: DEFAULT_MARKETS.filter((m) => m.symbol === SYM), takerFee: 0.0004, makerFee: 0.0002, startingBalance: 10_000, leverage: 5 }, new SimVenueStore(db.pool, 'flat'), now);
  const ledger = new Ledger(db.pool, now);
  const orders = new OrderManager(gw, ledger, createLogger({ level: 'silent', destination: { write: () => undefined } }), { protection: PROTECTION });
  await orders.loadMarkets();
  const bar = async (px: number) => {
    t += 60_000;
    for (const f of await gw.onBar(SYM, { ts: t, open: px, high: px + 5, low: px - 5, close: px })) {
      const o = f.clientId ? await ledger.order(f.clientId) : null;
      await ledger.recordFill(f, o?.leg === 'entry' ? { stopLoss: '29000', takeProfits: [{ price: '31000', fraction: 1 }] } : undefined);
    }
  };
  await bar(30_000);
  await orders.submit({ symbol: SYM, clientId: clientOrderId('d1', 'entry', 0), side: 'buy', type: 'market', qty: '0.01' }, { decisionId: 'd1', positionId: null, leg: 'entry', attempt: 0 });
  await bar(30_000);
  const pos = (await ledger.openPosition(SYM))!;
  assert.ok(pos, 'position opened');
  assert.equal((await orders.ensureProtection(pos)).placed, ['sl', 'tp']);
  await orders.submit({ symbol: SYM, clientId: clientOrderId('d2', 'entry', 0), side: 'buy', type: 'limit', qty: '0.01', price: '25000' }, { decisionId: 'd2', positionId: null, leg: 'entry', attempt: 0 });

  const first = await submitFlatten(gw, ledger, orders, [SYM]);
  assert.is(first.cancelledEntries, 1);
  assert.equal(first.closing.map((c) => [c.side, c.qty]), [['sell', '0.01']]);
  assert.equal(first.errors, []);
  const second = await submitFlatten(gw, ledger, orders, [SYM]);
  assert.equal(second.closing, [], 'a repeated flatten does not send a second close');
  assert.equal(second.alreadyClosing, [SYM]);

  const early = await cancelProtectionWhereFlat(gw, orders, [SYM]);
  assert.equal(early, { cancelledProtective: 0, stillOpen: [SYM] }, 'not flat yet: the stop stays');
  assert.ok((await gw.fetchOpenOrders(SYM)).some((o) => o.type === 'stop_market'));

  await bar(30_100);
  assert.is(await ledger.openPosition(SYM), null);
  const [closed] = await db.pool.query<Array<{ exit_reason: string }>>('SELECT exit_reason FROM positions WHERE id = ?', [pos.id]);
  assert.is(closed!.exit_reason, 'flatten');
  assert.equal(await cancelProtectionWhereFlat(gw, orders, [SYM]), { cancelledProtective: 2, stillOpen: [] });
  assert.equal(await gw.fetchOpenOrders(SYM), []);
  const legs = await db.pool.query<Array<{ leg: string; status: string; reduce_only: number }>>("SELECT leg, status, reduce_only FROM orders WHERE leg IN ('flatten', 'sl', 'tp') ORDER BY id");
  assert.equal(legs, [
    { leg: 'sl', status: 'cancelled', reduce_only: 0 },
    { leg: 'tp', status: 'cancelled', reduce_only: 0 },
    { leg: 'flatten', status: 'filled', reduce_only: 1 },
  ]);
  assert.equal(await submitFlatten(gw, ledger, orders, [SYM]), { cancelledEntries: 0, closing: [], alreadyClosing: [], errors: [] }, 'flat: nothing to do');
});

test.run();
