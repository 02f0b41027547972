// The crash test's invariants, read only from stable surfaces: the venue's GET /bosun/v1/state and the daemon's
// orders/fills/positions tables. Guarantees each check compares one venue snapshot that did not move while the DB was
// read, and that bare time is rebuilt from the venue's own records (fills and conditional orders), whoever was alive.
import type { Pool } from 'mariadb';
import { dec } from '../../src/domain/decimal.js';
import { isOurClientId } from '../../src/domain/ids.js';
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

/** A stop-loss that closes all of a position of this side and quantity (closePosition, or reduce-only for at least it). */
const closesAll = (o: SimOrder, symbol: string, side: 'long' | 'short', qty: number) =>
  o.book === 'algo' && o.symbol === symbol && o.type === 'stop_market' && o.side === (side === 'long' ? 'sell' : 'buy') && (o.closePosition || Number(o.qty) >= qty);

/** Venue positions without a live stop-loss that closes all of them. */
export function unprotected(v: VenueView): string[] {
  return v.positions.filter((p) => !v.orders.some((o) => isOpen(o) && closesAll(o, p.symbol, p.side, Number(p.qty)))).map((p) => `${p.symbol} ${p.side} ${p.qty}`);
}

/** When a conditional order stopped watching the market (venue time): cancelled, triggered or expired; null while live. */
const endOf = (o: SimOrder): number | null => (o.algoStatus === 'NEW' ? null : (o.triggeredAt ?? o.updatedAt));

export interface Episode {
  symbol: string;
  side: 'long' | 'short';
  /** Venue time of the fill that opened it, and of the one that closed it (null: still open at the snapshot). */
  openedAt: number;
  closedAt: number | null;
  fills: number;
  /** Venue ms with a position and no live stop that closes all of it (from the first fill on, whoever was alive). */
  bareMs: number;
  /** The longest such stretch. */
  longestBareMs: number;
  /** Fills that opened or grew the position while no live stop covered the quantity they left. */
  uncoveredFills: number;
}

/** The most position episodes open at one venue moment (different symbols trading at once). */
export function maxConcurrent(eps: Episode[]): number {
  let n = 0;
  for (const e of eps) n = Math.max(n, eps.filter((o) => o.openedAt <= e.openedAt && (o.closedAt === null || o.closedAt > e.openedAt)).length);
  return n;
}

/**
 * Every position episode (flat → open → flat, a flip starts a new one) of every symbol, rebuilt from the venue's fills
 * in trade order; between two venue events the position and the set of live stops are constant, so bare time is exact
 * in venue time. Episodes still open are measured up to the snapshot's time.
 */
