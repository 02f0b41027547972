// Entries on the loopback venue through the real CcxtGateway: a limit inside the zone filled; a chase (cancel
// confirmed, new client id) then a fill; the market fallback after the last replacement; cancel at expiry; a partial
// fill that becomes the position, protected at once. Never two live entry orders, never two orders per client id.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BTC, startExec, type ExecRig } from '../helpers/exec-venue.js';
import { sleep, waitFor } from '../helpers/wait.js';

let rig: ExecRig | null = null;
test.after.each(async () => {
  await rig?.stop();
  rig = null;
});

interface VOrder { clientId: string; book: string; type: string; status: string; timeInForce: string; side: string; price: string | null; filledQty: string; qty: string; closePosition: boolean; createdAt: number; updatedAt: number }
const venueOrders = (r: ExecRig) => r.tv.server.venue.core.allOrders() as VOrder[];
const position = (r: ExecRig) => r.tv.server.venue.core.position(BTC);

/** No two entry orders of the intent were live at the same moment (venue times: created → last update). */
function neverTwoLive(orders: VOrder[]): void {
  const sorted = [...orders].sort((a, b) => a.createdAt - b.createdAt);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]!.createdAt >= sorted[i - 1]!.updatedAt, `entry ${sorted[i]!.clientId} placed before ${sorted[i - 1]!.clientId} ended`);
  assert.is(new Set(orders.map((o) => o.clientId)).size, orders.length, 'one order per client id');
}

async function dbRows(r: ExecRig, decisionId: string) {
  return r.tv.db.pool.query<Array<{ client_id: string; attempt: number; type: string; status: string; filled_qty: string }>>(
    "SELECT client_id, attempt, type, status, filled_qty FROM orders WHERE decision_id = ? AND leg = 'entry' ORDER BY attempt", [decisionId]);
}

test('limit entry inside the zone fills; stop-loss and take-profit follow', async () => {
  rig = await startExec('ent-limit');
  const r = rig;
  const i = r.decide({ side: 'long', reference: 30_000 });
  const first = await waitFor('entry limit resting on the venue', () => venueOrders(r).find((o) => o.type === 'limit' && o.status === 'new'));
  assert.is(first.price, '29999.9', 'joins the bid, inside the zone');
  assert.is(first.timeInForce, 'GTX', 'post-only: it rests and fills before the price can reach the stop beyond it, never on arrival');
  // Protection before exposure: the entry's stop (closePosition, the intent's level) was on the venue first.
  const pre = venueOrders(r).filter((o) => o.book === 'algo' && o.type === 'stop_market');
  assert.is(pre.length, 1, 'one stop before the entry');
  assert.ok(pre[0]!.closePosition && pre[0]!.status === 'new' && pre[0]!.createdAt <= first.createdAt, 'the stop was working before the entry order was placed');
  await r.market.set(BTC, 29_990);
  await waitFor('position', () => position(r));
  await waitFor('in position', () => r.trade() === 'in_position');
  const open = venueOrders(r).filter((o) => o.status === 'new' && o.book === 'algo');
  assert.ok(open.some((o) => o.type === 'stop_market' && o.closePosition), 'stop-loss closePosition');
  assert.ok(open.some((o) => o.type === 'take_profit_market'), 'take-profit');
  const rows = await dbRows(r, i.decisionId);
  assert.equal(rows.map((x) => [x.attempt, x.type, x.status]), [[0, 'limit', 'filled']]);
  assert.is(position(r)!.qty, '0.01');
});

test('chase: the limit is re-priced after chaseAfterMs (cancel confirmed, new client id), then fills', async () => {
  rig = await startExec('ent-chase', { entry: { chaseAfterMs: 1500, maxReplacements: 3, maxChasePct: 0.004, marketFallback: false } });
  const r = rig;
  const i = r.decide({ side: 'long', reference: 30_000 });
  await waitFor('first limit', () => venueOrders(r).find((o) => o.type === 'limit'));
  await r.market.set(BTC, 30_060); // away from the bid, still inside the chase bound
  await waitFor('a replacement', async () => (await dbRows(r, i.decisionId)).length >= 2, 15_000);
  const rows = await dbRows(r, i.decisionId);
  assert.is(rows[0]!.status, 'cancelled');
  const live = venueOrders(r).filter((o) => o.type === 'limit' && o.status === 'new');
  assert.is(live.length, 1, 'one live entry order');
  assert.ok(Number(live[0]!.price) > 30_000, `re-priced up (${live[0]!.price})`);
  await r.market.set(BTC, 30_000);
  await waitFor('position', () => position(r));
  const limits = venueOrders(r).filter((o) => o.type === 'limit');
  neverTwoLive(limits);
  assert.ok(limits.length >= 2 && limits.length <= 4, `bounded replacements (${limits.length})`);
  await waitFor('in position', () => r.trade() === 'in_position');
});

