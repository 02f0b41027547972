// Step 3: open exchange orders the DB does not know (placed by hand, or a DB restored from backup): adopted into the
// ledger or cancelled (reconciler.foreignOrders). Guarantees each is audited and reported once; none is left unknown.
import * as rl from '../reconcile-ledger.js';
import { audit, note, type Ctx } from './context.js';

export async function settleForeignOrders(c: Ctx): Promise<void> {
  const policy = c.opts.foreignOrders ?? 'cancel';
  for (const symbol of c.symbols) {
    c.check();
    const open = await c.gw.fetchOpenOrders(symbol);
    const known = await rl.knownClientIds(c.pool, open.map((o) => o.clientId));
    for (const o of open.filter((x) => !known.has(x.clientId)).sort((a, b) => a.clientId.localeCompare(b.clientId))) {
      c.check();
      const what = `${o.type} ${o.side} ${o.qty}${o.price ? ` @ ${o.price}` : ''}${o.stopPrice ? ` stop ${o.stopPrice}` : ''} (${o.clientId})`;
      if (policy === 'adopt') {
        if (await rl.adoptOrder(c.pool, o, audit(c, 'foreign_order', 'open on the exchange, unknown to the DB: adopted'))) {
          note(c, 'foreign_order', 'warning', `open order ${what} was unknown to the DB: adopted`, symbol, { clientId: o.clientId, action: 'adopt' });
        }
        continue;
      }
      const done = await c.gw.cancelOrder(symbol, o.clientId, o.conditional).catch(async (err: unknown) => {
        // It may have filled or been cancelled meanwhile: only an order still open is a failure.
        const after = await c.gw.fetchOrderByClientId(symbol, o.clientId);
        if (!after || after.status === 'new' || after.status === 'partially_filled') throw err;
        return after;
      });
      await rl.auditOnly(c.pool, symbol, `order:${o.clientId}`, { status: o.status, type: o.type, side: o.side, qty: o.qty }, { status: done.status }, audit(c, 'foreign_order', 'open on the exchange, unknown to the DB: cancelled'));
      note(c, 'foreign_order', 'warning', `open order ${what} was unknown to the DB: cancelled`, symbol, { clientId: o.clientId, action: 'cancel' });
    }
  }
}
