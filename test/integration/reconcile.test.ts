import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dec } from '../../src/domain/decimal.js';
import { clientOrderId } from '../../src/domain/ids.js';
import { decisionKey } from '../../src/execution/protection.js';
import { reconcile, ReconcileAbortedError, type ReconcileOptions } from '../../src/execution/reconcile.js';
import { BTC, reconWorld, venueStops, type ReconWorld } from '../helpers/recon.js';
import { startTestVenue, type TestVenue } from '../helpers/venue-server.js';
import { PROTECTION } from '../helpers/config.js';

// Startup reconciliation against the loopback venue through the real CcxtGateway: each case of issue 6 point 5.
let v: TestVenue | null = null;
test.after.each(async () => {
  await v?.stop();
  v = null;
});

const SYMBOLS = [BTC];
const open = async (tag: string) => {
  v = await startTestVenue(tag);
  return reconWorld(v);
};
const run = (w: ReconWorld, o: Partial<ReconcileOptions> = {}) => reconcile(w.gw, w.ledger, w.om, SYMBOLS, w.now(), { protection: PROTECTION, settleMs: 1300, ...o });
/** Reconciles while the market moves to `price` just before its first position read (a fill lands mid-reconciliation). */
async function reconcileWhileMoving(w: ReconWorld, price: number) {
  let moved = false;
  const gw = new Proxy(w.gw, {
    get: (t, k, r) => (k === 'fetchPositions' ? async (s: string[]) => {
      if (!moved) [moved] = [true, await w.moveTo(BTC, price)];
      return t.fetchPositions(s);
    } : Reflect.get(t, k, r)),
  });
  const r = await reconcile(gw, w.ledger, w.om, SYMBOLS, w.now(), { protection: PROTECTION, settleMs: 1300 });
  assert.ok(moved, 'the market moved during reconciliation');
  return r;
}
const codes = (r: { anomalies: Array<{ code: string }> }) => r.anomalies.map((a) => a.code).sort();
const exPos = async (w: ReconWorld) => (await w.gw.fetchPositions(SYMBOLS))[0] ?? null;
/** Every fill before now is known (as if its history were no longer available from the exchange). */
const forgetHistory = async (w: ReconWorld) =>
  v!.db.pool.query('INSERT INTO reconcile_state (symbol, fills_complete_to, updated_at) VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE fills_complete_to = VALUES(fills_complete_to)', [BTC, w.now() + 120_000]);

test('exchange position unknown to the DB: rebuilt from its fills when the exchange has them, imported from the position when not; stop-loss attached now; second run silent', async () => {
  const w = await open('recorphan');
  await w.gw.createOrder({ symbol: BTC, clientId: 'by-hand-1', side: 'buy', type: 'market', qty: await w.qty(BTC, 500) });
  const r1 = await run(w);
  assert.equal(codes(r1), ['reconcile.missed_fill', 'reconcile.protection_placed'], JSON.stringify(r1.anomalies));
  const p1 = (await w.ledger.openPosition(BTC))!;
  assert.is(dec(p1.qty).toString(), dec((await exPos(w))!.qty).toString());
  assert.ok(venueStops(v!, BTC).some((o) => o.type === 'stop_market' && o.side === 'sell'), 'stop-loss on the venue');
  assert.equal((await run(w)).anomalies, [], 'second run reports nothing');

  // Same again where the fills are out of reach: the position itself is imported, with an audit row.
  await v!.db.pool.query('DELETE FROM positions');
  await v!.db.pool.query('DELETE FROM fills');
  await v!.db.pool.query('DELETE FROM orders');
  for (const o of venueStops(v!, BTC)) await w.gw.cancelOrder(BTC, o.clientId, true);
  await forgetHistory(w);
  const r2 = await run(w);
  assert.equal(codes(r2), ['reconcile.orphan_position', 'reconcile.protection_placed'], JSON.stringify(r2.anomalies));
  const p2 = (await w.ledger.openPosition(BTC))!;
  const ex = (await exPos(w))!;
  assert.is(p2.side, ex.side);
  assert.is(dec(p2.qty).toString(), dec(ex.qty).toString());
  assert.ok(dec(p2.entry_price).sub(ex.entryPrice).abs().lte(dec(ex.entryPrice).mul('0.0001')));
  const stop = venueStops(v!, BTC).find((o) => o.type === 'stop_market')!;
  assert.ok(dec(stop.stopPrice!).lt(ex.markPrice), `stop ${stop.stopPrice} below the mark ${ex.markPrice}`);
  const audit = await w.audit();
  assert.ok(audit.some((a) => a.code === 'reconcile.orphan_position' && a.subject === `position:${p2.id}`), JSON.stringify(audit));
  assert.equal((await run(w)).anomalies, []);
});

