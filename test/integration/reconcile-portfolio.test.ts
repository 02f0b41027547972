// Startup reconciliation of a portfolio on the loopback venue (real CcxtGateway): three positions, each with a stop and
// two take-profit legs; while "down", one lost a leg on the exchange and one was closed there by hand. One run: the
// untouched position keeps its orders, the missing leg is placed again, the closed one is closed in the DB from the
// exchange's fills and its leftovers cancelled; a second run reports nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dec } from '../../src/domain/decimal.js';
import { reconcile } from '../../src/execution/reconcile.js';
import { PROTECTION } from '../helpers/config.js';
import { BTC, reconWorld, venueStops } from '../helpers/recon.js';
import { startTestVenue, type TestVenue } from '../helpers/venue-server.js';

const ETH = 'ETH/USDT:USDT';
const SOL = 'SOL/USDT:USDT';
const SYMBOLS = [BTC, ETH, SOL];
let v: TestVenue | null = null;
test.after.each(async () => {
  await v?.stop();
  v = null;
});

test('three positions: one missing a take-profit leg, one closed on the exchange while down, one untouched', async () => {
  v = await startTestVenue('reconpf', { symbols: SYMBOLS });
  const w = await reconWorld(v);
  for (const [i, symbol] of SYMBOLS.entries()) {
    await w.ours({ decision: `pf-${i}`, symbol, side: 'buy', type: 'market', qty: await w.qty(symbol, 600) }, 'entry');
    const p = (await w.ledger.openPosition(symbol))!;
    const e = dec(p.entry_price);
    const legs = [{ price: e.mul('1.01').toString(), fraction: 0.5 }, { price: e.mul('1.02').toString(), fraction: 0.5 }];
    await v.db.pool.query('UPDATE positions SET stop_loss = ?, take_profits = ?, take_profit = ? WHERE id = ?', [e.mul('0.98').toString(), JSON.stringify(legs), legs[0]!.price, p.id]);
    const placed = await w.om.ensureProtection((await w.ledger.openPosition(symbol))!);
    assert.equal(placed.placed, ['sl', 'tp', 'tp2'], `${symbol}: stop and both legs`);
  }
  const before = Object.fromEntries(SYMBOLS.map((s) => [s, venueStops(v!, s).map((o) => o.clientId).sort()]));
  for (const s of SYMBOLS) assert.is(before[s]!.length, 3, `${s}: three conditional orders on the venue`);

  // While down: ETH's second leg cancelled on the exchange; SOL closed there by hand (neither seen by the ledger).
  const tp2 = (await v.db.pool.query<Array<{ client_id: string }>>("SELECT client_id FROM orders WHERE symbol = ? AND leg = 'tp2'", [ETH]))[0]!.client_id;
  await w.gw.cancelOrder(ETH, tp2, true);
  const sol = (await w.gw.fetchPositions([SOL]))[0]!;
  await w.gw.createOrder({ symbol: SOL, clientId: 'by-hand-close', side: 'sell', type: 'market', qty: sol.qty, reduceOnly: true });
  assert.equal(await w.gw.fetchPositions([SOL]), [], 'SOL flat on the exchange');

  const r = await reconcile(w.gw, w.ledger, w.om, SYMBOLS, w.now(), { protection: PROTECTION, settleMs: 1300 });
  const codes = r.anomalies.map((a) => `${a.symbol} ${a.code}`).sort();
  // BTC: nothing to do.
  assert.equal(venueStops(v, BTC).map((o) => o.clientId).sort(), before[BTC], 'BTC keeps its stop and both legs');
  assert.ok(!codes.some((c) => c.startsWith(BTC)), codes.join('; '));
  // ETH: the missing leg placed again (a new attempt), stop and first leg kept.
  const eth = venueStops(v, ETH);
  assert.is(eth.length, 3, JSON.stringify(eth));
  assert.ok(!eth.some((o) => o.clientId === tp2), 'a new client id for the replaced leg');
  assert.ok(codes.includes(`${ETH} reconcile.protection_placed`), codes.join('; '));
  // SOL: closed in the DB from the exchange's fill; its stop and legs cancelled.
  assert.is(await w.ledger.openPosition(SOL), null);
  const [closed] = await v.db.pool.query<Array<{ exit_reason: string; exit_price: string | null }>>('SELECT exit_reason, exit_price FROM positions WHERE symbol = ?', [SOL]);
  assert.is(closed!.exit_reason, 'external');
  assert.ok(closed!.exit_price !== null, 'exit price from the fill');
  assert.equal(venueStops(v, SOL), [], 'SOL leftovers cancelled');
  // Every open position agrees with the exchange; a second run reports nothing.
  for (const s of [BTC, ETH]) assert.is(dec((await w.ledger.openPosition(s))!.qty).toString(), dec((await w.gw.fetchPositions([s]))[0]!.qty).toString());
  const again = await reconcile(w.gw, w.ledger, w.om, SYMBOLS, w.now(), { protection: PROTECTION, settleMs: 1300 });
  assert.equal(again.anomalies, [], JSON.stringify(again.anomalies));
});

test.run();