test('the chase never goes past maxChasePct; after maxReplacements the rest is taken at market when allowed', async () => {
  rig = await startExec('ent-market', { entry: { chaseAfterMs: 800, maxReplacements: 1, maxChasePct: 0.001, marketFallback: true } });
  const r = rig;
  const i = r.decide({ side: 'long', reference: 30_000, allowMarket: true, maxSlippage: 0.003 });
  await waitFor('first limit', () => venueOrders(r).find((o) => o.type === 'limit'));
  await r.market.set(BTC, 30_060); // 0.2 % above: the limit is capped at +0.1 %, a market order is within 0.3 %
  await waitFor('position', () => position(r), 15_000);
  // The venue fills before the ledger hears of it (stream): wait for the market attempt's row to settle.
  const rows = await waitFor('entry rows settled', async () => {
    const rs = await dbRows(r, i.decisionId);
    return rs.at(-1)?.status === 'filled' ? rs : null;
  });
  assert.equal(rows.map((x) => [x.type, x.status]), [['limit', 'cancelled'], ['limit', 'cancelled'], ['market', 'filled']], 'first limit, one replacement at the bound, then market');
  const limits = venueOrders(r).filter((o) => o.type === 'limit');
  assert.ok(limits.every((o) => Number(o.price) <= 30_030), `no limit above the chase bound: ${limits.map((o) => o.price)}`);
  neverTwoLive(venueOrders(r).filter((o) => o.book === 'regular' && !o.closePosition && o.side === 'buy'));
});

test('no market fallback when slippage exceeds the limit; the entry is cancelled at expiry', async () => {
  rig = await startExec('ent-expiry', { entry: { chaseAfterMs: 500, maxReplacements: 1, maxChasePct: 0.001, marketFallback: true } });
  const r = rig;
  const i = r.decide({ side: 'long', reference: 30_000, allowMarket: true, maxSlippage: 0.001, expiresAt: r.now() + 6000 });
  await waitFor('first limit', () => venueOrders(r).find((o) => o.type === 'limit'));
  await r.market.set(BTC, 30_100); // 0.33 %: beyond the intent's 0.1 % for a market order
  await waitFor('entry over', () => r.trade() === 'flat' && r.now() > i.expiresAt, 15_000);
  await sleep(300);
  assert.is(position(r), null, 'nothing entered');
  const rows = await dbRows(r, i.decisionId);
  assert.ok(rows.every((x) => x.type === 'limit' && x.status === 'cancelled'), JSON.stringify(rows));
  assert.equal(venueOrders(r).filter((o) => o.status === 'new'), [], 'nothing left working');
});

test('an entry order whose stop is gone (cancelled on the exchange) is cancelled: no entry works without its stop', async () => {
  rig = await startExec('ent-nostop', { entry: { chaseAfterMs: 60_000, maxReplacements: 0, maxChasePct: 0.002, marketFallback: false } });
  const r = rig;
  const i = r.decide({ side: 'long', reference: 30_000 });
  const entry = await waitFor('entry limit resting', () => venueOrders(r).find((o) => o.type === 'limit' && o.status === 'new'));
  const stop = venueOrders(r).find((o) => o.book === 'algo' && o.type === 'stop_market' && o.status === 'new')!;
  await r.tv.server.venue.run((core) => core.cancelOrder(BTC, { clientId: stop.clientId }, 'algo', r.now()));
  await waitFor('the entry cancelled', () => venueOrders(r).find((o) => o.clientId === entry.clientId)?.status === 'cancelled', 15_000);
  await waitFor('entry over', () => r.trade() === 'flat', 15_000);
  await r.market.set(BTC, 29_990);
  await sleep(500);
  assert.is(position(r), null, 'nothing filled without a stop');
  const rows = await dbRows(r, i.decisionId);
  assert.equal(rows.map((x) => x.status), ['cancelled']);
});