export function positionEpisodes(v: VenueView): Episode[] {
  const out: Episode[] = [];
  const symbols = [...new Set(v.fills.map((f) => f.symbol))];
  for (const symbol of symbols) {
    const fills = v.fills.filter((f) => f.symbol === symbol).sort((a, b) => a.ts - b.ts || Number(a.tradeId) - Number(b.tradeId));
    const stops = v.orders.filter((o) => o.book === 'algo' && o.symbol === symbol && o.type === 'stop_market');
    // A stop that triggered (FINISHED / TRIGGERED) at the very venue moment of a fill found that position: it was live
    // when the fill came (one that met no position would have expired instead).
    const liveAt = (o: SimOrder, t: number) => {
      const end = endOf(o) ?? Infinity;
      return o.createdAt <= t && (end > t || (end === t && (o.algoStatus === 'FINISHED' || o.algoStatus === 'TRIGGERED')));
    };
    const coveredAt = (t: number, side: 'long' | 'short', qty: number) => stops.some((o) => liveAt(o, t) && closesAll(o, symbol, side, qty));
    // The moments coverage can change: stop placements and ends (fills are handled as they come).
    const edges = [...new Set(stops.flatMap((o) => [o.createdAt, endOf(o)]).filter((t): t is number => t !== null))].sort((a, b) => a - b);
    let pos = dec(0);
    let ep: Episode | null = null;
    let run = 0;
    /** Accounts [from, to) at the current position into the open episode. */
    const advance = (from: number, to: number) => {
      if (!ep || to <= from) return;
      const side = ep.side;
      const qty = pos.abs().toNumber();
      const cuts = [from, ...edges.filter((t) => t > from && t < to), to];
      for (let i = 0; i + 1 < cuts.length; i++) {
        const [a, b] = [cuts[i]!, cuts[i + 1]!];
        if (coveredAt(a, side, qty)) run = 0;
        else {
          ep.bareMs += b - a;
          run += b - a;
          ep.longestBareMs = Math.max(ep.longestBareMs, run);
        }
      }
    };
    let last = fills[0]?.ts ?? 0;
    for (const f of fills) {
      advance(last, f.ts);
      last = f.ts;
      const signed = dec(f.qty).mul(f.side === 'buy' ? 1 : -1);
      const before = pos;
      pos = pos.add(signed);
      const flipped = !before.isZero() && !pos.isZero() && pos.isPositive() !== before.isPositive();
      const grew = pos.abs().gt(before.abs()) || flipped;
      if (!before.isZero() && (pos.isZero() || flipped)) {
        ep!.closedAt = f.ts;
        ep!.fills++;
        out.push(ep!);
        ep = null;
      } else if (ep) ep.fills++;
      if (!pos.isZero() && !ep) {
        ep = { symbol, side: pos.gt(0) ? 'long' : 'short', openedAt: f.ts, closedAt: null, fills: 1, bareMs: 0, longestBareMs: 0, uncoveredFills: 0 };
        run = 0;
      }
      if (ep && grew && !coveredAt(f.ts, ep.side, pos.abs().toNumber())) ep.uncoveredFills++;
    }
    if (ep) {
      advance(last, v.now);
      out.push(ep);
    }
  }
  return out.sort((a, b) => a.openedAt - b.openedAt);
}

type DbFill = { symbol: string; trade_id: string; qty: string; price: string; fee: string; realized_pnl: string; side: string };
type DbOrder = { client_id: string; status: string; filled_qty: string; leg: string };
const OPEN_DB = new Set(['pending_submit', 'new', 'partially_filled', 'pending_cancel']);

export interface LedgerDiff {
  /** Venue fills the DB does not hold (a lost fill). */
  lost: string[];
  /** Every other difference: positions, open orders, fill contents, final order states, orders without a row. */
  other: string[];
}

