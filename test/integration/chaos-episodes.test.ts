// The crash test's bare-time arithmetic on hand-made venue records (what positionEpisodes reads from GET /bosun/v1/state).
// Guarantees bare time counts from the first fill to a stop that closes all of the position, and every later gap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ExFill } from '../../src/exchange/types.js';
import type { SimOrder } from '../../src/exchange/sim/sim-types.js';
import { positionEpisodes, type VenueView } from '../helpers/chaos-checks.js';

const S = 'BTC/USDT:USDT';
let tid = 0;
const fill = (ts: number, side: 'buy' | 'sell', qty: string): ExFill => ({
  symbol: S, tradeId: String(++tid), clientId: 'x', exchangeOrderId: '1', side, qty, price: '30000', fee: '0', feeAsset: 'USDT', realizedPnl: '0', isMaker: false, ts,
});
const stop = (createdAt: number, side: 'buy' | 'sell', o: Partial<SimOrder> = {}): SimOrder => ({
  id: createdAt, book: 'algo', clientId: `s${createdAt}`, symbol: S, side, type: 'stop_market', status: 'new', algoStatus: 'NEW', qty: '0', filledQty: '0', avgPrice: null,
  cumQuote: '0', price: null, stopPrice: '1', timeInForce: 'GTC', reduceOnly: true, closePosition: true, workingType: 'MARK_PRICE', actualOrderId: null, parentAlgoId: null,
  createdAt, updatedAt: createdAt, triggeredAt: null, reason: null, ...o,
});
const view = (now: number, fills: ExFill[], orders: SimOrder[]): VenueView => ({ now, fills, orders, positions: [] });

test('a stop placed before the entry: no bare time, no uncovered fill, partial fills included', () => {
  const [e] = positionEpisodes(view(10_000, [fill(2000, 'buy', '0.1'), fill(2500, 'buy', '0.2'), fill(9000, 'sell', '0.3')], [stop(1000, 'sell')]));
  assert.equal([e!.side, e!.openedAt, e!.closedAt, e!.fills, e!.bareMs, e!.uncoveredFills], ['long', 2000, 9000, 3, 0, 0]);
});

test('a stop after the fill, then cancelled while the position is open: both gaps count, the longest is kept', () => {
  const s = stop(3000, 'sell', { status: 'cancelled', algoStatus: 'CANCELED', updatedAt: 5000 });
  const [e] = positionEpisodes(view(20_000, [fill(1000, 'buy', '1'), fill(8000, 'sell', '1')], [s]));
  assert.equal([e!.bareMs, e!.longestBareMs, e!.uncoveredFills], [2000 + 3000, 3000, 1]);
});

test('a reduce-only stop for less than the position does not cover it; a wrong-side stop never does; an open episode counts to now', () => {
  const small = stop(500, 'sell', { closePosition: false, qty: '1' });
  const wrong = stop(500, 'buy');
  const [e] = positionEpisodes(view(10_000, [fill(1000, 'buy', '1'), fill(4000, 'buy', '1')], [small, wrong]));
  assert.equal([e!.closedAt, e!.bareMs, e!.uncoveredFills], [null, 6000, 1], 'covered until it grew past the stop, bare from then to now');
});

test('a stop that triggers closes the episode (no bare time); a flip starts a new, short episode', () => {
  const trig = stop(500, 'sell', { status: 'filled', algoStatus: 'FINISHED', triggeredAt: 3000, updatedAt: 3000 });
  const eps = positionEpisodes(view(9000, [fill(1000, 'buy', '1'), fill(3000, 'sell', '1'), fill(5000, 'buy', '1'), fill(6000, 'sell', '2')], [trig, stop(6000, 'buy')]));
  assert.equal(eps.map((e) => [e.side, e.openedAt, e.closedAt, e.bareMs]), [['long', 1000, 3000, 0], ['long', 5000, 6000, 1000], ['short', 6000, null, 0]]);
});

test('a fill and a stop ending at the same venue moment: covered if the stop triggered (it found the position), not if it expired (flat)', () => {
  const trig = stop(500, 'sell', { status: 'filled', algoStatus: 'FINISHED', triggeredAt: 1000, updatedAt: 1000 });
  const [a] = positionEpisodes(view(5000, [fill(1000, 'buy', '1'), fill(1000, 'sell', '1')], [trig]));
  assert.equal([a!.uncoveredFills, a!.bareMs], [0, 0]);
  const expired = stop(500, 'sell', { status: 'expired', algoStatus: 'EXPIRED', updatedAt: 1000, reason: 'Reduce Only reject' });
  const [b] = positionEpisodes(view(5000, [fill(1000, 'buy', '1'), fill(3000, 'sell', '1')], [expired]));
  assert.equal([b!.uncoveredFills, b!.bareMs], [1, 2000]);
});

test.run();
