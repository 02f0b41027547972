// Exact decimal arithmetic for money and quantities (decimal.js), and rounding to exchange steps.
// Guarantees nothing is rounded implicitly: rounding happens only through the step functions here.
import { Decimal } from 'decimal.js';

export const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -30, toExpPos: 40 });
export type Dec = InstanceType<typeof D>;

export const dec = (v: string | number | Dec): Dec => new D(v);

/** Canonical string: no exponent, no trailing zeros. */
export const str = (v: Dec | string | number): string => {
  const s = new D(v).toFixed();
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
};

/** Rounds down to a multiple of `step` (quantities: never more than intended). */
export const floorToStep = (v: Dec | string | number, step: string): Dec => {
  const s = new D(step);
  return new D(v).div(s).floor().mul(s);
};

/** Rounds to the nearest multiple of `step` (prices). */
export const roundToStep = (v: Dec | string | number, step: string): Dec => {
  const s = new D(step);
  return new D(v).div(s).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).mul(s);
};

export const sum = (xs: Array<Dec | string>): Dec => xs.reduce<Dec>((a, x) => a.add(x), new D(0));
