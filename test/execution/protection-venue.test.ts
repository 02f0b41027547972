// Protection on the loopback venue through the real CcxtGateway: stop-loss and take-profit within protectWithinMs of
// the fill (venue clock), a stop cancelled behind our back re-placed, trailing and breakeven moves that never leave
// the position without a stop, the max-hold exit, and the kill switch / risk-halt flatten (stops kept until flat).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BTC, startExec, type ExecRig } from '../helpers/exec-venue.js';
import { sleep, waitFor } from '../helpers/wait.js';

let rig: ExecRig | null = null;
test.after.each(async () => {
  await rig?.stop();
  rig = null;
});

interface VOrder { clientId: string; book: string; type: string; status: string; side: string; stopPrice: string | null; qty: string; closePosition: boolean; reduceOnly: boolean; createdAt: number; updatedAt: number }
const venueOrders = (r: ExecRig) => r.tv.server.venue.core.allOrders() as VOrder[];
const stops = (r: ExecRig) => venueOrders(r).filter((o) => o.book === 'algo' && o.type === 'stop_market');
const position = (r: ExecRig) => r.tv.server.venue.core.position(BTC);
const alerts = (r: ExecRig) => {
  const codes: string[] = [];
  r.actor.on('execution.alert', (e) => codes.push(e.payload.code));
  return codes;
};

/** Enters long 0.01 at the bid and waits until the machine is in position. */
async function enterLong(r: ExecRig): Promise<void> {
  r.decide({ side: 'long', reference: 30_000 });
  await waitFor('resting entry', () => venueOrders(r).find((o) => o.type === 'limit' && o.status === 'new'));
  await r.market.set(BTC, 29_990);
  await waitFor('in position', () => r.trade() === 'in_position' && position(r));
  await r.market.set(BTC, 30_000);
}

/** From the first stop until `until`, some stop was always working on the venue (intervals by venue time). */
function alwaysStopped(r: ExecRig, until: number): void {
  const iv = stops(r)
    .filter((o) => o.status !== 'expired' || o.updatedAt > o.createdAt)
    .map((o) => [o.createdAt, o.status === 'new' ? Infinity : o.updatedAt] as const)
    .sort((a, b) => a[0] - b[0]);
  assert.ok(iv.length > 0, 'a stop was placed');
  let covered = iv[0]![1];
  for (const [from, to] of iv.slice(1)) {
    assert.ok(from <= covered, `no stop between ${covered} and ${from}`);
    covered = Math.max(covered, to);
  }
  assert.ok(covered >= until, `stops covered until ${covered}, needed ${until}`);
}

test('stop-loss (STOP_MARKET, closePosition, mark price) and take-profit within protectWithinMs of the fill, on the venue clock', async () => {
  rig = await startExec('prot-2s');
  const r = rig;
  await enterLong(r);
  const fill = r.tv.server.venue.core.allFills().find((f) => f.symbol === BTC)!;
  const sl = await waitFor('stop', () => stops(r)[0]);
  const tp = await waitFor('target', () => venueOrders(r).find((o) => o.type === 'take_profit_market'));
  const sim = r.tv.server.venue.core.findOrder(BTC, 'algo', { clientId: sl.clientId }) as unknown as { workingType: string };
  assert.ok(sl.closePosition && sim.workingType === 'MARK_PRICE', 'closePosition on the mark price');
  assert.ok(sl.createdAt - fill.ts <= r.config.execution.protectWithinMs, `stop ${sl.createdAt - fill.ts} ms after the fill`);
  assert.ok(tp.createdAt - fill.ts <= r.config.execution.protectWithinMs, `target ${tp.createdAt - fill.ts} ms after the fill`);
  assert.is(sl.stopPrice, '29400', "the intent's stop");
  await waitFor('the tick that saw the stop', () => r.fx.stats.maxProtectMs > 0);
  assert.ok(r.fx.stats.maxProtectMs <= r.config.execution.protectWithinMs, `measured ${r.fx.stats.maxProtectMs} ms`);
  assert.is(r.fx.stats.lateProtection, 0);
});

