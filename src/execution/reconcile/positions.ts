// Step 4: positions, the exchange being the truth. Guarantees a symbol's position is compared only on a consistent
// pair: the position is read, then the fills again; a fill that landed meanwhile is applied as a fill and the position
// read again (never imported as an orphan, nor corrected and then applied once more by the next poll).
import { dec, str } from '../../domain/decimal.js';
import type { ExPosition } from '../../exchange/types.js';
import type { OrderManager } from '../order-manager.js';
import { sameQty, samePrice } from '../reconcile-compare.js';
import { closeFromFills } from '../reconcile-exit.js';
import * as rl from '../reconcile-ledger.js';
import { audit, note, type Ctx } from './context.js';
import { applyFills } from './fills.js';

/** How many more times a symbol's position is read while fills keep arriving between reads (then it is compared). */
const STABLE_ROUNDS = 5;

export async function comparePositions(c: Ctx): Promise<void> {
  for (const symbol of c.symbols) {
    c.check();
    let ex: ExPosition | undefined;
    for (let round = 0; ; round++) {
      ex = (await c.gw.fetchPositions([symbol])).find((p) => p.symbol === symbol && dec(p.qty).gt(0));
      const before = c.fillsApplied;
      await applyFills(c, symbol);
      if (c.fillsApplied === before || round === STABLE_ROUNDS) break;
    }
    const db = await c.ledger.openPosition(symbol);
    if (ex && !db) {
      const openedAt = ex.updatedAt > 0 ? ex.updatedAt : c.now;
      const p = await rl.importPosition(c.pool, symbol, ex, openedAt, null, audit(c, 'orphan_position', 'held on the exchange, unknown to the DB: imported'));
      note(c, 'orphan_position', 'critical', `exchange holds ${ex.side} ${ex.qty} ${symbol} @ ${ex.entryPrice} unknown to the DB: imported as position ${p.id}`, symbol, { positionId: p.id });
    } else if (!ex && db) {
      const x = await closeFromFills(c.gw, c.ledger, db, c.now);
      await rl.closePosition(c.pool, db.id, x, audit(c, 'position_gone', `not on the exchange and no unseen fill closed it; exit from ${x.exitPrice === null ? 'no fill' : 'the fills'}`));
      note(c, 'position_gone', 'warning', `DB position ${db.id} (${db.side} ${str(db.qty)}) is not on the exchange: closed (${x.reason}${x.exitPrice ? ` @ ${x.exitPrice}` : ''}, pnl ${x.realizedPnl})`, symbol, { positionId: db.id, reason: x.reason });
    } else if (ex && db && (ex.side !== db.side || !sameQty(ex.qty, db.qty, qtyStep(c.orders, symbol)) || !samePrice(ex.entryPrice, db.entry_price))) {
      await rl.correctPosition(c.pool, db.id, ex, audit(c, 'position_mismatch', 'quantity, side or average price differs from the exchange'));
      note(c, 'position_mismatch', 'warning', `position ${db.id}: DB ${db.side} ${str(db.qty)} @ ${str(db.entry_price)}, exchange ${ex.side} ${ex.qty} @ ${ex.entryPrice}: DB corrected`, symbol, { positionId: db.id });
    }
  }
}

const qtyStep = (orders: OrderManager | null, symbol: string): string | undefined => {
  try {
    return orders?.market(symbol).qtyStep;
  } catch {
    return undefined;
  }
};
