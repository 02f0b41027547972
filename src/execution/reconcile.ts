// Startup reconciliation of the DB ledger with the exchange: fills, orders, foreign orders, positions, protection, funding.
// Guarantees: the exchange is the truth; every difference is repaired, audited (reconcile_audit) and reported with a
// stable code; a second run changes nothing and reports nothing; ids it creates are deterministic; it stops at the
// first check after its signal aborts or its timeout passes; it rejects with ReconcileAbortedError at once (whose
// `settled` says when the run has actually stopped: another run must not start before).
import { dec, str } from '../domain/decimal.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { ExOrder, ExPosition } from '../exchange/types.js';
import type { Anomaly } from '../protocol/index.js';
import { advanceFillWatermark, fillWatermark, syncFunding } from '../store/repos/reconcile.js';
import type { Ledger, PositionRow } from './ledger.js';
import type { OrderManager } from './order-manager.js';
import type { ProtectionDefaults } from './policy/protection.js';
import { hasStop, sameQty, samePrice } from './reconcile-compare.js';
import { closeFromFills, crossedLevel, defaultProtection, exitNow } from './reconcile-exit.js';
import * as rl from './reconcile-ledger.js';
import { chaosPoint } from '../ops/chaos-point.js';

export interface ReconcileReport {
  anomalies: Anomaly[];
  fillsApplied: number;
  positions: PositionRow[];
}

/** How far back to look for fills before the last point known complete (clock skew, same-ms fills). */
const FILL_OVERLAP_MS = 60_000;
/** A DB that has never stored a fill of a symbol looks back this far (the exchange keeps a limited history anyway). */
const FRESH_LOOKBACK_MS = 24 * 3_600_000;
/** How many more times a symbol's position is read while fills keep arriving between reads (then it is compared). */
const STABLE_ROUNDS = 5;

export interface ReconcileOptions {
  /**
   * Wall-clock ms after which a request can no longer be accepted by the venue (recvWindow plus margin): a
   * pending_submit row not found on the exchange is declared never placed only after waiting this long, so a
   * request still in flight from a crashed run cannot land after we gave up on it.
   */
  settleMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Open exchange orders the DB does not know: adopted into the ledger or cancelled (default cancel). */
  foreignOrders?: 'adopt' | 'cancel';
  /** Aborts the run at its next step; the promise rejects with ReconcileAbortedError. */
  signal?: AbortSignal;
  /** Rejects with ReconcileAbortedError (and stops at the next step) when not done within this many ms. */
  timeoutMs?: number;
  /** Stop and target for a position with none known: execution.protection's defaults. */
  protection: ProtectionDefaults;
}

export class ReconcileAbortedError extends Error {
  /** Resolves once the aborted run has stopped (at its next step): start another run only after it. */
  settled: Promise<void> = Promise.resolve();
  constructor(reason: string) {
    super(`reconciliation aborted: ${reason}`);
    this.name = 'ReconcileAbortedError';
  }
}

export async function reconcile(
  gw: ExchangeGateway, ledger: Ledger, orders: OrderManager | null, symbols: string[], now: number, opts: ReconcileOptions,
): Promise<ReconcileReport> {
  const ctl = new AbortController();
  const work = run(gw, ledger, orders, symbols, now, opts, () => {
    chaosPoint('reconcile.step');
    if (ctl.signal.aborted) throw ctl.signal.reason as Error;
  });
  work.catch(() => undefined); // after an abort it stops at its next check; its rejection is not news
  const abort = (why: string) => {
    const err = new ReconcileAbortedError(why);
    err.settled = work.then(() => undefined, () => undefined);
    ctl.abort(err);
  };
  const onOuter = () => abort(String(opts.signal?.reason instanceof Error ? opts.signal.reason.message : (opts.signal?.reason ?? 'aborted')));
  if (opts.signal?.aborted) onOuter();
  opts.signal?.addEventListener('abort', onOuter);
  const timer = opts.timeoutMs ? setTimeout(() => abort(`not done within ${opts.timeoutMs} ms`), opts.timeoutMs) : null;
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(ctl.signal.reason as Error);
    if (ctl.signal.aborted) fail();
    else ctl.signal.addEventListener('abort', fail);
  });
  aborted.catch(() => undefined);
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuter);
  }
}

