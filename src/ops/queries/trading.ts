// Reads of the trading ledger for the operator (status, Telegram, HTTP API): positions with their stop and take-profit
// legs, orders, closed trades, PnL by period, per-symbol performance, the equity curve. Guarantees every figure comes
// from MariaDB (the source of truth), money stays a decimal string, and an empty ledger reads as empty, never invented.
import type { Pool } from 'mariadb';
import { dec, str } from '../../domain/decimal.js';
import { dayStart, weekStart } from '../../store/repos/equity.js';

const OPEN_ORDER = "('pending_submit', 'new', 'partially_filled', 'pending_cancel')";

export interface ProtectionLeg {
  leg: string;
  /** Trigger price (stop or take-profit), else the limit price. */
  price: string | null;
  qty: string | null;
  /** The order's status, or `planned` when the position records a level no order carries yet. */
  status: string;
  clientId: string | null;
}

export interface PositionView {
  id: number;
  symbol: string;
  side: string;
  qty: string;
  entryPrice: string;
  /** The working stop order's trigger, else the level the position records; null: unprotected. */
  stopLoss: string | null;
  stopLeg: ProtectionLeg | null;
  /** The nearest take-profit level (compatibility with the one-target view). */
  takeProfit: string | null;
  takeProfits: ProtectionLeg[];
  markPrice: string | null;
  unrealizedPnl: string | null;
  markedAt: number | null;
  /** `exchange`: the mark execution recorded on the position; `last close`: the symbol's latest 1m close (no mark recorded yet). */
  markSource: 'exchange' | 'last close' | null;
  decisionId: string | null;
  openedAt: number;
}

interface PositionRow {
  id: number; symbol: string; side: string; qty: string; entry_price: string; stop_loss: string | null; take_profit: string | null;
  mark_price: string | null; unrealized_pnl: string | null; marked_at: number | null; decision_id: string | null; opened_at: number;
}

interface LegRow { position_id: number; leg: string; client_id: string; qty: string; price: string | null; stop_price: string | null; status: string; filled_qty: string }

/** Every open position (one per symbol, any number of symbols), each with its working stop and take-profit legs. */
export async function openPositions(pool: Pool): Promise<PositionView[]> {
  const rows = await pool.query<PositionRow[]>(
    "SELECT id, symbol, side, qty, entry_price, stop_loss, take_profit, mark_price, unrealized_pnl, marked_at, decision_id, opened_at FROM positions WHERE status = 'open' ORDER BY symbol, id",
  );
  if (!rows.length) return [];
  const legs = await pool.query<LegRow[]>(
    `SELECT position_id, leg, client_id, qty, price, stop_price, status, filled_qty FROM orders
     WHERE position_id IN (${rows.map(() => '?').join(',')}) AND status IN ${OPEN_ORDER} AND (leg = 'sl' OR leg LIKE 'tp%' OR leg LIKE 'stop%') ORDER BY leg, id`,
    rows.map((r) => r.id),
  );
  // Positions without a recorded mark are valued at their symbol's latest closed 1m candle (also from MariaDB).
  const closes = new Map<string, { close: string; t: number }>();
  for (const sym of new Set(rows.filter((r) => r.marked_at === null).map((r) => r.symbol))) {
    const [c] = await pool.query<Array<{ close: string; open_time: number }>>("SELECT close, open_time FROM candles WHERE symbol = ? AND tf = '1m' ORDER BY open_time DESC LIMIT 1", [sym]);
    if (c) closes.set(sym, { close: c.close, t: Number(c.open_time) + 60_000 });
  }
  return rows.map((p) => {
    const last = p.marked_at === null ? closes.get(p.symbol) : undefined;
    const mark = p.marked_at !== null ? { price: p.mark_price, pnl: p.unrealized_pnl, at: p.marked_at, source: 'exchange' as const }
      : last ? { price: last.close, pnl: str(dec(last.close).minus(p.entry_price).times(p.qty).times(p.side === 'long' ? 1 : -1)), at: last.t, source: 'last close' as const }
        : { price: null, pnl: null, at: null, source: null };
    const mine = legs.filter((l) => Number(l.position_id) === Number(p.id));
    const leg = (l: LegRow): ProtectionLeg => ({ leg: l.leg, price: l.stop_price ?? l.price, qty: l.qty, status: l.status, clientId: l.client_id });
    const stop = mine.find((l) => l.leg === 'sl' || l.leg.startsWith('stop'));
    let tps = mine.filter((l) => l.leg.startsWith('tp')).map(leg);
    if (!tps.length && p.take_profit !== null) tps = [{ leg: 'tp', price: p.take_profit, qty: null, status: 'planned', clientId: null }];
    const long = p.side === 'long';
    tps.sort((a, b) => (a.price === null || b.price === null ? 0 : long ? dec(a.price).cmp(b.price) : dec(b.price).cmp(a.price)));
    return {
      id: Number(p.id), symbol: p.symbol, side: p.side, qty: p.qty, entryPrice: p.entry_price,
      stopLoss: stop ? (stop.stop_price ?? p.stop_loss) : p.stop_loss,
      stopLeg: stop ? leg(stop) : null,
      takeProfit: tps[0]?.price ?? null, takeProfits: tps,
      markPrice: mark.price, unrealizedPnl: mark.pnl, markedAt: mark.at === null ? null : Number(mark.at), markSource: mark.source,
      decisionId: p.decision_id, openedAt: p.opened_at,
    };
  });
}

