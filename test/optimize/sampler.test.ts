// The samplers: deterministic for a seed, inside the space, and TPE doing what TPE is known to do — concentrating its
// proposals where the good trials were, and beating plain random search on a smooth objective for most seeds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomParams, sampleParams, splitHistory, trialRng, type Observation, type SamplerOptions } from '../../src/optimize/sampler.js';
import type { Space } from '../../src/optimize/space.js';

const tpe: SamplerOptions = { kind: 'tpe', startupTrials: 10, candidates: 24, gammaMax: 25, priorWeight: 1 };
const space: Space = {
  'a.x': { type: 'float', low: 0, high: 1 },
  'a.y': { type: 'log-float', low: 0.01, high: 10 },
  'a.n': { type: 'int', low: 5, high: 50, step: 5 },
  'a.c': { type: 'choice', values: ['p', 'q', 'r'] },
};
const f = (p: Observation['params']) => -(((p['a.x'] as number) - 0.7) ** 2) - (Math.log10(p['a.y'] as number) - 0) ** 2 / 4 - (((p['a.n'] as number) - 20) / 45) ** 2 - (p['a.c'] === 'q' ? 0 : 0.3);

function search(kind: 'tpe' | 'random', seed: number, trials: number): Observation[] {
  const h: Observation[] = [];
  for (let n = 0; n < trials; n++) {
    const p = sampleParams(space, h, trialRng(seed, n), { ...tpe, kind });
    h.push({ params: p, value: f(p) });
  }
  return h;
}

test('the same seed and history give the same parameters; another trial number another draw', () => {
  const h = search('tpe', 3, 30);
  assert.equal(sampleParams(space, h, trialRng(3, 30), tpe), sampleParams(space, h, trialRng(3, 30), tpe));
  assert.not.equal(randomParams(space, trialRng(3, 1)), randomParams(space, trialRng(3, 2)));
});

test('every proposal lies in the space: ints on their step, log-floats in range, choices from the list', () => {
  for (const o of search('tpe', 11, 60)) {
    const p = o.params;
    assert.ok((p['a.x'] as number) >= 0 && (p['a.x'] as number) <= 1);
    assert.ok((p['a.y'] as number) >= 0.01 && (p['a.y'] as number) <= 10);
    assert.ok(Number.isInteger(p['a.n']) && (p['a.n'] as number) % 5 === 0 && (p['a.n'] as number) >= 5 && (p['a.n'] as number) <= 50);
    assert.ok(['p', 'q', 'r'].includes(p['a.c'] as string));
  }
});

test('the good group is the best ⌈0.1 n⌉ completed trials; pruned ones are always bad', () => {
  const h: Observation[] = Array.from({ length: 30 }, (_, i) => ({ params: { 'a.x': i }, value: i % 7 === 0 ? null : i }));
  const { good, bad } = splitHistory(h, 25);
  // 25 completed → 3 good: values 29, 27, 26 (28 is a multiple of 7, pruned)
  assert.equal(good.map((g) => g.value), [26, 27, 29]);
  assert.is(bad.length, 27);
});

test('TPE concentrates on the good region: after the random start it proposes near the optimum far more than random', () => {
  const dist = (h: Observation[]) => h.slice(40).reduce((a, o) => a + Math.abs((o.params['a.x'] as number) - 0.7), 0) / (h.length - 40);
  const q = (h: Observation[]) => h.slice(40).filter((o) => o.params['a.c'] === 'q').length / (h.length - 40);
  const t = search('tpe', 5, 80);
  const r = search('random', 5, 80);
  assert.ok(dist(t) < dist(r) * 0.6, `TPE ${dist(t)} vs random ${dist(r)}`);
  assert.ok(q(t) > 0.6, `TPE chose the good category ${q(t)}`);
});

test('TPE beats random search on a smooth objective for most seeds at the same budget', () => {
  let wins = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const best = (h: Observation[]) => Math.max(...h.map((o) => o.value!));
    if (best(search('tpe', seed, 50)) > best(search('random', seed, 50))) wins++;
  }
  assert.ok(wins >= 7, `TPE better in ${wins}/10 seeds`);
});

test.run();