test('DB position gone from the exchange: closed from the fills (stop-loss → stop_loss, exit price and PnL from the fill)', async () => {
  const w = await open('recgone');
  await w.ours({ decision: 'g-1', symbol: BTC, side: 'buy', type: 'market', qty: await w.qty(BTC, 500) }, 'entry');
  const p = (await w.ledger.openPosition(BTC))!;
  await w.om.ensureProtection({ ...p, stop_loss: dec(p.entry_price).mul('0.99').toFixed(1) });
  const stop = Number(venueStops(v!, BTC).find((o) => o.type === 'stop_market')!.stopPrice);
  await w.moveTo(BTC, stop * 0.995);
  assert.is(await exPos(w), null, 'the stop closed it on the venue');
  await forgetHistory(w); // so the fill is not simply replayed: the close must come from the position check
  const r = await run(w);
  assert.ok(codes(r).includes('reconcile.position_gone'), JSON.stringify(r.anomalies));
  const closed = (await v!.db.pool.query<Array<{ exit_reason: string; exit_price: string; realized_pnl: string; status: string }>>('SELECT * FROM positions WHERE id = ?', [p.id]))[0]!;
  const fill = v!.server.venue.core.allFills().at(-1)!;
  assert.is(closed.status, 'closed');
  assert.is(closed.exit_reason, 'stop_loss');
  assert.is(dec(closed.exit_price).toString(), dec(fill.price).toString());
  assert.is(dec(closed.realized_pnl).toFixed(6), dec(fill.price).sub(p.entry_price).mul(p.qty).toFixed(6));
  assert.ok((await w.audit()).some((a) => a.code === 'reconcile.position_gone'));
  assert.is((await w.ledger.recordFill(fill)).kind, 'duplicate', 'the closing fill is stored with the close: a later poll cannot reopen the position');
  assert.is(await w.ledger.openPosition(BTC), null);
  assert.equal((await run(w)).anomalies, []);
});

test('a resting entry that fills while reconciliation runs: applied as a fill, not imported as an orphan and then counted again', async () => {
  const w = await open('recraceentry');
  const mark = Number((await w.gw.fetchMarkPrice(BTC)).markPrice);
  // Killed right after the venue accepted the entry: its row is still pending_submit; the limit rests below the market.
  const entry = { symbol: BTC, clientId: clientOrderId('re-1', 'entry', 0), side: 'buy' as const, type: 'limit' as const, qty: await w.qty(BTC, 500), price: (mark * 0.99).toFixed(1), timeInForce: 'GTC' as const };
  await w.ledger.insertPending(entry, { decisionId: null, positionId: null, leg: 'entry', attempt: 0 });
  await w.gw.createOrder(entry);
  const r = await reconcileWhileMoving(w, mark * 0.985);
  assert.ok(!codes(r).includes('reconcile.orphan_position') && codes(r).includes('reconcile.missed_fill'), JSON.stringify(r.anomalies));
  const ex = (await exPos(w))!;
  assert.is(dec((await w.ledger.openPosition(BTC))!.qty).toString(), dec(ex.qty).toString());
  for (const f of await w.gw.fetchFills(BTC, 0)) assert.is((await w.ledger.recordFill(f)).kind, 'duplicate', `fill ${f.tradeId}`);
  assert.is(dec((await w.ledger.openPosition(BTC))!.qty).toString(), dec(ex.qty).toString(), 'a later poll adds nothing');
  assert.ok(venueStops(v!, BTC).some((o) => o.type === 'stop_market'), 'protected');
  assert.equal((await run(w)).anomalies, []);
});