export interface OrderView {
  id: number; clientId: string; symbol: string; leg: string; side: string; type: string; qty: string; price: string | null; stopPrice: string | null;
  reduceOnly: boolean; status: string; filledQty: string; avgPrice: string | null; positionId: number | null; decisionId: string | null; lastError: string | null;
  createdAt: number; updatedAt: number;
}

export async function orders(pool: Pool, o: { limit: number; symbol?: string | undefined; open?: boolean | undefined }): Promise<OrderView[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (o.symbol) where.push('symbol = ?'), args.push(o.symbol);
  if (o.open) where.push(`status IN ${OPEN_ORDER}`);
  const rows = await pool.query<Array<Record<string, unknown>>>(
    `SELECT id, client_id, symbol, leg, side, type, qty, price, stop_price, reduce_only, status, filled_qty, avg_price, position_id, decision_id, last_error, created_at, updated_at
     FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`, [...args, o.limit]);
  return rows.map((r) => ({
    id: Number(r.id), clientId: String(r.client_id), symbol: String(r.symbol), leg: String(r.leg), side: String(r.side), type: String(r.type), qty: String(r.qty),
    price: (r.price as string | null) ?? null, stopPrice: (r.stop_price as string | null) ?? null, reduceOnly: !!r.reduce_only, status: String(r.status),
    filledQty: String(r.filled_qty), avgPrice: (r.avg_price as string | null) ?? null, positionId: r.position_id === null ? null : Number(r.position_id),
    decisionId: (r.decision_id as string | null) ?? null, lastError: (r.last_error as string | null) ?? null, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  }));
}

export interface TradeView {
  id: number; symbol: string; side: string; qty: string; entryPrice: string; exitPrice: string | null; stopLoss: string | null; takeProfit: string | null;
  realizedPnl: string; fees: string; funding: string; netPnl: string; exitReason: string | null; decisionId: string | null; openedAt: number; closedAt: number | null;
}

