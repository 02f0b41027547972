// PBO by CSCV (Bailey, Borwein, López de Prado & Zhu 2015): the split count the paper states, a case worked by hand,
// and the two ends the paper describes (a config with real skill among noise: ~0; rankings that invert out of sample: 1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextGaussian, seedRng } from '../../src/market/rng.js';
import { cscvPbo } from '../../src/optimize/pbo.js';

test('S = 16 partitions give C(16, 8) = 12,870 splits, as in the paper', () => {
  const rng = seedRng(1);
  const cols = Array.from({ length: 3 }, () => Array.from({ length: 64 }, () => nextGaussian(rng)));
  const r = cscvPbo(cols, 16);
  assert.is(r.combinations, 12870);
  assert.is(r.blockSize, 4);
});

test('worked by hand: S = 2, three trials whose rankings invert between the halves', () => {
  // Sharpe per half (mean / sample sd): A 1.414 | 0.707, B 0.707 | 2.121, C 0 | 3.536.
  const A = [1, 3, 0, 2];
  const B = [0, 1, 2, 4];
  const C = [-1, 1, 1, 1.5];
  const r = cscvPbo([A, B, C], 2);
  // IS = first half → A is best, and the worst of three in the second half: ω = 1/4, λ = ln(1/3).
  // IS = second half → C is best, and the worst in the first: ω = 1/4 again.
  assert.is(r.combinations, 2);
  assert.equal(r.logits.map((l) => +l.toFixed(6)), [+Math.log(1 / 3).toFixed(6), +Math.log(1 / 3).toFixed(6)]);
  assert.is(r.pbo, 1);
  assert.is(r.probOosLoss, 0);
});

test('worked by hand: rankings that persist give λ = ln 3 on both splits and PBO 0', () => {
  const A = [1, 3, 1, 2.9]; // best in both halves
  const B = [0, 1, 0, 1.1];
  const C = [-1, 1, -1, 1];
  const r = cscvPbo([A, B, C], 2);
  assert.equal(r.logits.map((l) => +l.toFixed(6)), [+Math.log(3).toFixed(6), +Math.log(3).toFixed(6)]);
  assert.is(r.pbo, 0);
});

test('one config with real skill among noise configs: PBO near 0', () => {
  const rng = seedRng(7);
  const T = 1600;
  const cols = Array.from({ length: 40 }, (_, n) => Array.from({ length: T }, () => nextGaussian(rng) + (n === 0 ? 0.25 : 0)));
  const r = cscvPbo(cols, 16);
  assert.ok(r.pbo < 0.02, `pbo ${r.pbo}`);
  assert.ok(r.degradationSlope !== null);
});

test('configs that are each lucky in a different half: the in-sample best is always worst out of sample (PBO 1)', () => {
  // Trial k earns in partition k only and loses a little elsewhere: whichever wins in sample holds no edge after.
  const S = 8;
  const size = 10;
  const cols = Array.from({ length: S }, (_, k) => Array.from({ length: S * size }, (_, t) => (Math.floor(t / size) === k ? 1 + (t % 2) * 0.5 : -0.1 - (t % 2) * 0.05)));
  const r = cscvPbo(cols, S);
  assert.is(r.combinations, 70);
  assert.ok(r.pbo > 0.9, `pbo ${r.pbo}`);
});

test('refuses an odd partition count and too few observations', () => {
  assert.throws(() => cscvPbo([[1, 2, 3, 4], [1, 2, 3, 4]], 3), /even/);
  assert.throws(() => cscvPbo([[1, 2, 3], [1, 2, 3]], 2), /cannot fill/);
});

test.run();