async function run(gw: ExchangeGateway, ledger: Ledger, orders: OrderManager | null, symbols: string[], now: number, opts: ReconcileOptions, check: () => void): Promise<ReconcileReport> {
  const pool = ledger.db;
  const anomalies: Anomaly[] = [];
  const note = (kind: string, severity: Anomaly['severity'], text: string, symbol?: string, data?: Record<string, unknown>) =>
    anomalies.push({ kind, code: `reconcile.${kind}`, severity, text, ...(symbol ? { symbol } : {}), ...(data ? { data } : {}) });
  const audit = (code: string, why: string): rl.Audit => ({ ts: now, code: `reconcile.${code}`, why });

  // 1. Fills the DB has not seen (stream down, process dead): applying them in order rebuilds positions.
  let fillsApplied = 0;
  const watermarks = new Map<string, number>();
  const applyFills = async (symbol: string) => {
    const since = await fillsSince(ledger, symbol, now);
    const fills = (await gw.fetchFills(symbol, since)).sort((a, b) => a.ts - b.ts || Number(a.tradeId) - Number(b.tradeId));
    for (const f of fills) {
      check();
      const order = f.clientId ? await ledger.order(f.clientId) : null;
      const open = order?.leg === 'entry' ? await rl.intentProtection(pool, order.decision_id) : undefined;
      const r = await ledger.recordFill(f, open, f.clientId?.startsWith('autoclose') ? 'liquidation' : 'external');
      if (r.kind === 'duplicate') continue;
      fillsApplied++;
      note('missed_fill', 'warning', `fill ${f.tradeId} (${f.side} ${f.qty} @ ${f.price}) was missing from the DB; applied (${r.kind})`, symbol, { tradeId: f.tradeId, clientId: f.clientId });
    }
    watermarks.set(symbol, Math.max(watermarks.get(symbol) ?? 0, now - FILL_OVERLAP_MS, ...fills.map((f) => f.ts)));
  };
  for (const symbol of symbols) {
    check();
    await applyFills(symbol);
  }

  // 2. Orders: pending_submit rows are resolved by client id; open rows take the exchange's status. Rows the
  // exchange lists as open need no look-up; a missing pending_submit is looked up again once the venue can no longer
  // accept it.
  const rows = (await ledger.openOrders()).filter((r) => symbols.includes(r.symbol));
  const openOnEx = new Map<string, ExOrder>();
  for (const symbol of new Set(rows.map((r) => r.symbol))) {
    check();
    for (const o of await gw.fetchOpenOrders(symbol)) openOnEx.set(o.clientId, o);
  }
  const seen = new Map<string, ExOrder | null>();
  for (const row of rows) {
    check();
    seen.set(row.client_id, openOnEx.get(row.client_id) ?? (await gw.fetchOrderByClientId(row.symbol, row.client_id)));
  }
  // A pending_submit row still missing may be a request of a crashed run in flight: it is resolved after a wait of
  // settleMs, but only once the positions are protected (steps 3–5 first), so a stop-loss whose row was written just
  // before a kill delays nothing: its replacement is placed now under the next attempt's client id.
  const deferred = opts.settleMs > 0 ? rows.filter((r) => !seen.get(r.client_id) && r.status === 'pending_submit') : [];
  const resolve = async (row: (typeof rows)[number], ex: ExOrder | null) => {
    if (!ex) {
      if (row.status === 'pending_submit') {
        await ledger.markNeverPlaced(row.client_id, 'not found on the exchange at reconciliation');
        note('pending_never_placed', 'info', `order ${row.client_id} (${row.leg}) was written but never reached the exchange`, row.symbol);
      } else if (await rl.settleOrder(pool, row.client_id, 'expired', audit('order_missing', 'open in the DB, unknown to the exchange'))) {
        note('order_missing', 'warning', `order ${row.client_id} (${row.leg}, ${row.status}) is unknown to the exchange: expired in the DB`, row.symbol);
      }
      return;
    }
    const before = row.status;
    const after = await ledger.applyOrderUpdate(ex);
    if (before === 'pending_submit') note('pending_resolved', 'info', `order ${row.client_id} (${row.leg}) reached the exchange: ${ex.status}`, row.symbol);
    else if (after !== before) note('order_status', 'info', `order ${row.client_id} moved ${before} → ${after}`, row.symbol);
  };
  for (const row of rows) {
    check();
    if (!deferred.includes(row)) await resolve(row, seen.get(row.client_id) ?? null);
  }

  // 3. Open orders the DB does not know (placed by hand, or by a DB that was restored): adopted or cancelled.
  const policy = opts.foreignOrders ?? 'cancel';
  for (const symbol of symbols) {
    check();
    const open = await gw.fetchOpenOrders(symbol);
    const known = await rl.knownClientIds(pool, open.map((o) => o.clientId));
    for (const o of open.filter((x) => !known.has(x.clientId)).sort((a, b) => a.clientId.localeCompare(b.clientId))) {
      check();
      const what = `${o.type} ${o.side} ${o.qty}${o.price ? ` @ ${o.price}` : ''}${o.stopPrice ? ` stop ${o.stopPrice}` : ''} (${o.clientId})`;
      if (policy === 'adopt') {
        if (await rl.adoptOrder(pool, o, audit('foreign_order', 'open on the exchange, unknown to the DB: adopted'))) {
          note('foreign_order', 'warning', `open order ${what} was unknown to the DB: adopted`, symbol, { clientId: o.clientId, action: 'adopt' });
        }
      } else {
        const c = await gw.cancelOrder(symbol, o.clientId, o.conditional).catch(async (err: unknown) => {
          // It may have filled or been cancelled meanwhile: only an order still open is a failure.
          const after = await gw.fetchOrderByClientId(symbol, o.clientId);
          if (!after || after.status === 'new' || after.status === 'partially_filled') throw err;
          return after;
        });
        await rl.auditOnly(pool, symbol, `order:${o.clientId}`, { status: o.status, type: o.type, side: o.side, qty: o.qty }, { status: c.status }, audit('foreign_order', 'open on the exchange, unknown to the DB: cancelled'));
        note('foreign_order', 'warning', `open order ${what} was unknown to the DB: cancelled`, symbol, { clientId: o.clientId, action: 'cancel' });
      }
    }
  }

  // 4. Positions: the exchange is the truth — compared on a consistent pair only: the position is read, then the fills
  // again; when none was new, the DB holds every fill the position reflects. A fill that landed meanwhile (a resting
  // entry or a stop that filled while this ran) is applied as a fill and the position read again, so it is neither
  // imported as an orphan, nor corrected into the DB and then applied once more by the next poll.
  const steps = new Map((orders ? symbols.map((s) => [s, safeStep(orders, s)] as const) : []));
  for (const symbol of symbols) {
    check();
    let ex: ExPosition | undefined;
    for (let round = 0; ; round++) {
      ex = (await gw.fetchPositions([symbol])).find((p) => p.symbol === symbol && dec(p.qty).gt(0));
      const before = fillsApplied;
      await applyFills(symbol);
      if (fillsApplied === before || round === STABLE_ROUNDS) break;
    }
    const db = await ledger.openPosition(symbol);
    if (ex && !db) {
      const openedAt = ex.updatedAt > 0 ? ex.updatedAt : now;
      const p = await rl.importPosition(pool, symbol, ex, openedAt, null, audit('orphan_position', 'held on the exchange, unknown to the DB: imported'));
      note('orphan_position', 'critical', `exchange holds ${ex.side} ${ex.qty} ${symbol} @ ${ex.entryPrice} unknown to the DB: imported as position ${p.id}`, symbol, { positionId: p.id });
    } else if (!ex && db) {
      const c = await closeFromFills(gw, ledger, db, now);
      await rl.closePosition(pool, db.id, c, audit('position_gone', `not on the exchange and no unseen fill closed it; exit from ${c.exitPrice === null ? 'no fill' : 'the fills'}`));
      note('position_gone', 'warning', `DB position ${db.id} (${db.side} ${str(db.qty)}) is not on the exchange: closed (${c.reason}${c.exitPrice ? ` @ ${c.exitPrice}` : ''}, pnl ${c.realizedPnl})`, symbol, { positionId: db.id, reason: c.reason });
    } else if (ex && db && (ex.side !== db.side || !sameQty(ex.qty, db.qty, steps.get(symbol)) || !samePrice(ex.entryPrice, db.entry_price))) {
      await rl.correctPosition(pool, db.id, ex, audit('position_mismatch', 'quantity, side or average price differs from the exchange'));
      note('position_mismatch', 'warning', `position ${db.id}: DB ${db.side} ${str(db.qty)} @ ${str(db.entry_price)}, exchange ${ex.side} ${ex.qty} @ ${ex.entryPrice}: DB corrected`, symbol, { positionId: db.id });
    }
  }

  // 5. Protection: every open position has a stop-loss and a take-profit on the exchange; nothing is left where flat.
  let positions = (await ledger.openPositions()).filter((p) => symbols.includes(p.symbol));
  if (orders) {
    for (const p of positions) {
      check();
      const open = await gw.fetchOpenOrders(p.symbol);
      if (!hasStop(open, p.symbol, p.side, p.qty)) {
        // No stop on the exchange and the mark already beyond its level: the stop would have fired (and a new one
        // would trigger at once or be refused), so the position is closed at market now, as the stop would have.
        const crossed = await crossedLevel(gw, p);
        if (crossed) {
          const fills = await exitNow(gw, ledger, orders, p, crossed.leg, now);
          note('stop_crossed', 'critical', `position ${p.id} ${p.symbol} had no stop on the exchange and the mark ${crossed.mark} is beyond its ${crossed.leg === 'sl' ? 'stop-loss' : 'take-profit'} ${crossed.level}: closed at market`, p.symbol, { positionId: p.id, fills });
          if (!(await ledger.openPosition(p.symbol))) continue;
        }
      }
      if (p.stop_loss === null || p.take_profit === null) await defaultProtection(gw, ledger, p, open, opts.protection);
      const fresh = (await ledger.openPosition(p.symbol)) ?? p;
      const { placed } = await orders.ensureProtection(fresh);
      if (placed.length) note('protection_placed', placed.includes('sl') ? 'critical' : 'warning', `position ${p.id} ${p.symbol} lacked ${placed.join(' and ')} on the exchange: placed`, p.symbol);
    }
    positions = (await ledger.openPositions()).filter((p) => symbols.includes(p.symbol));
    // A symbol with an entry order of ours still possibly working (one sent before the crash and not resolved yet) keeps
    // its stops: that stop was placed before the entry so the entry can never fill bare; the loop cancels them once flat.
    const entering = new Set((await ledger.openOrders()).filter((r) => r.leg === 'entry').map((r) => r.symbol));
    for (const symbol of symbols) {
      check();
      if (positions.some((p) => p.symbol === symbol) || entering.has(symbol)) continue;
      const n = await orders.cancelLeftovers(symbol);
      if (n) note('leftover_cancelled', 'info', `${n} protective order(s) left on the exchange while flat: cancelled`, symbol);
    }
  }

  // 2b. The deferred pending_submit rows, now that a request sent before the crash can no longer be accepted. When one
  // landed after all, the whole comparison runs once more (its fills, a position it opened, its protection; a late
  // stop is a second stop, the loop keeps the tightest); that run has no unresolved row left to wait for.
  if (deferred.length) {
    check();
    await (opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(opts.settleMs);
    let landed = 0;
    for (const row of deferred) {
      check();
      const ex = await gw.fetchOrderByClientId(row.symbol, row.client_id);
      if (ex) landed++;
      await resolve(row, ex);
    }
    if (landed) {
      const again = await run(gw, ledger, orders, symbols, now, opts, check);
      return { ...again, anomalies: [...anomalies, ...again.anomalies], fillsApplied: fillsApplied + again.fillsApplied };
    }
  }

  // 6. Funding payments (PnL), then the point up to which the DB's fills are known complete.
  if (gw.fetchFunding) {
    check();
    await syncFunding(pool, (s, t) => gw.fetchFunding!(s, t), symbols, now);
  }
  for (const [symbol, ts] of watermarks) await advanceFillWatermark(pool, symbol, ts, now);
  return { anomalies, fillsApplied, positions: (await ledger.openPositions()).filter((p) => symbols.includes(p.symbol)) };
}

/** Where to fetch fills from: the point known complete, else the first stored fill, else a day back; minus overlap. */
async function fillsSince(ledger: Ledger, symbol: string, now: number): Promise<number> {
  const wm = await fillWatermark(ledger.db, symbol);
  if (wm !== null) return Math.max(0, wm - FILL_OVERLAP_MS);
  const first = (await ledger.db.query<Array<{ t: number | null }>>('SELECT MIN(ts) AS t FROM fills WHERE symbol = ?', [symbol]))[0]?.t;
  return Math.max(0, (first === null || first === undefined ? now - FRESH_LOOKBACK_MS : Number(first)) - FILL_OVERLAP_MS);
}

const safeStep = (orders: OrderManager, symbol: string): string | undefined => {
  try {
    return orders.market(symbol).qtyStep;
  } catch {
    return undefined;
  }
};
