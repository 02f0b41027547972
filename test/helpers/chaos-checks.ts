// The crash test's invariants, read only from stable surfaces: the venue's GET /bosun/v1/state and the daemon's
// orders/fills/positions tables. Guarantees each check compares one venue snapshot that did not move while the DB was read.
import type { Pool } from 'mariadb';
import type { ExFill, ExPosition } from '../../src/exchange/types.js';
import type { SimOrder } from '../../src/exchange/sim/sim-types.js';
import { sleep } from './wait.js';

export interface VenueView { now: number; orders: SimOrder[]; fills: ExFill[]; positions: ExPosition[] }
export type Control = <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;

export const readVenue = (control: Control) => control<VenueView>('GET', '/bosun/v1/state');

/** Orders a client placed: conditional orders' triggered market orders share their client id, liquidations are the venue's. */
export const placed = (v: VenueView) => v.orders.filter((o) => o.parentAlgoId === null && !o.clientId.startsWith('autoclose-'));

/** Client ids that appear on the venue more than once (each one is a duplicate order). */
export function duplicateClientIds(v: VenueView): string[] {
  const seen = new Map<string, number>();
  for (const o of placed(v)) seen.set(o.clientId, (seen.get(o.clientId) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}

/** Live on the venue: a resting regular order, or a conditional order not yet triggered. */
const isOpen = (o: SimOrder) => (o.book === 'algo' ? o.algoStatus === 'NEW' : o.status === 'new' || o.status === 'partially_filled');

/** Venue positions without a live stop-loss that closes all of them (a closePosition stop-market, or a reduce-only one
 * for at least the position's quantity, on the closing side). */
export function unprotected(v: VenueView): string[] {
  const covers = (p: ExPosition, o: SimOrder) =>
    o.symbol === p.symbol && o.type === 'stop_market' && isOpen(o) && o.side === (p.side === 'long' ? 'sell' : 'buy') &&
    (o.closePosition || (o.reduceOnly && Number(o.qty) >= Number(p.qty)));
  return v.positions.filter((p) => !v.orders.some((o) => covers(p, o))).map((p) => `${p.symbol} ${p.side} ${p.qty}`);
}

/** Differences between the venue and the daemon's DB (empty = they agree). */
export async function ledgerDiff(v: VenueView, pool: Pool): Promise<string[]> {
  const out: string[] = [];
  const dbPos = await pool.query<Array<{ symbol: string; side: string; qty: string }>>("SELECT symbol, side, qty FROM positions WHERE status = 'open'");
  const key = (p: { symbol: string; side: string; qty: string }) => `${p.symbol} ${p.side} ${Number(p.qty)}`;
  const venuePos = new Set(v.positions.map(key));
  const ledgerPos = new Set(dbPos.map(key));
  for (const p of venuePos) if (!ledgerPos.has(p)) out.push(`venue position ${p} not open in the DB`);
  for (const p of ledgerPos) if (!venuePos.has(p)) out.push(`DB open position ${p} not on the venue`);

  const dbOrders = await pool.query<Array<{ client_id: string; status: string }>>("SELECT client_id, status FROM orders WHERE status IN ('pending_submit', 'new', 'partially_filled', 'pending_cancel')");
  const venueOpen = new Set(placed(v).filter(isOpen).map((o) => o.clientId));
  const ledgerOpen = new Map(dbOrders.map((o) => [o.client_id, o.status]));
  for (const id of venueOpen) if (!ledgerOpen.has(id)) out.push(`venue open order ${id} not open in the DB`);
  for (const [id, status] of ledgerOpen) if (!venueOpen.has(id)) out.push(`DB order ${id} (${status}) not open on the venue`);

  const dbFills = await pool.query<Array<{ symbol: string; trade_id: string }>>('SELECT symbol, trade_id FROM fills');
  const ledgerFills = new Set(dbFills.map((f) => `${f.symbol}|${f.trade_id}`));
  const venueFills = new Set(v.fills.map((f) => `${f.symbol}|${f.tradeId}`));
  for (const f of venueFills) if (!ledgerFills.has(f)) out.push(`venue fill ${f} missing from the DB`);
  for (const f of ledgerFills) if (!venueFills.has(f)) out.push(`DB fill ${f} not on the venue`);
  if (dbFills.length !== ledgerFills.size) out.push(`${dbFills.length - ledgerFills.size} fill(s) stored twice`);
  return out;
}

const fingerprint = (v: VenueView) => JSON.stringify([v.fills.length, v.positions.map((p) => [p.symbol, p.qty]), v.orders.length, v.orders.map((o) => o.updatedAt).reduce((a, b) => Math.max(a, b), 0)]);

/**
 * Waits (up to `withinMs`) until the venue and the DB agree on a venue snapshot that stayed put while the DB was read
 * (the daemon keeps trading meanwhile). Returns the last differences seen, empty when they agreed.
 */
export async function settledDiff(control: Control, pool: Pool, withinMs: number): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  let last: string[] = ['no stable venue snapshot'];
  for (;;) {
    const a = await readVenue(control);
    const diff = await ledgerDiff(a, pool);
    const b = await readVenue(control);
    if (fingerprint(a) === fingerprint(b)) {
      if (!diff.length) return [];
      last = diff;
    }
    if (Date.now() > deadline) return last;
    await sleep(100);
  }
}

/**
 * Polls until every venue position has its stop; returns the longest wall time a position was seen without one,
 * counted from `sinceMs` for positions already open at the first look and from their first sighting for later ones
 * (entries go on while this runs). Gives up `capMs` after `sinceMs`.
 */
export async function secondsUntilProtected(control: Control, sinceMs: number, capMs: number): Promise<{ sec: number; missing: string[]; worst: string | null }> {
  const since = new Map<string, number>();
  let worst = 0;
  let worstKey: string | null = null;
  for (let first = true; ; first = false) {
    const missing = unprotected(await readVenue(control));
    const t = Date.now();
    for (const [k, t0] of since) {
      if (missing.includes(k)) continue;
      if (t - t0 > worst) [worst, worstKey] = [t - t0, k];
      since.delete(k);
    }
    for (const k of missing) if (!since.has(k)) since.set(k, first ? sinceMs : t);
    if (!missing.length) return { sec: worst / 1000, missing, worst: worstKey };
    if (t - sinceMs > capMs) return { sec: Math.max(worst, ...[...since.values()].map((t0) => t - t0)) / 1000, missing, worst: worstKey };
    await sleep(50);
  }
}
