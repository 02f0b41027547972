import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CandleAggregator } from '../../src/market/aggregate.js';
import type { Candle } from '../../src/protocol/index.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const m = (i: number, o: number, h: number, l: number, c: number, v = 1): Candle => ({ symbol: 'X', tf: '1m', openTime: T0 + i * 60_000, open: o, high: h, low: l, close: c, volume: v, takerBuyVolume: v / 2, closed: true });

test('five 1m candles make one 5m candle: first open, max high, min low, last close, summed volume', () => {
  const a = new CandleAggregator(['5m', '15m']);
  const out: Candle[] = [];
  out.push(...a.push(m(0, 10, 12, 9, 11, 1)), ...a.push(m(1, 11, 15, 10, 14, 2)), ...a.push(m(2, 14, 14, 8, 9, 3)), ...a.push(m(3, 9, 10, 9, 10, 4)));
  assert.equal(out, []);
  out.push(...a.push(m(4, 10, 11, 10, 10.5, 5)));
  assert.equal(out, [{ symbol: 'X', tf: '5m', openTime: T0, open: 10, high: 15, low: 8, close: 10.5, volume: 15, takerBuyVolume: 7.5, closed: true }]);
  assert.is(a.current('X', '15m')!.volume, 15);
});

test('15m closes on its last minute; a gap closes an unfinished bucket without merging; replays are ignored', () => {
  const a = new CandleAggregator(['5m', '15m']);
  const closed: Candle[] = [];
  for (let i = 0; i < 15; i++) closed.push(...a.push(m(i, 1, 2, 0.5, 1.5)));
  assert.equal(closed.map((c) => c.tf), ['5m', '5m', '5m', '15m']);
  assert.equal(a.push(m(3, 1, 2, 0.5, 1.5)), []);
  const g = a.push(m(15, 1, 2, 0.5, 1.5)).concat(a.push(m(22, 3, 4, 2, 3)));
  assert.equal(g.map((c) => [c.tf, c.openTime]), [['5m', T0 + 15 * 60_000]]);
  assert.is(a.current('X', '5m')!.openTime, T0 + 20 * 60_000);
});

test.run();