test('a stop that fills while reconciliation runs (after its fill fetch): applied as a fill, stored once; no phantom position from a later poll', async () => {
  const w = await open('recrace');
  await w.ours({ decision: 'r-1', symbol: BTC, side: 'buy', type: 'market', qty: await w.qty(BTC, 500) }, 'entry');
  const p = (await w.ledger.openPosition(BTC))!;
  await w.om.ensureProtection({ ...p, stop_loss: dec(p.entry_price).mul('0.99').toFixed(1) });
  const stop = Number(venueStops(v!, BTC).find((o) => o.type === 'stop_market')!.stopPrice);
  // The stop fills between reconciliation's fill fetch and its position fetch.
  const r = await reconcileWhileMoving(w, stop * 0.995);
  assert.ok(codes(r).includes('reconcile.missed_fill') && !codes(r).includes('reconcile.position_gone'), JSON.stringify(r.anomalies));
  const closed = (await v!.db.pool.query<Array<{ status: string; exit_reason: string }>>('SELECT status, exit_reason FROM positions WHERE id = ?', [p.id]))[0]!;
  assert.equal(closed, { status: 'closed', exit_reason: 'stop_loss' });
  // What the poller would do next: every venue fill again; each is a duplicate, nothing opens.
  for (const f of await w.gw.fetchFills(BTC, 0)) assert.is((await w.ledger.recordFill(f)).kind, 'duplicate', `fill ${f.tradeId}`);
  assert.is(await w.ledger.openPosition(BTC), null);
  assert.equal((await run(w)).anomalies, []);
});

test('position without stop-loss or take-profit: both placed at once; pending_submit rows resolved by client id (placed → its fill applied, never sent → never_placed)', async () => {
  const w = await open('recprot');
  await w.ours({ decision: 'p-1', symbol: BTC, side: 'sell', type: 'market', qty: await w.qty(BTC, 400) }, 'entry');
  // Crash after the exchange call, before its answer was stored: the row is still pending_submit, the fill unseen.
  const q = await w.qty(BTC, 300);
  const sent = { symbol: BTC, clientId: clientOrderId('p-2', 'entry', 0), side: 'sell' as const, type: 'market' as const, qty: q };
  await w.ledger.insertPending(sent, { decisionId: null, positionId: null, leg: 'entry', attempt: 0 });
  await w.gw.createOrder(sent);
  const never = { symbol: BTC, clientId: clientOrderId('p-3', 'entry', 0), side: 'sell' as const, type: 'market' as const, qty: q };
  await w.ledger.insertPending(never, { decisionId: null, positionId: null, leg: 'entry', attempt: 0 });
  const r = await run(w);
  assert.equal(codes(r), ['reconcile.missed_fill', 'reconcile.pending_never_placed', 'reconcile.protection_placed'], JSON.stringify(r.anomalies));
  assert.is((await w.ledger.order(sent.clientId))!.status, 'filled');
  assert.is((await w.ledger.order(never.clientId))!.status, 'never_placed');
  assert.is(v!.server.venue.core.ordersWithClientId(never.clientId).length, 0, 'never sent by reconciliation either');
  const stops = venueStops(v!, BTC);
  assert.ok(stops.some((o) => o.type === 'stop_market' && o.side === 'buy'), JSON.stringify(stops));
  assert.ok(stops.some((o) => o.type === 'take_profit_market' && o.side === 'buy'), JSON.stringify(stops));
  assert.is(dec((await w.ledger.openPosition(BTC))!.qty).toString(), dec((await exPos(w))!.qty).toString());
  assert.equal((await run(w)).anomalies, []);
});

