// The Deflated Sharpe Ratio against the numerical example of Bailey & López de Prado (2014), and the normal helpers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflatedSharpe, expectedMaxSharpe, moments, normCdf, normPpf, probabilisticSharpe } from '../../src/optimize/stats.js';

const near = (a: number, b: number, eps: number, what: string) => assert.ok(Math.abs(a - b) <= eps, `${what}: ${a} vs ${b}`);

test('normal CDF and quantile', () => {
  near(normCdf(0), 0.5, 2e-7, 'Φ(0)');
  near(normCdf(1.959963985), 0.975, 2e-7, 'Φ(1.96)');
  near(normPpf(0.975), 1.959963985, 1e-7, 'Φ⁻¹(0.975)');
  near(normPpf(0.01), -2.326347874, 1e-7, 'Φ⁻¹(0.01)');
  for (const p of [1e-6, 0.02, 0.3, 0.5, 0.77, 0.999]) near(normCdf(normPpf(p)), p, 2e-7 * Math.max(1, p * 10), `Φ(Φ⁻¹(${p}))`);
});

test('moments: skewness and (non-excess) kurtosis of a small sample by hand', () => {
  const m = moments([1, 2, 3, 10]);
  // mean 4; deviations −3 −2 −1 6; m2 = 50/4, m3 = (−27 −8 −1 +216)/4 = 45, m4 = (81+16+1+1296)/4 = 348.5
  near(m.mean, 4, 1e-12, 'mean');
  near(m.sd, Math.sqrt(50 / 3), 1e-12, 'sd');
  near(m.skew, 45 / 12.5 ** 1.5, 1e-12, 'skew');
  near(m.kurt, 348.5 / 12.5 ** 2, 1e-12, 'kurt');
});

test('DSR: the paper\'s numerical example (N = 100, V[SR] = 1/2 annualised, SR 2.5 annualised, T = 1250 days, γ3 = −3, γ4 = 10)', () => {
  // Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", numerical example: E[max SR] ≈ 0.1132 per day
  // (≈ 1.79 annualised) and DSR ≈ 0.9004 — the 2.5 Sharpe is significant at 90 % but not at 95 %.
  const perDay = (x: number) => x / Math.sqrt(250);
  const sr0 = expectedMaxSharpe(100, 0.5 / 250);
  near(sr0, 0.1132, 5e-5, 'SR0 per day');
  near(sr0 * Math.sqrt(250), 1.7896, 5e-4, 'SR0 annualised');
  const d = deflatedSharpe({ sr: perDay(2.5), n: 1250, skew: -3, kurt: 10, trials: 100, variance: 0.5 / 250 });
  near(d.dsr, 0.9004, 5e-4, 'DSR');
  assert.ok(d.dsr < 0.95);
});

test('DSR falls as trials grow and as the Sharpes of the trials spread', () => {
  const base = { sr: 0.1, n: 1000, skew: 0, kurt: 3 };
  const a = deflatedSharpe({ ...base, trials: 10, variance: 0.001 }).dsr;
  const b = deflatedSharpe({ ...base, trials: 1000, variance: 0.001 }).dsr;
  const c = deflatedSharpe({ ...base, trials: 1000, variance: 0.004 }).dsr;
  assert.ok(a > b && b > c, `${a} > ${b} > ${c}`);
  // One trial: no deflation, DSR is the PSR against 0.
  near(deflatedSharpe({ ...base, trials: 1, variance: 0.001 }).dsr, probabilisticSharpe(0.1, 0, 1000, 0, 3), 1e-12, 'N = 1');
});

test('PSR: normal returns, the textbook z = SR √(T−1) / √(1 + SR²/2)', () => {
  const sr = 0.05;
  near(probabilisticSharpe(sr, 0, 500, 0, 3), normCdf((sr * Math.sqrt(499)) / Math.sqrt(1 + sr * sr / 2)), 1e-12, 'PSR');
});

test.run();