/** Differences between the venue and the daemon's DB (both empty = they agree). */
export async function ledgerDiff(v: VenueView, pool: Pool): Promise<LedgerDiff> {
  const other: string[] = [];
  const lost: string[] = [];
  const dbPos = await pool.query<Array<{ symbol: string; side: string; qty: string }>>("SELECT symbol, side, qty FROM positions WHERE status = 'open'");
  const key = (p: { symbol: string; side: string; qty: string }) => `${p.symbol} ${p.side} ${Number(p.qty)}`;
  const venuePos = new Set(v.positions.map(key));
  const ledgerPos = new Set(dbPos.map(key));
  for (const p of venuePos) if (!ledgerPos.has(p)) other.push(`venue position ${p} not open in the DB`);
  for (const p of ledgerPos) if (!venuePos.has(p)) other.push(`DB open position ${p} not on the venue`);

  const rows = await pool.query<DbOrder[]>('SELECT client_id, status, filled_qty, leg FROM orders');
  const byId = new Map(rows.map((r) => [r.client_id, r]));
  const ours = placed(v);
  const venueOpen = new Set(ours.filter(isOpen).map((o) => o.clientId));
  for (const id of venueOpen) if (!OPEN_DB.has(byId.get(id)?.status ?? '')) other.push(`venue open order ${id} not open in the DB (${byId.get(id)?.status ?? 'no row'})`);
  for (const r of rows) if (OPEN_DB.has(r.status) && !venueOpen.has(r.client_id)) other.push(`DB order ${r.client_id} (${r.status}) not open on the venue`);
  // Final states: an order the venue has finished is finished the same way, with the same quantity filled; one the DB
  // says never reached the venue is not there; every order of ours on the venue has its row (written before it was sent).
  for (const o of ours) {
    const r = byId.get(o.clientId);
    if (!r) {
      if (isOurClientId(o.clientId)) other.push(`venue order ${o.clientId} (${o.status}) has no DB row`);
      continue;
    }
    if (isOpen(o) || OPEN_DB.has(r.status)) continue;
    if (r.status !== o.status) other.push(`order ${o.clientId} (${r.leg}): ${o.status} on the venue, ${r.status} in the DB`);
    else if (!dec(r.filled_qty).eq(o.filledQty)) other.push(`order ${o.clientId} (${r.leg}): filled ${o.filledQty} on the venue, ${dec(r.filled_qty).toFixed()} in the DB`);
  }
  const onVenue = new Set(ours.map((o) => o.clientId));
  for (const r of rows) if ((r.status === 'never_placed' || r.status === 'rejected') && onVenue.has(r.client_id)) other.push(`DB order ${r.client_id} is ${r.status} but the venue has it`);

  const dbFills = await pool.query<DbFill[]>('SELECT symbol, trade_id, side, qty, price, fee, realized_pnl FROM fills');
  const ledgerFills = new Map(dbFills.map((f) => [`${f.symbol}|${f.trade_id}`, f]));
  for (const f of v.fills) {
    const k = `${f.symbol}|${f.tradeId}`;
    const d = ledgerFills.get(k);
    if (!d) {
      lost.push(`venue fill ${k} (${f.clientId ?? 'no client id'})`);
      continue;
    }
    const diffs = (['qty', 'price', 'fee'] as const).filter((c) => !dec(d[c]).eq(f[c]));
    if (!dec(d.realized_pnl).eq(f.realizedPnl)) diffs.push('realizedPnl' as never);
    if (d.side !== f.side) diffs.push('side' as never);
    if (diffs.length) other.push(`fill ${k} differs in ${diffs.join(', ')}: venue ${f.side} ${f.qty} @ ${f.price} fee ${f.fee} pnl ${f.realizedPnl}, DB ${d.side} ${d.qty} @ ${d.price} fee ${d.fee} pnl ${d.realized_pnl}`);
  }
  const venueFills = new Set(v.fills.map((f) => `${f.symbol}|${f.tradeId}`));
  for (const k of ledgerFills.keys()) if (!venueFills.has(k)) other.push(`DB fill ${k} not on the venue`);
  if (dbFills.length !== ledgerFills.size) other.push(`${dbFills.length - ledgerFills.size} fill(s) stored twice`);
  return { lost, other };
}

const fingerprint = (v: VenueView) => JSON.stringify([v.fills.length, v.positions.map((p) => [p.symbol, p.qty]), v.orders.length, v.orders.map((o) => o.updatedAt).reduce((a, b) => Math.max(a, b), 0)]);

/**
 * Waits (up to `withinMs`) until the venue and the DB agree on a venue snapshot that stayed put while the DB was read
 * (the daemon keeps trading meanwhile). Returns the last differences seen, empty when they agreed.
 */
export async function settledLedgerDiff(control: Control, pool: Pool, withinMs: number): Promise<LedgerDiff & { venue: VenueView }> {
  const deadline = Date.now() + withinMs;
  let last: LedgerDiff = { lost: [], other: ['no stable venue snapshot'] };
  for (;;) {
    const a = await readVenue(control);
    const diff = await ledgerDiff(a, pool);
    const b = await readVenue(control);
    if (fingerprint(a) === fingerprint(b)) {
      if (!diff.lost.length && !diff.other.length) return { ...diff, venue: b };
      last = diff;
    }
    if (Date.now() > deadline) return { ...last, venue: b };
    await sleep(100);
  }
}

/** As settledLedgerDiff, every difference in one list (empty when they agree). */
export async function settledDiff(control: Control, pool: Pool, withinMs: number): Promise<string[]> {
  const d = await settledLedgerDiff(control, pool, withinMs);
  return [...d.lost, ...d.other];
}
