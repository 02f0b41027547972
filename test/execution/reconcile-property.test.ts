import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientOrderId, type Leg } from '../../src/domain/ids.js';
import type { ExchangeGateway } from '../../src/exchange/gateway.js';
import { LocalSimGateway } from '../../src/exchange/sim/local-gateway.js';
import { SIM_MARKETS } from '../../src/exchange/sim/markets.js';
import type { ExFill, OrderRequest } from '../../src/exchange/types.js';
import { Ledger } from '../../src/execution/ledger.js';
import { OrderManager } from '../../src/execution/order-manager.js';
import { reconcile, ReconcileAbortedError } from '../../src/execution/reconcile.js';
import { compare, sameQty, samePrice } from '../../src/execution/reconcile-compare.js';
import { knownClientIds, knownFills } from '../../src/execution/reconcile-ledger.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { quietLog } from '../helpers/venue-server.js';
import { PROTECTION } from '../helpers/config.js';

// Property test of startup reconciliation: random trading on the in-process venue, a DB that saw the fills shuffled,
// duplicated and partly dropped, stale rows, foreign orders, crashes mid-reconciliation. Fixed seeds.
const CASES = Number(process.env.BOSUN_RECON_CASES ?? 200);
const SYMBOLS = ['BTC/USDT:USDT', 'ETH/USDT:USDT'];
const STEP: Record<string, string> = { 'BTC/USDT:USDT': '0.001', 'ETH/USDT:USDT': '0.001' };
const BASE: Record<string, number> = { 'BTC/USDT:USDT': 30_000, 'ETH/USDT:USDT': 2_000 };
const T0 = Date.UTC(2026, 2, 1);
const TABLES = ['orders', 'fills', 'positions', 'reconcile_audit', 'reconcile_state', 'funding_payments'];

let db: TestDb;
test.before(async () => {
  db = await createTestDb('reconprop');
});
test.after(async () => {
  await db?.drop();
});

const rng = (seed: number) => {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0), (s >>> 8) / 2 ** 24);
};

interface Scenario {
  gw: LocalSimGateway;
  ledger: Ledger;
  om: OrderManager;
  t: { now: number };
  foreign: 'adopt' | 'cancel';
}