test('a stop-loss row written just before a kill (pending_submit, never sent): the replacement stop is on the venue before the settle wait, not after it; a late landing of the old request is applied', async () => {
  const w = await open('recpendsl');
  await w.ours({ decision: 'k-1', symbol: BTC, side: 'sell', type: 'market', qty: await w.qty(BTC, 400) }, 'entry');
  const p = (await w.ledger.openPosition(BTC))!;
  const stopPx = (Number(p.entry_price) * 1.02).toFixed(1);
  const key = decisionKey(p);
  // A stop for the quantity (as a moved stop is): a closePosition one could not land beside the closePosition replacement
  // (Binance refuses a second closePosition stop per side, -4130).
  const lost = { symbol: BTC, clientId: clientOrderId(key, 'sl', 0), side: 'buy' as const, type: 'stop_market' as const, stopPrice: stopPx, qty: dec(p.qty).toFixed(), reduceOnly: true, workingType: 'MARK_PRICE' as const };
  await w.ledger.insertPending(lost, { decisionId: p.decision_id, positionId: p.id, leg: 'sl', attempt: 0 });
  // What the venue holds when reconciliation starts its settle wait; the old request lands during it the first time.
  const atWait: string[][] = [];
  let land = true;
  const sleep = async () => {
    atWait.push(venueStops(v!, BTC).filter((o) => o.type === 'stop_market').map((o) => o.clientId));
    if (land) await w.gw.createOrder(lost);
  };
  const r = await run(w, { sleep });
  assert.equal(atWait, [[clientOrderId(key, 'sl', 1)]], 'the replacement (next attempt) was placed before the wait');
  assert.ok(codes(r).includes('reconcile.protection_placed') && codes(r).includes('reconcile.pending_resolved'), JSON.stringify(r.anomalies));
  assert.is((await w.ledger.order(lost.clientId))!.status, 'new', 'the late landing is known, not foreign');
  assert.is(venueStops(v!, BTC).filter((o) => o.type === 'stop_market').length, 2, 'two stops until the loop keeps the tightest');

  // Never lands: marked never placed after the wait; the position is protected throughout.
  await w.gw.cancelOrder(BTC, lost.clientId, true);
  await w.ledger.applyOrderUpdate((await w.gw.fetchOrderByClientId(BTC, lost.clientId))!);
  const again = { ...lost, clientId: clientOrderId(key, 'sl', 2) };
  await w.ledger.insertPending(again, { decisionId: p.decision_id, positionId: p.id, leg: 'sl', attempt: 2 });
  land = false;
  atWait.length = 0;
  const r2 = await run(w, { sleep });
  assert.is(atWait.length, 1);
  assert.ok(atWait[0]!.length >= 1, 'a stop on the venue during the wait');
  assert.ok(codes(r2).includes('reconcile.pending_never_placed'), JSON.stringify(r2.anomalies));
  assert.is((await w.ledger.order(again.clientId))!.status, 'never_placed');
  assert.is(v!.server.venue.core.ordersWithClientId(again.clientId).length, 0);

  // A market entry that adds to the position lands late, during the wait: the comparison runs again, so its fill and
  // the larger position are in the DB when reconciliation returns, covered by the closePosition stop.
  const add = { symbol: BTC, clientId: clientOrderId('k-2', 'entry', 0), side: 'sell' as const, type: 'market' as const, qty: await w.qty(BTC, 300) };
  await w.ledger.insertPending(add, { decisionId: null, positionId: null, leg: 'entry', attempt: 0 });
  const r3 = await run(w, { sleep: async () => void (await w.gw.createOrder(add)) });
  assert.ok(codes(r3).includes('reconcile.pending_resolved') && codes(r3).includes('reconcile.missed_fill'), JSON.stringify(r3.anomalies));
  const ex = (await exPos(w))!;
  assert.is(dec((await w.ledger.openPosition(BTC))!.qty).toString(), dec(ex.qty).toString(), 'the late fill is in the DB');
  assert.ok(dec(ex.qty).gt(p.qty));
  assert.ok(venueStops(v!, BTC).some((o) => o.type === 'stop_market'), 'still covered');
  assert.equal((await run(w)).anomalies, [], 'a further run finds nothing');
});

test('open orders unknown to the DB: adopted (a stop reads as our stop-loss) or cancelled per config, never ignored; audited', async () => {
  const w = await open('recforeign');
  const mark = Number((await w.gw.fetchMarkPrice(BTC)).markPrice);
  const q = await w.qty(BTC, 300);
  await w.gw.createOrder({ symbol: BTC, clientId: 'manual-limit-1', side: 'buy', type: 'limit', qty: q, price: (mark * 0.8).toFixed(1), timeInForce: 'GTC' });
  const r1 = await run(w, { foreignOrders: 'adopt' });
  assert.equal(codes(r1), ['reconcile.foreign_order']);
  const row = (await w.ledger.order('manual-limit-1'))!;
  assert.is(row.status, 'new');
  assert.is(row.leg, 'adopted');
  assert.equal((await run(w, { foreignOrders: 'adopt' })).anomalies, [], 'adopted: known from now on');

  await w.gw.createOrder({ symbol: BTC, clientId: 'manual-limit-2', side: 'sell', type: 'limit', qty: q, price: (mark * 1.3).toFixed(1), timeInForce: 'GTC' });
  const r2 = await run(w, { foreignOrders: 'cancel' });
  assert.equal(codes(r2), ['reconcile.foreign_order']);
  assert.is(v!.server.venue.core.ordersWithClientId('manual-limit-2')[0]!.status, 'cancelled');
  assert.ok((await w.audit()).some((a) => a.subject === 'order:manual-limit-2' && JSON.stringify(a.after_state).includes('cancelled')));
  assert.equal((await run(w, { foreignOrders: 'cancel' })).anomalies, []);
});

