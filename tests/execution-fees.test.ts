import Big from 'big.js';
import { feeInShares, feeScheduleProblem, fillFee, takerFee, unroundedFee } from '../domain/fees';
import { crypto7, marketInfo } from './support/execution';

const b = (s: string) => new Big(s);

describe('taker fee from the market schedule', () => {
  it('is zero when the market has fees disabled, whatever the schedule says', () => {
    const m = marketInfo({ feesEnabled: false, feeSchedule: { rate: '0.07', exponent: 1, takerOnly: true } });
    expect(takerFee(m, b('100'), b('0.5')).toFixed()).toBe('0');
  });

  it('is shares x rate x p x (1 - p) for exponent 1', () => {
    const m = marketInfo(crypto7);
    // 100 x 0.07 x 0.5 x 0.5
    expect(takerFee(m, b('100'), b('0.5')).toFixed()).toBe('1.75');
    // 10 x 0.07 x 0.65 x 0.35 = 0.15925
    expect(takerFee(m, b('10'), b('0.65')).toFixed()).toBe('0.15925');
    // symmetric in p and 1 - p
    expect(takerFee(m, b('10'), b('0.35')).toFixed()).toBe('0.15925');
  });

  it('raises p x (1 - p) to the schedule exponent', () => {
    const m = marketInfo({ feesEnabled: true, feeSchedule: { rate: '0.25', exponent: 2, takerOnly: true } });
    // 100 x 0.25 x (0.25)^2 = 1.5625
    expect(takerFee(m, b('100'), b('0.5')).toFixed()).toBe('1.5625');
    // 10 x 0.25 x (0.2 x 0.8)^2 = 10 x 0.25 x 0.0256 = 0.064
    expect(takerFee(m, b('10'), b('0.2')).toFixed()).toBe('0.064');
  });

  it('floors to 5 decimals', () => {
    const m = marketInfo(crypto7);
    // 3 x 0.07 x 0.33 x 0.67 = 0.046431 -> 0.04643
    expect(unroundedFee(m, b('3'), b('0.33')).toFixed()).toBe('0.046431');
    expect(takerFee(m, b('3'), b('0.33')).toFixed()).toBe('0.04643');
    // 7 x 0.07 x 0.01 x 0.99 = 0.004851 -> 0.00485 (never rounded up)
    expect(takerFee(m, b('7'), b('0.01')).toFixed()).toBe('0.00485');
  });

  it('sums the levels of one fill before rounding', () => {
    const m = marketInfo({ feesEnabled: true, feeSchedule: { rate: '0.01', exponent: 1, takerOnly: true } });
    // each 0.002 x 0.01 x 0.25 = 0.000005, which alone floors to 0
    expect(takerFee(m, b('0.002'), b('0.5')).toFixed()).toBe('0');
    expect(fillFee(m, [{ price: b('0.5'), size: b('0.002') }, { price: b('0.5'), size: b('0.002') }]).toFixed()).toBe('0.00001');
  });

  it('charges makers nothing when the schedule is taker-only, and the taker formula when it is not', () => {
    const takerOnly = marketInfo(crypto7);
    expect(fillFee(takerOnly, [{ price: b('0.5'), size: b('100') }], 'maker').toFixed()).toBe('0');
    const both = marketInfo({ feesEnabled: true, feeSchedule: { rate: '0.07', exponent: 1, takerOnly: false } });
    expect(fillFee(both, [{ price: b('0.5'), size: b('100') }], 'maker').toFixed()).toBe('1.75');
  });

  it('refuses to guess when fees are enabled without a usable schedule', () => {
    const none = marketInfo({ feesEnabled: true, feeSchedule: null });
    expect(feeScheduleProblem(none)).toMatch(/no feeSchedule/);
    expect(() => takerFee(none, b('1'), b('0.5'))).toThrow(/no feeSchedule/);
    const fractional = marketInfo({ feesEnabled: true, feeSchedule: { rate: '0.07', exponent: 1.5, takerOnly: true } });
    expect(feeScheduleProblem(fractional)).toMatch(/exponent 1.5/);
    const badRate = marketInfo({ feesEnabled: true, feeSchedule: { rate: '7e-2', exponent: 1, takerOnly: true } });
    expect(feeScheduleProblem(badRate)).toMatch(/rate/);
    expect(feeScheduleProblem(marketInfo(crypto7))).toBeNull();
  });

  it('converts a buy fee into the shares withheld at the fill price', () => {
    // 0.15925 / 0.65 = 0.245 exactly
    expect(feeInShares(b('0.15925'), b('0.65')).toFixed()).toBe('0.245');
    // 0.1 / 0.3 = 0.3333... -> 6 decimals
    expect(feeInShares(b('0.1'), b('0.3')).toFixed()).toBe('0.333333');
    // 0.2 / 0.3 = 0.6666... -> rounded half-up
    expect(feeInShares(b('0.2'), b('0.3')).toFixed()).toBe('0.666667');
    expect(feeInShares(b('0'), b('0.3')).toFixed()).toBe('0');
  });
});
