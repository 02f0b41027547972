// Step 5: protection. Guarantees every open position ends the step with a stop that closes all of it and its target legs
// on the exchange — or closed at market when the mark is already beyond a level it had no order for — and that a flat
// symbol keeps no protective order, except while an entry of ours may still fill there (its stop was placed first).
import { isReduceOnlyRejected } from '../../exchange/binance/classify.js';
import { hasStop } from '../reconcile-compare.js';
import { crossedLevel, defaultProtection, exitNow } from '../reconcile-exit.js';
import type { OrderManager } from '../order-manager.js';
import { note, type Ctx } from './context.js';

export async function protectPositions(c: Ctx, orders: OrderManager): Promise<void> {
  for (const p of (await c.ledger.openPositions()).filter((x) => c.symbols.includes(x.symbol))) {
    c.check();
    const open = await c.gw.fetchOpenOrders(p.symbol);
    if (!hasStop(open, p.symbol, p.side, p.qty)) {
      // No stop on the exchange and the mark already beyond its level: the stop would have fired (and a new one would
      // trigger at once or be refused), so the position is closed at market now, as the stop would have.
      const crossed = await crossedLevel(c.gw, p);
      if (crossed) {
        let fills: string[];
        try {
          fills = await exitNow(c.gw, c.ledger, orders, p, crossed.leg, c.now);
        } catch (err) {
          // -2022: the exchange holds nothing for the reduce-only exit to reduce — the mark that crossed the level fired
          // the exchange's own stop (or target) first. Not a failure: the next pass applies that fill and closes the row.
          if (!isReduceOnlyRejected(err)) throw err;
          note(c, 'exit_raced', 'warning', `position ${p.id} ${p.symbol}: the exchange closed it before our exit at market (reduce-only refused): compared again`, p.symbol, { positionId: p.id });
          c.again = true;
          continue;
        }
        note(c, 'stop_crossed', 'critical', `position ${p.id} ${p.symbol} had no stop on the exchange and the mark ${crossed.mark} is beyond its ${crossed.leg === 'sl' ? 'stop-loss' : 'take-profit'} ${crossed.level}: closed at market`, p.symbol, { positionId: p.id, fills });
        if (!(await c.ledger.openPosition(p.symbol))) continue;
      }
    }
    if (p.stop_loss === null || p.take_profit === null) await defaultProtection(c.gw, c.ledger, p, open, c.opts.protection);
    const fresh = (await c.ledger.openPosition(p.symbol)) ?? p;
    const { placed } = await orders.ensureProtection(fresh);
    if (placed.length) note(c, 'protection_placed', placed.includes('sl') ? 'critical' : 'warning', `position ${p.id} ${p.symbol} lacked ${placed.join(' and ')} on the exchange: placed`, p.symbol);
  }
  const positions = (await c.ledger.openPositions()).filter((p) => c.symbols.includes(p.symbol));
  const entering = new Set((await c.ledger.openOrders()).filter((r) => r.leg === 'entry').map((r) => r.symbol));
  for (const symbol of c.symbols) {
    c.check();
    if (positions.some((p) => p.symbol === symbol) || entering.has(symbol)) continue;
    const n = await orders.cancelLeftovers(symbol);
    if (n) note(c, 'leftover_cancelled', 'info', `${n} protective order(s) left on the exchange while flat: cancelled`, symbol);
  }
}