/** Closed positions, newest first. */
export async function trades(pool: Pool, o: { limit: number; symbol?: string | undefined }): Promise<TradeView[]> {
  const rows = await pool.query<Array<Record<string, unknown>>>(
    `SELECT id, symbol, side, qty, entry_price, exit_price, COALESCE(initial_stop, stop_loss) AS stop_loss, take_profit, realized_pnl, fees, funding, net_pnl, exit_reason, decision_id, opened_at, closed_at
     FROM positions WHERE status = 'closed' ${o.symbol ? 'AND symbol = ?' : ''} ORDER BY closed_at DESC, id DESC LIMIT ?`, o.symbol ? [o.symbol, o.limit] : [o.limit]);
  return rows.map((r) => ({
    id: Number(r.id), symbol: String(r.symbol), side: String(r.side), qty: String(r.qty), entryPrice: String(r.entry_price), exitPrice: (r.exit_price as string | null) ?? null,
    stopLoss: (r.stop_loss as string | null) ?? null, takeProfit: (r.take_profit as string | null) ?? null, realizedPnl: String(r.realized_pnl), fees: String(r.fees),
    funding: String(r.funding), netPnl: String(r.net_pnl), exitReason: (r.exit_reason as string | null) ?? null, decisionId: (r.decision_id as string | null) ?? null,
    openedAt: Number(r.opened_at), closedAt: r.closed_at === null ? null : Number(r.closed_at),
  }));
}

export type Period = 'day' | 'week' | 'month';

/** Start (UTC) of the period containing `ts`. */
export function periodStart(period: Period, ts: number): number {
  if (period === 'day') return dayStart(ts);
  if (period === 'week') return weekStart(ts);
  const d = new Date(ts);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the period `k` periods before the one containing `ts`. */
export function periodBack(period: Period, ts: number, k: number): number {
  if (period === 'day') return dayStart(ts) - k * 86_400_000;
  if (period === 'week') return weekStart(ts) - k * 7 * 86_400_000;
  const d = new Date(ts);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - k, 1);
}

export interface PeriodPnl {
  /** UTC start of the period (ISO date). */
  start: string;
  from: number;
  trades: number;
  wins: number;
  netPnl: string;
  fees: string;
}

/** Net PnL of the trades closed in each of the last `n` periods (newest first; a period without trades reads 0). */
export async function pnlByPeriod(pool: Pool, now: number, o: { period: Period; n: number }): Promise<PeriodPnl[]> {
  const from = periodBack(o.period, now, o.n - 1);
  const rows = await pool.query<Array<{ closed_at: number; net_pnl: string; fees: string }>>(
    "SELECT closed_at, net_pnl, fees FROM positions WHERE status = 'closed' AND closed_at >= ? ORDER BY closed_at", [from]);
  const out: PeriodPnl[] = [];
  for (let k = 0; k < o.n; k++) {
    const start = periodBack(o.period, now, k);
    const end = k === 0 ? Number.POSITIVE_INFINITY : periodBack(o.period, now, k - 1);
    const mine = rows.filter((r) => r.closed_at >= start && r.closed_at < end);
    out.push({
      start: new Date(start).toISOString().slice(0, 10), from: start, trades: mine.length, wins: mine.filter((r) => dec(r.net_pnl).gt(0)).length,
      netPnl: str(mine.reduce((a, r) => a.plus(r.net_pnl), dec(0))), fees: str(mine.reduce((a, r) => a.plus(r.fees), dec(0))),
    });
  }
  return out;
}

export interface SymbolPerformance { symbol: string; trades: number; wins: number; winRate: number | null; netPnl: string }

/** Closed trades per symbol, best net PnL first. */
export async function performance(pool: Pool): Promise<SymbolPerformance[]> {
  const rows = await pool.query<Array<{ symbol: string; n: number; wins: number; net: string }>>(
    "SELECT symbol, COUNT(*) AS n, SUM(net_pnl > 0) AS wins, SUM(net_pnl) AS net FROM positions WHERE status = 'closed' GROUP BY symbol");
  return rows
    .map((r) => ({ symbol: r.symbol, trades: Number(r.n), wins: Number(r.wins), winRate: Number(r.n) ? Number(r.wins) / Number(r.n) : null, netPnl: str(dec(r.net ?? '0')) }))
    .sort((a, b) => dec(b.netPnl).cmp(a.netPnl));
}

