// The reconciler's periodic check: the same comparison as startup reconciliation, read-only for trading, plus the
// equity point (balance + unrealised), per-position unrealised PnL from the mark, funding payments and day/week PnL.
// Guarantees: never places, cancels or corrects anything on the exchange or in orders/positions' quantities; a drift
// is reported only if a second look `confirmMs` later still sees it (a fill in flight is not drift).
import type { Pool } from 'mariadb';
import { dec, str } from '../domain/decimal.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { DriftStatus, EquityPoint, Anomaly } from '../protocol/index.js';
import { dayStart, insertEquity, pnlSince, weekStart } from '../store/repos/equity.js';
import { advanceFillWatermark, fillWatermark, syncFunding } from '../store/repos/reconcile.js';
import { Ledger } from './ledger.js';
import { compare, driftAnomaly, type Drift, type DriftKind } from './reconcile-compare.js';
import { knownClientIds, knownFills, markPosition, pnlTotals } from './reconcile-ledger.js';

const OVERLAP_MS = 60_000;
/** Without a watermark the periodic check looks at the last hour of fills. */
const FRESH_LOOKBACK_MS = 3_600_000;
/** Kinds that mean the DB's position on a symbol cannot be trusted: execution refuses entries there. */
export const DRIFT_KINDS: DriftKind[] = ['orphan_position', 'position_gone', 'position_mismatch', 'missed_fill', 'foreign_order'];

export interface CheckResult {
  equity: EquityPoint | null;
  anomalies: Anomaly[];
  drift: DriftStatus;
}

export interface CheckOptions {
  confirmMs: number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * One look: the exchange first, then the DB (so a fill the DB has is never newer than the exchange's view). The reads of
 * each side go out together (one round trip each, not one per read); a fill landing between them is a transient
 * difference the second look clears, as it was when they went one by one.
 */
async function look(gw: ExchangeGateway, pool: Pool, symbols: string[], steps: Map<string, string>, now: number) {
  const ledger = new Ledger(pool, () => now);
  const marks = await Promise.all(symbols.map((s) => fillWatermark(pool, s)));
  const since = new Map(symbols.map((s, i) => [s, Math.max(0, (marks[i] ?? now - FRESH_LOOKBACK_MS) - OVERLAP_MS)]));
  const [positions, openOrders, fills] = await Promise.all([
    gw.fetchPositions(symbols),
    Promise.all(symbols.map((s) => gw.fetchOpenOrders(s))).then((x) => x.flat()),
    Promise.all(symbols.map((s) => gw.fetchFills(s, since.get(s)!))).then((x) => x.flat()),
  ]);
  const [known, knownLists, dbPositions, dbOrders] = await Promise.all([
    knownClientIds(pool, openOrders.map((o) => o.clientId)),
    Promise.all(symbols.map((s) => knownFills(pool, s, since.get(s)!))),
    ledger.openPositions(),
    ledger.openOrders(),
  ]);
  const db = { positions: dbPositions, openOrders: dbOrders, knownClientIds: known, knownFills: new Set(knownLists.flatMap((k) => [...k])) };
  return { positions, fills, drifts: compare(symbols, { positions, openOrders, fills }, db, (s) => steps.get(s)) };
}

const id = (d: Drift) => `${d.kind}|${d.symbol}`;

export async function periodicCheck(gw: ExchangeGateway, pool: Pool, symbols: string[], clock: () => number, o: CheckOptions, steps = new Map<string, string>()): Promise<CheckResult> {
  if (!steps.size) for (const m of await gw.loadMarkets()) steps.set(m.symbol, m.qtyStep);
  const now = clock();
  let seen = await look(gw, pool, symbols, steps, now);
  if (seen.drifts.length && o.confirmMs > 0) {
    await o.sleep(o.confirmMs);
    const first = new Set(seen.drifts.map(id));
    const again = await look(gw, pool, symbols, steps, clock());
    seen = { ...again, drifts: again.drifts.filter((d) => first.has(id(d))) };
  }
  const drifts = seen.drifts;
  // Fills: with none missing, everything up to the newest seen (or shortly before now) is known complete. Then funding
  // payments, unrealised PnL per position from the exchange's mark and the balance, side by side (none reads another's
  // write); the totals and the equity point after them.
  const ledger = new Ledger(pool, () => now);
  const open = seen.positions.filter((x) => symbols.includes(x.symbol) && dec(x.qty).gt(0));
  const upnl = open.reduce((a, p) => a.add(p.unrealizedPnl), dec(0));
  const [balances] = await Promise.all([
    gw.fetchBalance(),
    ...symbols
      .filter((s) => !drifts.some((d) => d.symbol === s && d.kind === 'missed_fill'))
      .map((s) => advanceFillWatermark(pool, s, Math.max(now - OVERLAP_MS, ...seen.fills.filter((f) => f.symbol === s).map((f) => f.ts)), now)),
    gw.fetchFunding ? syncFunding(pool, (s, t) => gw.fetchFunding!(s, t), symbols, now) : null,
    ...open.map(async (p) => {
      const db = await ledger.openPosition(p.symbol);
      if (db && db.side === p.side) await markPosition(pool, db.id, p.markPrice, p.unrealizedPnl, now);
    }),
  ]);
  const quote = balances.find((b) => b.asset === 'USDT') ?? balances[0];
  const balance = quote ? str(quote.total) : '0';
  const equity = str(dec(balance).add(upnl));
  const totals = await pnlTotals(pool);
  await insertEquity(pool, { ts: now, equity, balance, unrealizedPnl: str(upnl), source: 'reconciler', ...totals });
  const [dayPnl, weekPnl] = await Promise.all([pnlSince(pool, dayStart(now), equity), pnlSince(pool, weekStart(now), equity)]);
  return {
    equity: { ts: now, equity, balance, unrealizedPnl: str(upnl), dayPnl, weekPnl },
    anomalies: drifts.map((d) => driftAnomaly(d)),
    drift: { ts: now, symbols: [...new Set(drifts.filter((d) => DRIFT_KINDS.includes(d.kind)).map((d) => d.symbol))].sort() },
  };
}
