import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dec } from '../../src/domain/decimal.js';
import type { UserEvent } from '../../src/exchange/types.js';
import { reconcile } from '../../src/execution/reconcile.js';
import { BTC, reconWorld, venueStops, type ReconWorld } from '../helpers/recon.js';
import { startTestVenue, type TestVenue } from '../helpers/venue-server.js';
import { waitFor } from '../helpers/wait.js';
import { PROTECTION } from '../helpers/config.js';

// What happened while the daemon was down (or deaf), repaired by startup reconciliation on the loopback venue.
let v: TestVenue | null = null;
test.after.each(async () => {
  await v?.stop();
  v = null;
});

const run = (w: ReconWorld) => reconcile(w.gw, w.ledger, w.om, [BTC], w.now(), { protection: PROTECTION, settleMs: 1300 });
const codes = (r: { anomalies: Array<{ code: string }> }) => r.anomalies.map((a) => a.code).sort();
const positionRow = async (id: number) =>
  (await v!.db.pool.query<Array<{ status: string; exit_reason: string | null; exit_price: string | null; realized_pnl: string; fees: string }>>('SELECT * FROM positions WHERE id = ?', [id]))[0]!;

/** A protected long, as execution leaves it: entry filled and recorded, stop and target on the venue. */
async function protectedLong(w: ReconWorld, decision: string) {
  await w.ours({ decision, symbol: BTC, side: 'buy', type: 'market', qty: await w.qty(BTC, 500) }, 'entry');
  const p = (await w.ledger.openPosition(BTC))!;
  await w.om.ensureProtection({ ...p, stop_loss: dec(p.entry_price).mul('0.99').toFixed(1), take_profit: dec(p.entry_price).mul('1.02').toFixed(1) });
  return (await w.ledger.openPosition(BTC))!;
}

test('a stop-loss that filled while the daemon was down: its fill applied, the position closed as stop_loss with exit price and PnL, the target cancelled', async () => {
  v = await startTestVenue('recdownsl');
  const w = await reconWorld(v);
  const p = await protectedLong(w, 'd-1');
  const stop = Number(venueStops(v, BTC).find((o) => o.type === 'stop_market')!.stopPrice);
  await w.moveTo(BTC, stop * 0.99); // daemon down: nobody records anything
  const fill = v.server.venue.core.allFills().at(-1)!;
  assert.is(fill.side, 'sell');
  const r = await run(w);
  assert.equal(codes(r), ['reconcile.leftover_cancelled', 'reconcile.missed_fill'], JSON.stringify(r.anomalies));
  const row = await positionRow(p.id);
  assert.is(row.status, 'closed');
  assert.is(row.exit_reason, 'stop_loss');
  assert.is(dec(row.exit_price!).toString(), dec(fill.price).toString());
  assert.is(dec(row.realized_pnl).toFixed(6), dec(fill.price).sub(p.entry_price).mul(p.qty).toFixed(6));
  assert.ok(dec(row.fees).gt(dec(p.fees)), 'the exit fee is in');
  assert.equal(venueStops(v, BTC), [], 'the take-profit left behind was cancelled');
  assert.equal((await run(w)).anomalies, []);
});

test('a position closed by hand while the daemon was down: closed as external at the hand fill, stop and target cancelled', async () => {
  v = await startTestVenue('recdownhand');
  const w = await reconWorld(v);
  const p = await protectedLong(w, 'd-2');
  await w.gw.createOrder({ symbol: BTC, clientId: 'closed-by-hand', side: 'sell', type: 'market', qty: dec(p.qty).toString() });
  const hand = v.server.venue.core.allFills().filter((f) => f.clientId === 'closed-by-hand');
  const px = hand.reduce((s, f) => s.add(dec(f.price).mul(f.qty)), dec(0)).div(p.qty);
  const r = await run(w);
  assert.ok(codes(r).includes('reconcile.missed_fill') && codes(r).includes('reconcile.leftover_cancelled'), JSON.stringify(r.anomalies));
  const row = await positionRow(p.id);
  assert.is(row.status, 'closed');
  assert.is(row.exit_reason, 'external');
  assert.is(dec(row.realized_pnl).toFixed(6), px.sub(p.entry_price).mul(p.qty).toFixed(6));
  assert.equal(venueStops(v, BTC), []);
  assert.equal((await run(w)).anomalies, []);
});

test('a fill that arrived only over REST (user stream silently dropped): in the DB once, from reconciliation', async () => {
  v = await startTestVenue('recdownrest');
  const w = await reconWorld(v);
  const heard: string[] = [];
  // What execution does with the stream: every fill it hears goes to the ledger.
  const sub = await w.gw.subscribeUserData((e: UserEvent) => {
    if (e.kind === 'order' && e.fill) {
      heard.push(e.fill.tradeId);
      void w.ledger.recordFill(e.fill);
    }
  });
  await waitFor('user stream up', () => sub.up, 5000, 10);
  const p = await protectedLong(w, 'd-3');
  await waitFor('the entry fill heard on the stream', () => heard.length > 0, 5000, 10);
  assert.is(v.server.silentDrop('user'), 1);
  const stop = Number(venueStops(v, BTC).find((o) => o.type === 'stop_market')!.stopPrice);
  await w.moveTo(BTC, stop * 0.99);
  const fill = v.server.venue.core.allFills().at(-1)!;
  await new Promise((r) => setTimeout(r, 300));
  assert.not.ok(heard.includes(fill.tradeId), 'the stream never delivered it');
  const r = await run(w);
  assert.ok(codes(r).includes('reconcile.missed_fill'), JSON.stringify(r.anomalies));
  const rows = await v.db.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM fills WHERE trade_id = ?', [fill.tradeId]);
  assert.is(Number(rows[0]!.n), 1);
  assert.is((await positionRow(p.id)).exit_reason, 'stop_loss');
  assert.equal((await run(w)).anomalies, []);
  await sub.close();
});

test.run();