test('a stop-loss that reaches the exchange later than protectWithinMs after the fill raises a critical alert', async () => {
  rig = await startExec('prot-late', { protectWithinMs: 300 });
  const r = rig;
  const codes = alerts(r);
  // Every conditional order is held by the venue longer than the deadline (within the test gateway's recvWindow).
  r.tv.server.faults.add({ method: 'POST', path: '/fapi/v1/algoOrder', times: 0, fault: { kind: 'latency', ms: 600 } });
  r.decide({ side: 'long', reference: 30_000 });
  await waitFor('resting entry', () => venueOrders(r).find((o) => o.type === 'limit' && o.status === 'new'));
  await r.market.set(BTC, 29_990);
  await waitFor('a position on the venue', () => position(r));
  await r.market.set(BTC, 30_000);
  await waitFor('the late-protection alert', () => codes.includes('execution.protection_late'), 20_000);
  assert.ok(stops(r).some((o) => o.status === 'new'), 'the stop is on the venue');
  assert.is(r.fx.stats.lateProtection, 1);
  assert.ok(r.fx.stats.maxProtectMs > r.config.execution.protectWithinMs, `measured ${r.fx.stats.maxProtectMs} ms`);
});

test('a stop-loss cancelled on the exchange behind our back is placed again within a loop, with an alert', async () => {
  rig = await startExec('prot-missing');
  const r = rig;
  const codes = alerts(r);
  await enterLong(r);
  const first = await waitFor('stop', () => stops(r).find((o) => o.status === 'new'));
  await r.tv.server.venue.run((core) => core.cancelOrder(BTC, { clientId: first.clientId }, 'algo', r.now()));
  const cancelledAt = r.now();
  const again = await waitFor('stop placed again', () => stops(r).find((o) => o.status === 'new' && o.clientId !== first.clientId), 10_000);
  assert.ok(again.createdAt - cancelledAt <= r.config.execution.loopMs + 1000, `re-placed ${again.createdAt - cancelledAt} ms later`);
  assert.is(again.stopPrice, first.stopPrice);
  await waitFor('alert', () => codes.includes('execution.stop_replaced'));
});

test('trailing and breakeven move the stop up, new stop first, never leaving the position unprotected; the trail closes it', async () => {
  rig = await startExec('prot-trail', {
    protection: { trailing: { enabled: true, activationPct: 0.002, givebackPct: 0.25 }, breakeven: { enabled: true, triggerR: 0.25, offsetPct: 0.0005 }, chandelier: { enabled: false, atrPeriod: 14, atrMult: 3 }, minMovePct: 0.0005, maxHoldMs: 0 },
  });
  const r = rig;
  await enterLong(r);
  await waitFor('stop', () => stops(r)[0]);
  for (const px of [30_100, 30_200, 30_400]) {
    await r.market.set(BTC, px);
    await sleep(1500);
  }
  const moved = await waitFor('stop raised above the trail level', () => stops(r).find((o) => o.status === 'new' && Number(o.stopPrice) >= 30_290), 10_000);
  alwaysStopped(r, r.now());
  const all = stops(r);
  assert.ok(all.length >= 3, `stop moved at least twice (${all.length} stops)`);
  assert.ok(all.some((o) => !o.closePosition && o.reduceOnly), 'moves alternate closePosition and a reduce-only stop for the quantity');
  await waitFor('the old stops cancelled', () => stops(r).filter((o) => o.status === 'new').length === 1);
  const [db] = await r.tv.db.pool.query<Array<{ stop_loss: string; initial_stop: string; peak_price: string }>>("SELECT stop_loss, initial_stop, peak_price FROM positions WHERE status = 'open'");
  assert.is(Number(db!.stop_loss), Number(moved.stopPrice));
  assert.is(Number(db!.initial_stop), 29_400);
  assert.ok(Number(db!.peak_price) >= 30_390);
  await r.market.set(BTC, 30_250);
  await waitFor('closed by the trailing stop', () => r.trade() === 'flat' && !position(r), 15_000);
  const [closed] = await r.tv.db.pool.query<Array<{ exit_reason: string; realized_pnl: string }>>("SELECT exit_reason, realized_pnl FROM positions WHERE status = 'closed'");
  assert.is(closed!.exit_reason, 'stop_loss');
  assert.ok(Number(closed!.realized_pnl) > 0, 'the trail locked in profit');
  await waitFor('leftovers cancelled', () => venueOrders(r).every((o) => o.status !== 'new'));
});

/** No stop moves; positions closed at market after 4 s. */
const MAX_HOLD_4S = {
  protection: { trailing: { enabled: false, activationPct: 0.01, givebackPct: 0.25 }, breakeven: { enabled: false, triggerR: 1, offsetPct: 0 }, chandelier: { enabled: false, atrPeriod: 14, atrMult: 3 }, minMovePct: 0.001, maxHoldMs: 4000 },
};