/** Random trading on the venue, then a DB that saw it badly. Deterministic in the seed. */
async function scenario(seed: number): Promise<Scenario> {
  // TRUNCATE (ids from 1 again) where ids are compared across two runs of one seed; DELETE (faster) elsewhere.
  for (const t of TABLES) await db.pool.query(seed % 25 === 0 ? `TRUNCATE TABLE ${t}` : `DELETE FROM ${t}`);
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const t = { now: T0 };
  const gw = await LocalSimGateway.open({ markets: SIM_MARKETS, takerFee: 0.0004, makerFee: 0.0002, startingBalance: 1_000_000, leverage: 10, marketFill: 'immediate', markSmoothing: 1 }, null, () => t.now);
  const ledger = new Ledger(db.pool, () => t.now);
  const price: Record<string, number> = { ...BASE };
  const bar = async (symbol: string, move: number) => {
    const open = price[symbol]!;
    const close = Math.round(open * (1 + move) * 10) / 10;
    price[symbol] = close;
    t.now += 1000;
    await gw.onBar(symbol, { ts: t.now, open, high: Math.max(open, close), low: Math.min(open, close), close });
  };
  for (const s of SYMBOLS) await bar(s, 0);
  let n = 0;
  const ours = async (req: Omit<OrderRequest, 'clientId'>, leg: Leg, crashBeforeResponse = false) => {
    const clientId = clientOrderId(`prop-${seed}-${n++}`, leg, 0);
    const full = { ...req, clientId };
    await ledger.insertPending(full, { decisionId: null, positionId: null, leg, attempt: 0 });
    t.now += 10;
    const o = await gw.createOrder(full).catch(() => null);
    if (o && !crashBeforeResponse) await ledger.applyOrderUpdate(o);
  };
  const steps = 4 + Math.floor(r() * 8);
  for (let i = 0; i < steps; i++) {
    const symbol = pick(SYMBOLS);
    const qty = Math.floor(((150 + r() * 1500) / price[symbol]!) * 1000) / 1000;
    const x = r();
    if (x < 0.3) await ours({ symbol, side: pick(['buy', 'sell'] as const), type: 'market', qty: String(qty) }, 'entry', r() < 0.2);
    else if (x < 0.45) {
      const p = gw.core.position(symbol);
      if (p) {
        const side = p.side === 'long' ? 'sell' : 'buy';
        const stop = price[symbol]! * (p.side === 'long' ? 0.99 : 1.01);
        await ours({ symbol, side, type: 'stop_market', stopPrice: stop.toFixed(1), closePosition: true, workingType: 'MARK_PRICE' }, 'sl');
      }
    } else if (x < 0.6) await bar(symbol, (r() - 0.5) * 0.04);
    else if (x < 0.72) {
      // Someone trades by hand (or closes the position by hand).
      t.now += 10;
      const p = gw.core.position(symbol);
      const req = p && r() < 0.6 ? { side: p.side === 'long' ? 'sell' as const : 'buy' as const, qty: p.qty } : { side: pick(['buy', 'sell'] as const), qty: String(qty) };
      await gw.createOrder({ symbol, clientId: `hand-${seed}-${n++}`, type: 'market', ...req }).catch(() => null);
    } else if (x < 0.82) {
      // A foreign resting order far from the price (never fills in this scenario).
      t.now += 10;
      const buy = r() < 0.5;
      await gw.createOrder({ symbol, clientId: `foreign-${seed}-${n++}`, side: buy ? 'buy' : 'sell', type: 'limit', qty: String(qty), price: (price[symbol]! * (buy ? 0.5 : 1.5)).toFixed(1), timeInForce: 'GTC' }).catch(() => null);
    } else if (x < 0.9) {
      // Written ahead, never sent (crash before the exchange call).
      await ledger.insertPending({ symbol, clientId: clientOrderId(`prop-${seed}-${n++}`, 'entry', 0), side: 'buy', type: 'market', qty: String(qty) }, { decisionId: null, positionId: null, leg: 'entry', attempt: 0 });
    } else {
      await bar(symbol, (r() - 0.5) * 0.01);
    }
  }
  // The DB saw the fills shuffled, some twice, some never.
  const fills: ExFill[] = SYMBOLS.flatMap((s) => gw.core.fills(s, 0));
  const seen: ExFill[] = [];
  for (const f of fills) {
    const u = r();
    if (u < 0.25) continue;
    seen.push(f);
    if (u > 0.85) seen.push(f);
  }
  for (let i = seen.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [seen[i], seen[j]] = [seen[j]!, seen[i]!];
  }
  for (const f of seen) await ledger.recordFill(f);
  // Stale rows: an open order the exchange does not have, a position the exchange does not hold, a wrong quantity.
  if (r() < 0.3) {
    const clientId = clientOrderId(`stale-${seed}`, 'tp', 0);
    await ledger.insertPending({ symbol: SYMBOLS[0]!, clientId, side: 'sell', type: 'limit', qty: '0.001', price: '99999' }, { decisionId: null, positionId: null, leg: 'tp', attempt: 0 });
    await db.pool.query("UPDATE orders SET status = 'new' WHERE client_id = ?", [clientId]);
  }
  for (const s of SYMBOLS) {
    const open = await ledger.openPosition(s);
    if (!open && r() < 0.25) {
      await db.pool.query("INSERT INTO positions (symbol, side, status, qty, entry_price, opened_at, updated_at) VALUES (?, 'long', 'open', '0.005', ?, ?, ?)", [s, price[s], T0 - 5000, t.now]);
    } else if (open && r() < 0.3) {
      await db.pool.query('UPDATE positions SET qty = qty + 0.003, entry_price = entry_price * 1.01 WHERE id = ?', [open.id]);
    } else if (open && r() < 0.2) {
      // A stop moved (trailing) and then lost in a crash; the price has passed it since.
      await db.pool.query("UPDATE positions SET stop_loss = IF(side = 'long', ?, ?) WHERE id = ?", [price[s]! * 1.05, price[s]! * 0.95, open.id]);
    }
  }
  t.now += 60_000;
  const om = new OrderManager(gw, ledger, quietLog, { protection: PROTECTION,  recvWindowMs: 0, settleMarginMs: 0 }, async () => undefined);
  await om.loadMarkets();
  return { gw, ledger, om, t, foreign: r() < 0.5 ? 'adopt' : 'cancel' };
}

const dump = async () => {
  const out: Record<string, unknown> = {};
  for (const [t, cols] of [['orders', 'client_id, status, filled_qty, avg_price, leg'], ['fills', 'symbol, trade_id, position_id'], ['positions', 'id, symbol, side, status, qty, entry_price, exit_price, stop_loss, take_profit, realized_pnl, fees, funding, exit_reason, closed_at'], ['reconcile_audit', 'COUNT(*) AS n']] as const) {
    out[t] = await db.pool.query(`SELECT ${cols} FROM ${t}${cols.startsWith('COUNT') ? '' : ' ORDER BY 1, 2'}`);
  }
  return JSON.stringify(out);
};

