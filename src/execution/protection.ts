// Keeps one open position protected on the exchange each loop: stop-loss and take-profit present, the stop moved by
// the stop rules, the position closed at market past its max holding time or when price fell through its trail.
// Guarantees: a stop is moved by placing the new one first and cancelling the old one only after (never a moment
// without a stop); the stops stay until the position is flat; one working market exit per position at a time.
import { dec, str } from '../domain/decimal.js';
import { clientOrderId, syntheticId, type Leg } from '../domain/ids.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { ExOrder } from '../exchange/types.js';
import type { Logger } from '../log/logger.js';
import type { Ledger, PositionRow } from './ledger.js';
import type { OrderManager } from './order-manager.js';
import { nextPeak, stopMove, type ProtectionConfig } from './stop-rules.js';

export interface ManageResult {
  /** A market exit (max hold, trail crossed, flatten) is working for the position. */
  exiting: boolean;
  /** What was done this loop, for logs and alerts: placed:sl, moved:trailing, exit:time, … */
  actions: string[];
}

export const decisionKey = (p: PositionRow): string => p.decision_id ?? syntheticId('pos', p.symbol, p.id, p.opened_at);

export class Protector {
  constructor(
    private readonly gw: ExchangeGateway, private readonly ledger: Ledger, private readonly orders: OrderManager,
    private readonly log: Logger, private readonly cfg: ProtectionConfig,
  ) {}

  async manage(p: PositionRow, mark: number | undefined, atr: number | null, now: number): Promise<ManageResult> {
    const actions: string[] = [];
    if ((await this.ledger.openExits(p.id)).length) return { exiting: true, actions };
    let open = await this.gw.fetchOpenOrders(p.symbol);
    const { placed } = await this.orders.ensureProtection(p, undefined, undefined, open);
    for (const leg of placed) actions.push(`placed:${leg}`);
    // A stop placed for a position that had one before: it was cancelled or lost behind our back.
    if (placed.includes('sl') && (await this.ledger.legCount(p.id, 'sl')) > 1) actions.push('replaced:sl');
    if (placed.length) {
      open = await this.gw.fetchOpenOrders(p.symbol);
      p = (await this.ledger.openPosition(p.symbol)) ?? p;
    }
    if (this.cfg.maxHoldMs > 0 && now - p.opened_at >= this.cfg.maxHoldMs) {
      await this.exitAtMarket(p, 'time');
      actions.push('exit:time');
      return { exiting: true, actions };
    }
    if (mark === undefined) return { exiting: false, actions };
    const peak = nextPeak(p.side, p.peak_price === null ? null : Number(p.peak_price), mark);
    if (p.peak_price === null || peak !== Number(p.peak_price)) await this.ledger.setPeak(p.id, str(peak), p.stop_loss);
    const stops = this.stopsOf(p, open);
    const current = stops[0];
    if (!current?.stopPrice) return { exiting: false, actions };
    const move = stopMove({ side: p.side, entry: p.entry_price, initialStop: p.initial_stop ?? p.stop_loss, currentStop: current.stopPrice, peak, mark, atr, cfg: this.cfg });
    if (move?.kind === 'exit') {
      await this.exitAtMarket(p, 'trail');
      actions.push(`exit:${move.rule}`);
      return { exiting: true, actions };
    }
    if (move?.kind === 'move') {
      await this.moveStop(p, current, str(move.stop));
      actions.push(`moved:${move.rule}`);
    } else if (stops.length > 1) {
      // A move whose cancel failed left the old, looser stop: the tightest one stays, the others go.
      for (const o of stops.slice(1)) await this.orders.cancelConfirmed(p.symbol, o.clientId, true);
    }
    return { exiting: false, actions };
  }

  /** The position's stops on the exchange that cover it, tightest first. */
  private stopsOf(p: PositionRow, open: ExOrder[]): ExOrder[] {
    const exitSide = p.side === 'long' ? 'sell' : 'buy';
    return open
      .filter((o) => o.conditional && o.type === 'stop_market' && o.side === exitSide && o.stopPrice !== null && (o.closePosition || dec(o.qty).gte(p.qty)))
      .sort((a, b) => (p.side === 'long' ? Number(b.stopPrice) - Number(a.stopPrice) : Number(a.stopPrice) - Number(b.stopPrice)));
  }

  /**
   * New stop first, then the old one cancelled. Binance allows one closePosition stop per direction, so the new stop
   * alternates: a reduce-only stop for the position's quantity replaces a closePosition one and vice versa.
   */
  async moveStop(p: PositionRow, old: ExOrder, stop: string): Promise<void> {
    const decision = decisionKey(p);
    const attempt = await this.orders.nextAttempt(decision, 'sl');
    const exitSide = p.side === 'long' ? 'sell' : 'buy';
    const base = { symbol: p.symbol, clientId: clientOrderId(decision, 'sl', attempt), side: exitSide, type: 'stop_market', stopPrice: stop, workingType: 'MARK_PRICE' } as const;
    const req = old.closePosition ? { ...base, qty: str(p.qty), reduceOnly: true } : { ...base, closePosition: true };
    await this.orders.submit(req, { decisionId: p.decision_id, positionId: p.id, leg: 'sl', attempt });
    await this.ledger.setProtection(p.id, str(this.orders.normalize(req).stopPrice!), null);
    const c = await this.orders.cancelConfirmed(p.symbol, old.clientId, true);
    this.log.info({ symbol: p.symbol, from: old.stopPrice, to: stop, oldCancelled: c?.status ?? 'unknown' }, 'stop-loss moved');
  }

  /** One reduce-only market close for the position's quantity; the stops stay until it is flat. */
  async exitAtMarket(p: PositionRow, leg: Leg): Promise<void> {
    const decision = decisionKey(p);
    const attempt = await this.orders.nextAttempt(decision, leg);
    const side = p.side === 'long' ? 'sell' : 'buy';
    await this.orders.submit(
      { symbol: p.symbol, clientId: clientOrderId(decision, leg, attempt), side, type: 'market', qty: str(p.qty), reduceOnly: true },
      { decisionId: p.decision_id, positionId: p.id, leg, attempt },
    );
    this.log.warn({ symbol: p.symbol, qty: p.qty, leg }, 'position closed at market');
  }
}
