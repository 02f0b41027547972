// How reconciliation ends or protects a position: how a position gone from the exchange ended (from its fills), the
// stop and target of a position with none, and the market exit of one whose stop level the mark already passed.
// Guarantees: PnL and fees of a fill are booked once; the exit is a reduce-only market order through the write-ahead
// OrderManager with a deterministic client id of the crossed leg (its fill reads stop_loss / take_profit).
import { D, dec, str } from '../domain/decimal.js';
import { clientOrderId, type Leg } from '../domain/ids.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { ExFill, ExOrder } from '../exchange/types.js';
import { targetsOf, type Ledger, type PositionRow } from './ledger.js';
import type { ProtectionDefaults } from './policy/protection.js';
import { decisionKey } from './protection.js';
import type { OrderManager } from './order-manager.js';
import * as rl from './reconcile-ledger.js';

const FILL_OVERLAP_MS = 60_000;
const EXIT_REASON: Partial<Record<string, string>> = { sl: 'stop_loss', tp: 'take_profit', tp2: 'take_profit', tp3: 'take_profit', exit: 'signal', flatten: 'flatten', time: 'max_hold', trail: 'trailing_stop' };

/** Stop and target distances for a position with none known (execution.protection in config). */
export type DefaultLevels = ProtectionDefaults;

export interface Crossed {
  leg: 'sl' | 'tp';
  level: string;
  mark: string;
}

/** The level (stop first) the exchange's mark price is already beyond, or null. */
export async function crossedLevel(gw: ExchangeGateway, p: PositionRow): Promise<Crossed | null> {
  if (p.stop_loss === null && p.take_profit === null) return null;
  const mark = dec((await gw.fetchMarkPrice(p.symbol)).markPrice);
  const long = p.side === 'long';
  if (p.stop_loss !== null && (long ? mark.lte(p.stop_loss) : mark.gte(p.stop_loss))) return { leg: 'sl', level: str(p.stop_loss), mark: str(mark) };
  // With several target legs, the first one crossed closes only its share: that is for the legs to do, not an exit.
  if (p.take_profit !== null && targetsOf(p).length <= 1 && (long ? mark.gte(p.take_profit) : mark.lte(p.take_profit))) return { leg: 'tp', level: str(p.take_profit), mark: str(mark) };
  return null;
}

/** Closes the position at market as the crossed leg; returns the trade ids of the fills applied. */
export async function exitNow(gw: ExchangeGateway, ledger: Ledger, orders: OrderManager, p: PositionRow, leg: 'sl' | 'tp', now: number): Promise<string[]> {
  const decision = decisionKey(p);
  const attempt = await orders.nextAttempt(decision, leg);
  const clientId = clientOrderId(decision, leg, attempt);
  await orders.submit(
    { symbol: p.symbol, clientId, side: p.side === 'long' ? 'sell' : 'buy', type: 'market', qty: str(p.qty), reduceOnly: true },
    { decisionId: p.decision_id, positionId: p.id, leg, attempt },
  );
  const applied: string[] = [];
  for (const f of await gw.fetchFills(p.symbol, now - 60_000)) {
    if (f.clientId !== clientId) continue;
    if ((await ledger.recordFill(f)).kind !== 'duplicate') applied.push(f.tradeId);
  }
  return applied;
}

/**
 * How a DB position the exchange no longer holds ended, from the exchange's fills since it opened: the last run of
 * fills on the exit side gives exit price (volume-weighted), fees and reason (the leg of their order: a stop-loss fill
 * reads `stop_loss`); without such fills it is `external` at no known price.
 */
export async function closeFromFills(gw: ExchangeGateway, ledger: Ledger, p: PositionRow, now: number): Promise<rl.ExternalClose> {
  const exitSide = p.side === 'long' ? 'sell' : 'buy';
  const fills: ExFill[] = (await gw.fetchFills(p.symbol, Math.max(0, p.opened_at - FILL_OVERLAP_MS))).filter((f) => f.ts >= p.opened_at).sort((a, b) => a.ts - b.ts || Number(a.tradeId) - Number(b.tradeId));
  const run: ExFill[] = [];
  for (let i = fills.length - 1; i >= 0 && fills[i]!.side === exitSide; i--) run.unshift(fills[i]!);
  if (!run.length) return { exitPrice: null, realizedPnl: '0', fees: '0', reason: 'external', closedAt: now };
  const qty = run.reduce((s, f) => s.add(f.qty), new D(0));
  const px = run.reduce((s, f) => s.add(dec(f.price).mul(f.qty)), new D(0)).div(qty);
  const last = run[run.length - 1]!;
  const order = last.clientId ? await ledger.order(last.clientId) : null;
  const reason = last.clientId?.startsWith('autoclose') ? 'liquidation' : ((order && EXIT_REASON[order.leg as Leg]) ?? 'external');
  // Fills already in the DB were booked (PnL and fees) when they were applied: only unbooked ones add to the position.
  const booked = await rl.knownFills(ledger.db, p.symbol, run[0]!.ts);
  const fresh = run.filter((f) => !booked.has(`${f.symbol}|${f.tradeId}`));
  const freshQty = D.min(fresh.reduce((s, f) => s.add(f.qty), new D(0)), dec(p.qty));
  const freshPx = fresh.length ? fresh.reduce((s, f) => s.add(dec(f.price).mul(f.qty)), new D(0)).div(fresh.reduce((s, f) => s.add(f.qty), new D(0))) : px;
  const diff = freshPx.sub(p.entry_price).mul(freshQty);
  return {
    exitPrice: str(px.toDecimalPlaces(12)), realizedPnl: str((p.side === 'long' ? diff : diff.neg()).toDecimalPlaces(12)),
    fees: str(fresh.reduce((s, f) => s.add(f.fee), new D(0))), reason, closedAt: last.ts, fills: fresh,
  };
}

/**
 * Stop and target for a position that has none in the DB (imported): the exchange's own when it holds one, else
 * `defaultStopPct` / `defaultTpPct` from its entry but never on the wrong side of the mark (a stop the mark already
 * crossed would trigger at once or be refused).
 */
export async function defaultProtection(gw: ExchangeGateway, ledger: Ledger, p: PositionRow, open: ExOrder[], opts: DefaultLevels): Promise<void> {
  const sl = opts.defaultStopPct;
  const tp = opts.defaultTakeProfitPct;
  const exitSide = p.side === 'long' ? 'sell' : 'buy';
  // What the exchange already holds is the level (a stop placed by hand, or by a run that died before writing it).
  const held = (type: string) => open.find((o) => o.conditional && o.type === type && o.side === exitSide && o.stopPrice)?.stopPrice ?? null;
  const mark = dec((await gw.fetchMarkPrice(p.symbol)).markPrice);
  const entry = dec(p.entry_price);
  const long = p.side === 'long';
  const stop = held('stop_market') ?? str((long ? D.min(entry.mul(1 - sl), mark.mul(1 - sl / 4)) : D.max(entry.mul(1 + sl), mark.mul(1 + sl / 4))).toDecimalPlaces(8));
  const target = held('take_profit_market') ?? str((long ? D.max(entry.mul(1 + tp), mark.mul(1 + tp / 4)) : D.min(entry.mul(1 - tp), mark.mul(1 - tp / 4))).toDecimalPlaces(8));
  await ledger.setProtection(p.id, p.stop_loss === null ? stop : null, p.take_profit === null ? target : null);
}