test('a position and its stop placed by hand, adopted: the DB takes the stop level the exchange holds; only the missing target is placed', async () => {
  const w = await open('recadoptstop');
  await w.gw.createOrder({ symbol: BTC, clientId: 'hand-pos', side: 'buy', type: 'market', qty: await w.qty(BTC, 500) });
  const stopPx = (Number((await w.gw.fetchMarkPrice(BTC)).markPrice) * 0.97).toFixed(1);
  await w.gw.createOrder({ symbol: BTC, clientId: 'hand-stop', side: 'sell', type: 'stop_market', stopPrice: stopPx, closePosition: true, workingType: 'MARK_PRICE' });
  const r = await run(w, { foreignOrders: 'adopt' });
  assert.equal(codes(r), ['reconcile.foreign_order', 'reconcile.missed_fill', 'reconcile.protection_placed'], JSON.stringify(r.anomalies));
  const p = (await w.ledger.openPosition(BTC))!;
  assert.is(dec(p.stop_loss!).toString(), dec(stopPx).toString());
  assert.is((await w.ledger.order('hand-stop'))!.leg, 'sl');
  const stops = venueStops(v!, BTC);
  assert.is(stops.filter((o) => o.type === 'stop_market').length, 1, 'no second stop');
  assert.is(stops.filter((o) => o.type === 'take_profit_market').length, 1);
  assert.equal((await run(w, { foreignOrders: 'adopt' })).anomalies, []);
});

test('quantity and average price differ: the exchange is the truth, the DB corrected with an audit row (before/after)', async () => {
  const w = await open('recqty');
  await w.ours({ decision: 'q-1', symbol: BTC, side: 'buy', type: 'market', qty: await w.qty(BTC, 600) }, 'entry');
  await run(w); // protection
  const p = (await w.ledger.openPosition(BTC))!;
  await v!.db.pool.query('UPDATE positions SET qty = qty + 0.004, entry_price = entry_price * 1.002 WHERE id = ?', [p.id]);
  const r = await run(w);
  assert.equal(codes(r), ['reconcile.position_mismatch']);
  const ex = (await exPos(w))!;
  const fixed = (await w.ledger.openPosition(BTC))!;
  assert.is(dec(fixed.qty).toString(), dec(ex.qty).toString());
  assert.ok(dec(fixed.entry_price).sub(ex.entryPrice).abs().lte(dec(ex.entryPrice).mul('0.0001')));
  const a = (await w.audit()).find((x) => x.code === 'reconcile.position_mismatch')!;
  const before = (typeof a.before_state === 'string' ? JSON.parse(a.before_state) : a.before_state) as { qty: string };
  assert.is(dec(before.qty).toString(), dec(p.qty).add('0.004').toString());
  assert.equal((await run(w)).anomalies, []);
});

test('no stop on the exchange and the mark already beyond the stop level: closed at market as stop_loss (a new stop would fire at once)', async () => {
  const w = await open('reccrossed');
  await w.ours({ decision: 'x-1', symbol: BTC, side: 'buy', type: 'market', qty: await w.qty(BTC, 500) }, 'entry');
  const p = (await w.ledger.openPosition(BTC))!;
  // A trailing stop had moved above the entry; its order was lost in the crash; the price fell back below it.
  await w.ledger.setProtection(p.id, dec(p.entry_price).mul('1.05').toFixed(1), dec(p.entry_price).mul('1.10').toFixed(1));
  const r = await run(w);
  assert.equal(codes(r), ['reconcile.stop_crossed'], JSON.stringify(r.anomalies));
  assert.is(await exPos(w), null, 'flat on the venue');
  const row = (await v!.db.pool.query<Array<{ status: string; exit_reason: string }>>('SELECT status, exit_reason FROM positions WHERE id = ?', [p.id]))[0]!;
  assert.equal(row, { status: 'closed', exit_reason: 'stop_loss' });
  assert.equal(venueStops(v!, BTC), [], 'no stop left behind');
  assert.equal((await run(w)).anomalies, []);
});