/** A gateway that aborts the run after `k` calls (a crash or timeout mid-reconciliation). */
const crashing = (gw: ExchangeGateway, k: number, ctl: AbortController): ExchangeGateway => {
  let calls = 0;
  return new Proxy(gw, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (++calls === k) ctl.abort(new Error('crash'));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
};

async function invariants(s: Scenario, label: string): Promise<void> {
  const { gw, ledger } = s;
  const exPositions = await gw.fetchPositions(SYMBOLS);
  const openOrders = (await Promise.all(SYMBOLS.map((x) => gw.fetchOpenOrders(x)))).flat();
  const fills = SYMBOLS.flatMap((x) => gw.core.fills(x, 0));
  const dbPositions = await ledger.openPositions();
  for (const symbol of SYMBOLS) {
    const e = exPositions.find((p) => p.symbol === symbol);
    const d = dbPositions.find((p) => p.symbol === symbol);
    assert.is(!!d, !!e, `${label} ${symbol}: DB ${d ? 'open' : 'flat'}, exchange ${e ? 'open' : 'flat'}`);
    if (e && d) {
      assert.is(d.side, e.side, `${label} ${symbol} side`);
      assert.ok(sameQty(e.qty, d.qty, STEP[symbol]), `${label} ${symbol}: qty DB ${d.qty} exchange ${e.qty}`);
      assert.ok(samePrice(e.entryPrice, d.entry_price), `${label} ${symbol}: avg DB ${d.entry_price} exchange ${e.entryPrice}`);
    }
  }
  const known = await knownClientIds(db.pool, openOrders.map((o) => o.clientId));
  const knownF = new Set<string>();
  for (const x of SYMBOLS) for (const k of await knownFills(db.pool, x, 0)) knownF.add(k);
  const drifts = compare(SYMBOLS, { positions: exPositions, openOrders, fills }, { positions: dbPositions, openOrders: await ledger.openOrders(), knownClientIds: known, knownFills: knownF }, (x) => STEP[x]);
  assert.equal(drifts, [], `${label}: no drift after reconciliation`);
  const pending = await db.pool.query<unknown[]>("SELECT client_id FROM orders WHERE status = 'pending_submit'");
  assert.is(pending.length, 0, `${label}: every pending_submit row is resolved`);
  const placed = gw.core.allOrders().filter((o) => o.parentAlgoId === null);
  assert.is(new Set(placed.map((o) => `${o.book}|${o.clientId}`)).size, placed.length, `${label}: no client id placed twice`);
  if (s.foreign === 'cancel') assert.not.ok(openOrders.some((o) => o.clientId.startsWith('foreign-')), `${label}: foreign orders cancelled`);
}

test(`reconciliation property: ${CASES} random cases (shuffled, duplicated, dropped fills; stale rows; foreign orders; crashes mid-run)`, async () => {
  let withAnomalies = 0;
  let crashes = 0;
  const from = Number(process.env.BOSUN_RECON_SEED ?? 1);
  for (let seed = from; seed < from + CASES; seed++) {
    const s = await scenario(seed);
    const opts = { protection: PROTECTION, settleMs: 0, foreignOrders: s.foreign, sleep: async () => undefined };
    if (seed % 4 === 0) {
      // Killed mid-run (after a random number of exchange calls): the next run still converges and doubles nothing.
      const ctl = new AbortController();
      const k = 2 + (seed % 13);
      const err = await reconcile(crashing(s.gw, k, ctl), s.ledger, s.om, SYMBOLS, s.t.now, { ...opts, signal: ctl.signal }).then(() => null, (e: unknown) => e);
      if (err) {
        assert.instance(err, ReconcileAbortedError, String(err));
        await (err as ReconcileAbortedError).settled; // the dead run is gone before the next one starts
        crashes++;
      }
    }
    const first = await reconcile(s.gw, s.ledger, s.om, SYMBOLS, s.t.now, opts);
    if (first.anomalies.length) withAnomalies++;
    await invariants(s, `seed ${seed}`);
    const before = await dump();
    const second = await reconcile(s.gw, s.ledger, s.om, SYMBOLS, s.t.now + 1000, opts);
    assert.equal(second.anomalies.map((a) => a.text), [], `seed ${seed}: a second run reports nothing`);
    assert.is(await dump(), before, `seed ${seed}: a second run changes nothing`);
    if (seed % 25 === 0) {
      // Same seed again from scratch: the same anomalies and the same ids (client ids, position ids) come out.
      const again = await scenario(seed);
      const rerun = await reconcile(again.gw, again.ledger, again.om, SYMBOLS, again.t.now, opts);
      if (seed % 4 !== 0) assert.equal(rerun.anomalies, first.anomalies, `seed ${seed}: deterministic anomalies`);
      const ids = (g: LocalSimGateway) => g.core.allOrders().map((o) => o.clientId).join(',');
      if (seed % 4 !== 0) assert.is(ids(again.gw), ids(s.gw), `seed ${seed}: deterministic client ids`);
    }
  }
  assert.ok(withAnomalies > CASES / 2, `most cases needed repairs (${withAnomalies}/${CASES})`);
  assert.ok(crashes > CASES / 10, `crashes mid-run happened (${crashes})`);
});

test('a reconciliation that cannot finish within its timeout rejects (the machine halts), and places nothing after', async () => {
  const s = await scenario(7);
  const slow: ExchangeGateway = new Proxy(s.gw, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (prop !== 'fetchFills' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
      return () => new Promise(() => undefined); // the exchange never answers
    },
  });
  const before = s.gw.core.allOrders().length;
  const err = await reconcile(slow, s.ledger, s.om, SYMBOLS, s.t.now, { protection: PROTECTION, settleMs: 0, timeoutMs: 200 }).then(() => null, (e: unknown) => e);
  assert.instance(err, ReconcileAbortedError);
  assert.match(String((err as Error).message), 'within 200 ms');
  assert.is(s.gw.core.allOrders().length, before);
});

test.run();
