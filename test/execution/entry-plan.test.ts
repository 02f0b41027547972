// The entry policy and the stop rules as pure functions: where the limit goes, when it is re-priced, when the market
// fallback is allowed, expiry and partial fills; trailing, breakeven and chandelier levels that only tighten.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entryStep, guardEntry, limitPrice, type EntryView } from '../../src/execution/policy/entry.js';
import { entryStop } from '../../src/execution/policy/protection.js';
import { stopMove, type ProtectionConfig } from '../../src/execution/policy/stops.js';
import type { Intent } from '../../src/protocol/index.js';

const T = 1_000_000;
const intent = (o: Partial<Intent> = {}): Intent => ({
  decisionId: 'd', symbol: 'BTC/USDT:USDT', side: 'long', entry: { reference: '30000', low: '29850', high: '30150' }, stopLoss: '29400',
  takeProfits: [{ price: '31200', fraction: 1 }], qty: '0.01', notional: '300', maxSlippage: 0.003, expiresAt: T + 60_000, confidence: 1, allowMarket: true, ...o,
});
const view = (o: Partial<EntryView> = {}): EntryView => ({
  intent: intent(), filled: '0', live: null, attempts: 0, mark: 30_000, now: T,
  market: { tickSize: '0.1', qtyStep: '0.001', minQty: '0.001', minNotional: '100' }, maxSlippage: 0.002,
  cfg: { chaseAfterMs: 10_000, maxReplacements: 2, maxChasePct: 0.002, marketFallback: true }, ...o,
});
const live = (price: string, placedAt = T - 20_000) => ({ clientId: 'c', type: 'limit' as const, price, placedAt });

test('the first limit joins the bid inside the zone; a short joins the offer; nothing beyond the stop', () => {
  assert.equal(entryStep(view()), { kind: 'place', price: '29999.9', qty: '0.01', attempt: 0 });
  assert.equal(entryStep(view({ intent: intent({ side: 'short', stopLoss: '30600' }) })), { kind: 'place', price: '30000.1', qty: '0.01', attempt: 0 });
  assert.is(String(limitPrice(view({ mark: 30_500 }))), '30060', 'capped at reference + maxChasePct (inside the zone)');
  assert.is(String(limitPrice(view({ mark: 29_000 }))), 'null', 'below the stop: no bid');
  assert.equal(entryStep(view({ mark: 29_000 })).kind, 'wait');
});

test("protection before exposure: no entry order goes out before the entry's stop works, none stays without it", () => {
  const place = entryStep(view());
  assert.is(guardEntry(place, 'none', false), 'place_stop', 'the stop first');
  assert.is(guardEntry(place, 'unknown', false), 'wait', 'a stop sent with no answer yet: wait, never a second one');
  assert.is(guardEntry(place, 'live', false), 'proceed');
  const market = { kind: 'market', qty: '0.01', attempt: 2 } as const;
  assert.is(guardEntry(market, 'none', true), 'place_stop', 'a market fallback too');
  const resting = entryStep(view({ live: live('29999.9', T - 5000), attempts: 1 }));
  assert.is(resting.kind, 'wait');
  assert.is(guardEntry(resting, 'none', true), 'cancel_entry', 'a working entry whose stop is gone is cancelled');
  assert.is(guardEntry(resting, 'live', true), 'proceed');
  assert.is(guardEntry({ kind: 'done', why: 'filled' }, 'none', false), 'proceed', 'the end of an entry needs no stop');
  assert.equal(entryStop(intent({ stopLoss: '29400.04' }), { tickSize: '0.1' }), {
    leg: 'sl', req: { symbol: 'BTC/USDT:USDT', side: 'sell', type: 'stop_market', stopPrice: '29400', closePosition: true, workingType: 'MARK_PRICE' },
  }, 'closePosition at the intent stop on the tick, on the mark');
});