test('the mark crossed the stop and the exchange closes the position just before our exit: the exit is refused (-2022), the next pass books the close; reconciliation does not fail', async () => {
  const w = await open('recraced');
  await w.ours({ decision: 'x-2', symbol: BTC, side: 'buy', type: 'market', qty: await w.qty(BTC, 500) }, 'entry');
  const p = (await w.ledger.openPosition(BTC))!;
  await w.ledger.setProtection(p.id, dec(p.entry_price).mul('1.05').toFixed(1), dec(p.entry_price).mul('1.10').toFixed(1));
  // As the exchange's own stop would, at the very moment our reduce-only exit leaves: the position is closed first.
  let raced = false;
  const send = w.gw.createOrder.bind(w.gw);
  // The order manager sends through this gateway object: its exit is the first reduce-only market order.
  w.gw.createOrder = async (req) => {
    if (!raced && req.reduceOnly && req.type === 'market') {
      raced = true;
      await send({ symbol: BTC, clientId: 'venue-side-close', side: 'sell', type: 'market', qty: p.qty, reduceOnly: true });
    }
    return send(req);
  };
  const r = await run(w);
  assert.ok(raced, 'the exchange closed the position as the exit left');
  assert.ok(codes(r).includes('reconcile.exit_raced'), JSON.stringify(r.anomalies));
  assert.is(await exPos(w), null, 'flat on the venue');
  const row = (await v!.db.pool.query<Array<{ status: string }>>('SELECT status FROM positions WHERE id = ?', [p.id]))[0]!;
  assert.is(row.status, 'closed', 'the close is booked');
  assert.equal(venueStops(v!, BTC), [], 'no stop left behind');
  assert.equal((await run(w)).anomalies, [], 'a second run finds nothing');
});

test('funding payments from the income endpoint (ccxt): stored once, added to the position that paid them, in its net PnL', async () => {
  const w = await open('recfunding');
  await w.ours({ decision: 'f-1', symbol: BTC, side: 'buy', type: 'market', qty: await w.qty(BTC, 800) }, 'entry');
  await run(w);
  // Funding settles at the venue's next funding time: move its core there (one bar at that time).
  await v!.server.venue.run((core) => {
    const px = core.price(BTC)!;
    core.onBar(BTC, { ts: core.nextFundingTime + 1000, open: px, high: px, low: px, close: px });
  });
  const paid = v!.server.venue.core.fundingHistory(BTC);
  assert.ok(paid.length >= 1, 'the venue settled funding');
  const fetched = await w.gw.fetchFunding(BTC, 0);
  assert.equal(fetched.map((f) => dec(f.amount).toString()), paid.map((f) => dec(f.amount).toString()));
  await run(w);
  await run(w);
  const p = (await w.ledger.openPosition(BTC))! as unknown as { funding: string; net_pnl: string; realized_pnl: string; fees: string };
  assert.is(dec(p.funding).toString(), paid.reduce((s, f) => s.add(f.amount), dec(0)).toString(), 'once, on the position');
  assert.is(dec(p.net_pnl).toString(), dec(p.realized_pnl).sub(p.fees).add(p.funding).toString());
  const n = await v!.db.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM funding_payments');
  assert.is(Number(n[0]!.n), paid.length);
});

test('an exchange that does not answer within the timeout: rejects with ReconcileAbortedError, nothing placed', async () => {
  const w = await open('rectimeout');
  await w.gw.createOrder({ symbol: BTC, clientId: 'by-hand-t', side: 'buy', type: 'market', qty: await w.qty(BTC, 500) });
  const before = v!.server.venue.core.allOrders().length;
  v!.server.faults.add({ method: 'GET', path: '/fapi/v1/userTrades', fault: { kind: 'latency', ms: 4000 } });
  const err = await run(w, { timeoutMs: 800 }).then(() => null, (e: unknown) => e);
  assert.instance(err, ReconcileAbortedError);
  await new Promise((r) => setTimeout(r, 300));
  assert.is(v!.server.venue.core.allOrders().length, before, 'no protective order placed after the abort');
  assert.is(await w.ledger.openPosition(BTC), null);
  v!.server.faults.clear();
});

test.run();