test('fills that come late (user stream silently dropped): what the exchange said executed counts, the market entry goes out once', async () => {
  rig = await startExec('ent-late', { loopMs: 250, entry: { chaseAfterMs: 300, maxReplacements: 0, maxChasePct: 0.0005, marketFallback: true } });
  const r = rig;
  const i = r.decide({ side: 'long', reference: 30_000, allowMarket: true, maxSlippage: 0.003 });
  await waitFor('first limit', () => venueOrders(r).find((o) => o.type === 'limit' && o.status === 'new'));
  assert.ok(r.tv.server.silentDrop('user') > 0, 'the user stream silenced'); // no event reaches the daemon until it finds the stream stale (10 s)
  r.tv.server.faults.add({ method: 'GET', path: '/fapi/v1/userTrades', times: 0, fault: { kind: 'latency', ms: 3000 } }); // and fills polled over REST come late
  await r.market.set(BTC, 30_020); // away from the bid, well within the market order's slippage (0.07 % of 0.2 %)
  await waitFor('position on the venue', () => position(r), 15_000);
  // The exchange's answer (filled) is in the ledger, its fill is not: the state a re-sent market order came from.
  await waitFor('the market attempt answered filled, its fill not recorded yet', async () => {
    const m = (await dbRows(r, i.decisionId)).find((x) => x.type === 'market');
    return m?.status === 'filled' && Number(m.filled_qty) === 0 ? true : null;
  }, 15_000, 20);
  await sleep(2500); // many loop turns while the fill is still unknown to the ledger
  r.tv.server.faults.clear();
  const markets = venueOrders(r).filter((o) => o.book === 'regular' && o.type === 'market' && o.side === 'buy');
  assert.is(markets.length, 1, `one market entry (${markets.map((o) => o.clientId).join(', ')})`);
  assert.is(position(r)!.qty, i.qty, "the position is the intent's quantity, not a multiple of it");
  await waitFor('the fill reaches the ledger (REST poll) and the position is held', () => r.trade() === 'in_position', 30_000);
  assert.is(venueOrders(r).filter((o) => o.book === 'regular' && o.type === 'market' && o.side === 'buy').length, 1);
});

test('a stop gone while flat with its event lost: the next entry order goes out only after a new stop is live', async () => {
  rig = await startExec('ent-lost', { loopMs: 250, entry: { chaseAfterMs: 300, maxReplacements: 3, maxChasePct: 0.004, marketFallback: false } });
  const r = rig;
  r.decide({ side: 'long', reference: 30_000 });
  await waitFor('entry limit resting', () => venueOrders(r).find((o) => o.type === 'limit' && o.status === 'new'));
  const stop = venueOrders(r).find((o) => o.book === 'algo' && o.type === 'stop_market' && o.status === 'new')!;
  r.tv.server.silentDrop('user');
  await r.tv.server.venue.run((core) => core.cancelOrder(BTC, { clientId: stop.clientId }, 'algo', r.now()));
  await r.market.set(BTC, 30_060); // the limit is re-priced: a new entry order, which needs a live stop first
  await waitFor('a replacement entry order', () => venueOrders(r).filter((o) => o.type === 'limit').length >= 2, 15_000);
  const stops = venueOrders(r).filter((o) => o.book === 'algo' && o.type === 'stop_market');
  const endOf = (o: VOrder) => (o.status === 'new' ? Infinity : o.updatedAt);
  for (const e of venueOrders(r).filter((o) => o.type === 'limit')) {
    assert.ok(stops.some((s) => s.createdAt <= e.createdAt && endOf(s) > e.createdAt), `entry ${e.clientId} placed while a stop was live`);
  }
  assert.ok(stops.length >= 2, 'a new stop replaced the one that was gone');
});

test('a partial fill is the position: the rest is cancelled at expiry and the position is protected at the filled size', async () => {
  // 0.6 base per minute at 50 % participation: about 0.001 BTC per 100 ms venue step.
  rig = await startExec('ent-partial', { entry: { chaseAfterMs: 60_000, maxReplacements: 0, maxChasePct: 0.002, marketFallback: false } }, undefined, 1.2);
  const r = rig;
  const i = r.decide({ side: 'long', reference: 30_000, qty: '0.05', expiresAt: r.now() + 2500 });
  await waitFor('first limit', () => venueOrders(r).find((o) => o.type === 'limit'));
  await r.market.set(BTC, 29_990);
  await waitFor('entry over', () => r.trade() === 'in_position', 15_000);
  const pos = position(r)!;
  assert.ok(Number(pos.qty) > 0 && Number(pos.qty) < 0.05, `partial position ${pos.qty}`);
  const [db] = await r.tv.db.pool.query<Array<{ qty: string }>>("SELECT qty FROM positions WHERE status = 'open'");
  assert.is(Number(db!.qty), Number(pos.qty), 'DB position is what filled');
  const rows = await dbRows(r, i.decisionId);
  assert.is(rows.length, 1);
  assert.is(rows[0]!.status, 'cancelled', 'the rest cancelled (status table: partially_filled → pending_cancel → cancelled)');
  assert.is(Number(rows[0]!.filled_qty), Number(pos.qty));
  const stop = await waitFor('stop', () => venueOrders(r).find((o) => o.book === 'algo' && o.type === 'stop_market' && o.status === 'new'));
  assert.ok(stop.closePosition || Number(stop.qty) >= Number(pos.qty), 'the stop covers the filled size');
});