test('max holding time: the position is closed at market, the stop kept until flat, then leftovers cancelled', async () => {
  rig = await startExec('prot-maxhold', MAX_HOLD_4S);
  const r = rig;
  const codes = alerts(r);
  await enterLong(r);
  await waitFor('closed at max hold', () => !position(r) && r.trade() === 'flat', 15_000);
  const [closed] = await r.tv.db.pool.query<Array<{ exit_reason: string; opened_at: number; closed_at: number }>>("SELECT exit_reason, opened_at, closed_at FROM positions");
  assert.is(closed!.exit_reason, 'max_hold');
  assert.ok(closed!.closed_at - closed!.opened_at >= 4000, 'not before maxHoldMs');
  await waitFor('leftovers cancelled', () => venueOrders(r).every((o) => o.status !== 'new'));
  const exit = venueOrders(r).find((o) => o.book === 'regular' && o.type === 'market' && o.reduceOnly)!;
  const sl = stops(r)[0]!;
  assert.ok(sl.updatedAt >= exit.createdAt, 'the stop was cancelled only after the close');
  assert.ok(codes.includes('execution.exit_time'));
});

test('a market exit refused as reduce-only (-2022: the exchange closed the position first) is not a failed loop: no degraded mode, the close is booked', async () => {
  rig = await startExec('prot-raced', MAX_HOLD_4S);
  const r = rig;
  const codes = alerts(r);
  await enterLong(r);
  const gw = r.fx.gw!;
  const send = gw.createOrder.bind(gw);
  let raced = false;
  gw.createOrder = async (req) => {
    // As the exchange's own stop would, at the very moment the max-hold exit leaves: the position is closed first.
    if (!raced && req.reduceOnly && req.type === 'market') {
      raced = true;
      await send({ symbol: BTC, clientId: 'venue-side-close', side: 'sell', type: 'market', qty: position(r)!.qty, reduceOnly: true });
    }
    return send(req);
  };
  await waitFor('the exit raced', () => raced, 15_000);
  await waitFor('flat, booked', async () => {
    const [row] = await r.tv.db.pool.query<Array<{ status: string }>>('SELECT status FROM positions');
    return !position(r) && r.trade() === 'flat' && row?.status === 'closed';
  }, 15_000);
  assert.not.ok(codes.includes('execution.degraded'), `no failed loop: ${codes.join(', ')}`);
  const [rej] = await r.tv.db.pool.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM orders WHERE leg = 'time' AND status = 'rejected'");
  assert.ok(Number(rej!.n) >= 1, 'the refused exit is on record');
});

test('kill switch: halted, closed at market, stops kept until flat then cancelled; no entry until resume', async () => {
  rig = await startExec('prot-kill');
  const r = rig;
  await enterLong(r);
  await waitFor('stop', () => stops(r).find((o) => o.status === 'new'));
  r.actor.send({ type: 'execution.halt', reason: 'kill switch' });
  await waitFor('flat and halted', () => !position(r) && r.trade() === 'halted.idle', 20_000);
  const [closed] = await r.tv.db.pool.query<Array<{ exit_reason: string }>>('SELECT exit_reason FROM positions');
  assert.is(closed!.exit_reason, 'flatten');
  const close = venueOrders(r).find((o) => o.book === 'regular' && o.type === 'market' && o.reduceOnly)!;
  assert.ok(stops(r).every((o) => o.status !== 'new' && o.updatedAt >= close.createdAt), 'stops cancelled after the close, not before');
  assert.ok(venueOrders(r).every((o) => o.status !== 'new'), 'nothing left working');
  const before = venueOrders(r).length;
  r.decide({ side: 'long', reference: 30_000 });
  await sleep(1000);
  assert.is(venueOrders(r).length, before, 'no entry while halted');
});

test('decision.halt with flatten: every position closed at market and entries refused while the halt holds', async () => {
  rig = await startExec('prot-riskhalt');
  const r = rig;
  await enterLong(r);
  r.actor.send({ type: 'execution.risk_halt', halt: { code: 'risk.emergency_stop', reason: 'test', flatten: true, until: null, ts: r.now() } });
  await waitFor('flat', () => !position(r) && r.trade() === 'flat', 20_000);
  const [closed] = await r.tv.db.pool.query<Array<{ exit_reason: string }>>('SELECT exit_reason FROM positions');
  assert.is(closed!.exit_reason, 'flatten');
  const before = venueOrders(r).length;
  r.decide({ side: 'long', reference: 30_000 });
  await sleep(1000);
  assert.is(venueOrders(r).length, before, 'no entry under the risk halt');
});

test.run();