test('chase: re-priced only after chaseAfterMs and only when the price moved away; bounded replacements', () => {
  assert.equal(entryStep(view({ live: live('29999.9', T - 5000), attempts: 1, mark: 30_030 })).kind, 'wait', 'too early');
  assert.equal(entryStep(view({ live: live('29999.9'), attempts: 1, mark: 29_995 })).kind, 'wait', 'price came to us: keep resting');
  assert.equal(entryStep(view({ live: live('29999.9'), attempts: 1, mark: 30_030 })), { kind: 'replace', price: '30029.9', qty: '0.01', attempt: 1 });
  assert.equal(entryStep(view({ live: live('30029.9'), attempts: 3, mark: 30_045 })), { kind: 'market', qty: '0.01', attempt: 3 }, 'replacements spent: market within slippage');
  assert.equal(entryStep(view({ live: live('30029.9'), attempts: 3, mark: 30_100 })).kind, 'wait', 'market slippage 0.33 % > 0.2 %: no market');
  assert.equal(entryStep(view({ live: live('30029.9'), attempts: 3, mark: 30_045, intent: intent({ allowMarket: false }) })).kind, 'wait', 'intent forbids market');
  assert.equal(entryStep(view({ live: live('30060'), attempts: 2, mark: 30_080, maxSlippage: 0.005 })), { kind: 'market', qty: '0.01', attempt: 2 }, 'at the chase bound: market');
});

test('partial fills: only the rest is ordered; a rest below the minimum ends the entry; expiry cancels', () => {
  assert.equal(entryStep(view({ filled: '0.004', attempts: 1, live: null })), { kind: 'place', price: '29999.9', qty: '0.006', attempt: 1 });
  assert.equal(entryStep(view({ filled: '0.0095', attempts: 1 })), { kind: 'done', why: 'filled' });
  assert.equal(entryStep(view({ filled: '0.0095', attempts: 1, live: live('29999.9') })), { kind: 'cancel', why: 'filled' });
  assert.equal(entryStep(view({ now: T + 60_000, live: live('29999.9'), attempts: 1 })), { kind: 'cancel', why: 'expired' });
  assert.equal(entryStep(view({ now: T + 60_000 })), { kind: 'done', why: 'expired' });
});

const cfg: ProtectionConfig = {
  trailing: { enabled: true, activationPct: 0.01, givebackPct: 0.25 }, breakeven: { enabled: true, triggerR: 1, offsetPct: 0.0005, afterFirstTarget: true },
  chandelier: { enabled: true, atrPeriod: 14, atrMult: 3 }, minMovePct: 0.001, maxHoldMs: 0, defaultStopPct: 0.02, defaultTakeProfitPct: 0.04,
};
const base = { side: 'long' as const, entry: '100', initialStop: '98', currentStop: '98', atr: null, cfg };

test('stop rules: breakeven at 1R, trailing after activation gives back 25 %, chandelier from the peak; only tighter', () => {
  assert.is(stopMove({ ...base, peak: 100.8, mark: 100.8 }), null, 'below 1R and activation: nothing');
  const be = stopMove({ ...base, peak: 102, mark: 102 })!;
  assert.equal([be.kind, be.rule, String(be.stop)], ['move', 'trailing', '101.5'], 'at +2 %: trailing (101.5) beats breakeven (100.05)');
  const be2 = stopMove({ ...base, cfg: { ...cfg, trailing: { ...cfg.trailing, enabled: false } }, peak: 102, mark: 102 })!;
  assert.equal([be2.rule, String(be2.stop)], ['breakeven', '100.05']);
  assert.is(stopMove({ ...base, currentStop: '101.5', peak: 102, mark: 101.8 }), null, 'never loosened, no churn');
  const ch = stopMove({ ...base, cfg: { ...cfg, trailing: { ...cfg.trailing, enabled: false }, breakeven: { ...cfg.breakeven, enabled: false } }, peak: 105, mark: 104, atr: 1 })!;
  assert.equal([ch.rule, String(ch.stop)], ['chandelier', '102']);
  const ex = stopMove({ ...base, peak: 104, mark: 102.5 })!;
  assert.equal([ex.kind, String(ex.stop)], ['exit', '103'], 'the mark already crossed the trail level: exit at market');
  const sh = stopMove({ ...base, side: 'short', entry: '100', initialStop: '102', currentStop: '102', peak: 98, mark: 98 })!;
  assert.equal([sh.kind, String(sh.stop)], ['move', '98.5'], 'mirrored for a short');
});

test.run();