test('an entry worked at its decision while a tick that began flat is in flight: that tick leaves its orders alone', async () => {
  // The loop only ticks when told to here: this test drives one tick and one entry by hand, interleaved.
  rig = await startExec('ent-now', { loopMs: 10_000, idleLoopMs: 3_600_000, entry: { chaseAfterMs: 60_000, maxReplacements: 0, maxChasePct: 0.002, marketFallback: false } });
  const r = rig;
  await sleep(300);
  const intent = {
    decisionId: 'it-ent-now-1', symbol: BTC, side: 'long' as const, entry: { reference: '30000', low: '29850', high: '30150' }, stopLoss: '29400',
    takeProfits: [{ price: '31200', fraction: 1 }], qty: '0.01', notional: '300', maxSlippage: 0.003, expiresAt: r.now() + 60_000, confidence: 1, allowMarket: false,
  };
  // The tick begins with every symbol flat, then is held in one of its turns while the entry is taken.
  const ledger = r.fx.ledger as unknown as { openPositions: (...a: unknown[]) => Promise<unknown[]> };
  const list = ledger.openPositions.bind(r.fx.ledger);
  let reached!: () => void;
  const listing = new Promise<void>((res) => (reached = res));
  ledger.openPositions = async (...a) => {
    reached();
    await sleep(300);
    return list(...a);
  };
  const tick = r.fx.tick({ slots: r.config.symbols.map((symbol) => ({ symbol, phase: 'flat' as const, intent: null })) });
  await listing;
  const entered = r.fx.enterNow(intent);
  await Promise.all([tick, entered]);
  ledger.openPositions = list;
  const orders = venueOrders(r);
  const entry = orders.find((o) => o.book === 'regular' && o.type === 'limit');
  const stop = orders.find((o) => o.book === 'algo' && o.type === 'stop_market');
  assert.ok(stop && stop.status === 'new', `the entry's stop is live: ${JSON.stringify(stop)}`);
  assert.ok(entry, 'the entry order was placed at its decision');
  assert.is(entry!.status, 'new', 'and the tick that began while flat did not cancel it as a stray');
  assert.ok(stop!.createdAt <= entry!.createdAt, 'stop first');
  assert.equal((await dbRows(r, intent.decisionId)).map((x) => x.status), ['new']);
});

test('an entry order held up past sendWithinMs of its stop check is refused by the exchange, not placed; the next attempt re-checks the stop first', async () => {
  rig = await startExec('ent-late', { entry: { chaseAfterMs: 60_000, maxReplacements: 2, maxChasePct: 0.002, marketFallback: false, sendWithinMs: 300 } });
  const r = rig;
  const gw = r.fx.gw!;
  const create = gw.createOrder.bind(gw);
  let held = 0;
  gw.createOrder = async (req) => {
    // The first entry order meets a venue whose queue is busy for 800 ms (its stop went out just before).
    if (req.clientId.endsWith('-e0')) {
      held++;
      void r.tv.server.venue.query(() => sleep(800));
    }
    return create(req);
  };
  const i = r.decide({ side: 'long', reference: 30_000 });
  const entry = await waitFor('an entry limit resting', () => venueOrders(r).find((o) => o.type === 'limit' && o.status === 'new'), 15_000);
  assert.is(held, 1);
  const rows = await dbRows(r, i.decisionId);
  assert.equal(rows.map((x) => x.status), ['never_placed', 'new'], 'the late one never placed, the next one live');
  assert.is(entry.clientId, rows[1]!.client_id);
  assert.ok(!venueOrders(r).some((o) => o.clientId === rows[0]!.client_id), 'the late order is not on the exchange');
  const stop = venueOrders(r).find((o) => o.book === 'algo' && o.type === 'stop_market' && o.status === 'new');
  assert.ok(stop && stop.createdAt <= entry.createdAt, 'its stop is live, placed before it');
});

test.run();
