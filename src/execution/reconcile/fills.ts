// Step 1: fills the DB has not seen (stream down, process dead), applied in trade order: positions rebuild from them.
// Guarantees each exchange fill reaches the ledger once (by trade id) and advances the symbol's watermark.
import { fillWatermark } from '../../store/repos/reconcile.js';
import { intentProtection } from '../reconcile-ledger.js';
import type { Ledger } from '../ledger.js';
import { note, type Ctx } from './context.js';

/** How far back to look for fills before the last point known complete (clock skew, same-ms fills). */
export const FILL_OVERLAP_MS = 60_000;
/** A DB that has never stored a fill of a symbol looks back this far (the exchange keeps a limited history anyway). */
const FRESH_LOOKBACK_MS = 24 * 3_600_000;

export async function applyFills(c: Ctx, symbol: string): Promise<void> {
  const since = await fillsSince(c.ledger, symbol, c.now);
  const fills = (await c.gw.fetchFills(symbol, since)).sort((a, b) => a.ts - b.ts || Number(a.tradeId) - Number(b.tradeId));
  for (const f of fills) {
    c.check();
    const order = f.clientId ? await c.ledger.order(f.clientId) : null;
    const open = order?.leg === 'entry' ? await intentProtection(c.pool, order.decision_id) : undefined;
    const r = await c.ledger.recordFill(f, open, f.clientId?.startsWith('autoclose') ? 'liquidation' : 'external');
    if (r.kind === 'duplicate') continue;
    c.fillsApplied++;
    note(c, 'missed_fill', 'warning', `fill ${f.tradeId} (${f.side} ${f.qty} @ ${f.price}) was missing from the DB; applied (${r.kind})`, symbol, { tradeId: f.tradeId, clientId: f.clientId });
  }
  c.watermarks.set(symbol, Math.max(c.watermarks.get(symbol) ?? 0, c.now - FILL_OVERLAP_MS, ...fills.map((f) => f.ts)));
}

/** Where to fetch fills from: the point known complete, else the first stored fill, else a day back; minus overlap. */
async function fillsSince(ledger: Ledger, symbol: string, now: number): Promise<number> {
  const wm = await fillWatermark(ledger.db, symbol);
  if (wm !== null) return Math.max(0, wm - FILL_OVERLAP_MS);
  const first = (await ledger.db.query<Array<{ t: number | null }>>('SELECT MIN(ts) AS t FROM fills WHERE symbol = ?', [symbol]))[0]?.t;
  return Math.max(0, (first === null || first === undefined ? now - FRESH_LOOKBACK_MS : Number(first)) - FILL_OVERLAP_MS);
}
