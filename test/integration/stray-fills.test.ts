// What may reach the ledger, on the venue through the real user-data stream, ccxt and execution's effects: a fill at −5
// changes nothing and is counted; a reduce-only fill with no position (ours or not), an unknown order's fill with no
// position and a fill of a symbol not traded open nothing, alert and are audited once; the exchange's own closes (ADL,
// insurance fund) close the position with exit reason `adl` / `insurance`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExecutionEffects } from '../../src/execution/effects.js';
import type { AlertPayload } from '../../src/protocol/index.js';
import { quietLog, startTestVenue, type TestVenue } from '../helpers/venue-server.js';
import { waitFor } from '../helpers/wait.js';

const BTC = 'BTC/USDT:USDT';
let v: TestVenue;
let fx: ExecutionEffects;
let sub: { up: boolean; close(): Promise<void> } | null = null;

const post = async (path: string, body: unknown) => {
  const r = await fetch(`${v.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(r.ok, `${path}: ${r.status}`);
  return r.json() as Promise<Record<string, unknown>>;
};
const count = async (sql: string, args: unknown[] = []) => Number((await v.db.pool.query<Array<{ n: number }>>(sql, args))[0]!.n);
const alerts = () => (fx as unknown as { lateAlerts: AlertPayload[] }).lateAlerts;

/** An ORDER_TRADE_UPDATE frame of a trade, as Binance sends it. */
const trade = (o: { c: string; S: 'BUY' | 'SELL'; s?: string; L: string; l: string; t: number; i: number; R?: boolean }) => ({
  e: 'ORDER_TRADE_UPDATE', E: v.server.venue.now(), T: v.server.venue.now(),
  o: {
    s: o.s ?? 'BTCUSDT', c: o.c, S: o.S, o: 'MARKET', f: 'GTC', q: o.l, p: '0', ap: o.L, sp: '0', x: 'TRADE', X: 'FILLED', i: o.i, l: o.l, z: o.l, L: o.L, N: 'USDT', n: '0.01',
    T: v.server.venue.now(), t: o.t, b: '0', a: '0', m: false, R: o.R ?? false, wt: 'CONTRACT_PRICE', ot: 'MARKET', ps: 'BOTH', cp: false, rp: '0',
  },
});

test.before(async () => {
  v = await startTestVenue('strayfills');
  const gw = v.gateway();
  fx = new ExecutionEffects({ config: v.config, pool: v.db.pool, log: quietLog, now: () => v.server.venue.now(), gateway: async () => gw });
  fx.gw = gw;
  sub = await gw.subscribeUserData(fx.onUser);
  await waitFor('user stream up', async () => sub!.up, 10_000, 20);
});
test.after(async () => {
  await sub?.close();
  await fx?.serial.run(async () => undefined);
  await v?.stop();
});

test('a fill at −5 (or 0) over the user stream changes nothing in the ledger and is counted', async () => {
  const gw = fx.gw as unknown as { stats: { userFramesDropped: number; lastDroppedFrame: string | null } };
  await post('/bosun/v1/user-frame', { frame: trade({ c: 'bsn-neg', S: 'BUY', L: '-5', l: '0.01', t: 910_001, i: 91 }) });
  await post('/bosun/v1/user-frame', { frame: trade({ c: 'bsn-zero', S: 'BUY', L: '0', l: '0.01', t: 910_002, i: 92 }) });
  await waitFor('both frames counted', async () => gw.stats.userFramesDropped >= 2, 10_000, 20);
  await fx.serial.run(async () => undefined);
  assert.match(gw.stats.lastDroppedFrame!, /price/);
  assert.is(await count('SELECT COUNT(*) AS n FROM fills'), 0);
  assert.is(await count('SELECT COUNT(*) AS n FROM positions'), 0);
  console.log(`dropped user frames: ${gw.stats.userFramesDropped}; fills 0, positions 0`);
});

test('stray fills open nothing, alert, and are audited once: reduce-only with no position (ours and not), unknown order, symbol not traded', async () => {
  await fx.ledger.insertPending({ symbol: BTC, clientId: 'bsn-sl-orphan', side: 'sell', type: 'stop_market', stopPrice: '1000', closePosition: true }, { decisionId: null, positionId: null, leg: 'sl', attempt: 0 });
  const frames = [
    trade({ c: 'bsn-sl-orphan', S: 'SELL', L: '30000', l: '0.01', t: 920_001, i: 201, R: true }),
    trade({ c: 'hand-ro', S: 'SELL', L: '30000', l: '0.01', t: 920_002, i: 202, R: true }),
    trade({ c: 'hand-open', S: 'BUY', L: '30000', l: '0.01', t: 920_003, i: 203 }),
    trade({ c: 'sol-1', S: 'BUY', s: 'SOLUSDT', L: '150', l: '1', t: 920_004, i: 204 }),
  ];
  for (const f of frames) await post('/bosun/v1/user-frame', { frame: f });
  await waitFor('four stray fills', async () => fx.stats.strayFills >= 4, 10_000, 20);
  // Delivered again (a reconnect, a poll): nothing new.
  for (const f of frames) await post('/bosun/v1/user-frame', { frame: f });
  await new Promise((r) => setTimeout(r, 300));
  await fx.serial.run(async () => undefined);
  assert.is(fx.stats.strayFills, 4);
  assert.is(await count("SELECT COUNT(*) AS n FROM positions"), 0, 'nothing opened');
  assert.is(await count("SELECT COUNT(*) AS n FROM fills WHERE position_id IS NULL"), 4, 'each stray fill stored once, on no position');
  const audit = await v.db.pool.query<Array<{ subject: string; why: string }>>("SELECT subject, why FROM reconcile_audit WHERE code = 'execution.stray_fill' ORDER BY id");
  assert.is(audit.length, 4);
  assert.match(audit[0]!.why, /sl \(reduce-only\) fill with no open position/);
  assert.match(audit[1]!.why, /not an order of ours and no open position/);
  assert.match(audit[3]!.why, /not traded by this config/);
  const a = alerts().filter((x) => x.code === 'execution.stray_fill');
  assert.is(a.length, 4);
  assert.equal(a.map((x) => (x.data as { kind: string }).kind), ['reduce_only_without_position', 'unknown_order', 'unknown_order', 'symbol_not_traded']);
  console.log(`stray fills: ${fx.stats.strayFills}, audit rows ${audit.length}, alerts ${a.length}, positions 0`);
});

test('the exchange closes the position itself: ADL closes it with exit reason adl, the insurance fund with insurance', async () => {
  for (const [kind, n] of [['adl', 1], ['insurance', 2]] as const) {
    const clientId = `bsn-entry-${kind}`;
    await fx.ledger.insertPending({ symbol: BTC, clientId, side: 'buy', type: 'market', qty: '0.01' }, { decisionId: null, positionId: null, leg: 'entry', attempt: 0 });
    await fx.gw!.createOrder({ symbol: BTC, clientId, side: 'buy', type: 'market', qty: '0.01' });
    const p = await waitFor(`the ${kind} position open`, async () => fx.ledger.openPosition(BTC), 10_000, 20);
    await post('/bosun/v1/force-close', { symbol: BTC, kind });
    await waitFor(`the position closed by ${kind}`, async () => !(await fx.ledger.openPosition(BTC)), 10_000, 20);
    const [row] = await v.db.pool.query<Array<{ exit_reason: string; status: string }>>('SELECT exit_reason, status FROM positions WHERE id = ?', [p.id]);
    assert.equal([row!.status, row!.exit_reason], ['closed', kind]);
    assert.is(await count("SELECT COUNT(*) AS n FROM positions WHERE status = 'closed'"), n);
  }
  assert.is(await count("SELECT COUNT(*) AS n FROM positions WHERE status = 'open'"), 0, 'nothing reopened');
});

test.run();