export interface ProfitSummary {
  closedTrades: number; openTrades: number; wins: number; losses: number; winRate: number | null;
  netPnl: string; grossProfit: string; grossLoss: string; fees: string; funding: string; profitFactor: number | null;
  bestSymbol: string | null; firstTradeAt: number | null; lastTradeAt: number | null; avgHoldMs: number | null;
}

/** Freqtrade's /profit: totals over every closed trade. */
export async function profit(pool: Pool): Promise<ProfitSummary> {
  const rows = await pool.query<Array<{ net_pnl: string; fees: string; funding: string; opened_at: number; closed_at: number | null }>>(
    "SELECT net_pnl, fees, funding, opened_at, closed_at FROM positions WHERE status = 'closed'");
  const [open] = await pool.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM positions WHERE status = 'open'");
  let net = dec(0), gp = dec(0), gl = dec(0), fees = dec(0), funding = dec(0), wins = 0, hold = 0;
  for (const r of rows) {
    net = net.plus(r.net_pnl); fees = fees.plus(r.fees); funding = funding.plus(r.funding);
    if (dec(r.net_pnl).gt(0)) (wins++, (gp = gp.plus(r.net_pnl)));
    else gl = gl.plus(dec(r.net_pnl).neg());
    hold += (r.closed_at ?? r.opened_at) - r.opened_at;
  }
  const perf = await performance(pool);
  return {
    closedTrades: rows.length, openTrades: Number(open?.n ?? 0), wins, losses: rows.length - wins, winRate: rows.length ? wins / rows.length : null,
    netPnl: str(net), grossProfit: str(gp), grossLoss: str(gl), fees: str(fees), funding: str(funding),
    profitFactor: gl.gt(0) ? Number(gp.div(gl).toFixed(4)) : null,
    bestSymbol: perf[0]?.symbol ?? null,
    firstTradeAt: rows.length ? Math.min(...rows.map((r) => r.opened_at)) : null,
    lastTradeAt: rows.length ? Math.max(...rows.map((r) => r.closed_at ?? r.opened_at)) : null,
    avgHoldMs: rows.length ? Math.round(hold / rows.length) : null,
  };
}

export interface EquityPoint { ts: number; equity: number; balance: number; unrealizedPnl: number }

export interface LatestEquity { ts: number; equity: string; balance: string; unrealizedPnl: string; realizedPnl: string | null; fees: string | null; funding: string | null }

export async function latestEquity(pool: Pool): Promise<LatestEquity | null> {
  const [e] = await pool.query<Array<{ ts: number; equity: string; balance: string; unrealized_pnl: string; realized_pnl: string | null; fees: string | null; funding: string | null }>>(
    'SELECT ts, equity, balance, unrealized_pnl, realized_pnl, fees, funding FROM equity_curve ORDER BY ts DESC, id DESC LIMIT 1');
  return e ? { ts: Number(e.ts), equity: e.equity, balance: e.balance, unrealizedPnl: e.unrealized_pnl, realizedPnl: e.realized_pnl, fees: e.fees, funding: e.funding } : null;
}

/**
 * The equity curve from `from`, thinned to at most `points` (the last point of each bucket, so the latest value is
 * always the last one). Numbers here: it is for charts.
 */
export async function equityCurve(pool: Pool, o: { from?: number | undefined; points: number }): Promise<EquityPoint[]> {
  const rows = await pool.query<Array<{ ts: number; equity: string; balance: string; unrealized_pnl: string }>>(
    'SELECT ts, equity, balance, unrealized_pnl FROM equity_curve WHERE ts >= ? ORDER BY ts, id', [o.from ?? 0]);
  const pts = rows.map((r) => ({ ts: Number(r.ts), equity: Number(r.equity), balance: Number(r.balance), unrealizedPnl: Number(r.unrealized_pnl) }));
  if (pts.length <= o.points) return pts;
  const step = pts.length / o.points;
  const out: EquityPoint[] = [];
  for (let i = 1; i <= o.points; i++) out.push(pts[Math.min(pts.length - 1, Math.ceil(i * step) - 1)]!);
  return out;
}
