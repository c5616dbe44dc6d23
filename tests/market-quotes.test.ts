import Big from 'big.js';
import { feePerShare, feeProblemOf, PerMarket } from '../actors/strategies/marketQuotes';
import { feePerShare as exactFeePerShare } from '../domain/fees';
import { btc15mMarket } from './flash-crash.support';

describe('strategy quotes: values kept per market id', () => {
  it('a new object of the same market with other fee terms gets its own fees; with the same terms, the kept ones', () => {
    const schedule = (rate: string) => ({ feesEnabled: true, feeSchedule: { rate, exponent: 1, takerOnly: true } });
    const first = btc15mMarket(schedule('0.07'));
    expect(feePerShare(first, '0.5')).toBe(exactFeePerShare(first, new Big('0.5')).toFixed());
    const dearer = btc15mMarket(schedule('0.1'));
    expect(feePerShare(dearer, '0.5')).toBe('0.025');
    expect(feePerShare(btc15mMarket(schedule('0.1')), '0.5')).toBe('0.025');
    const off = btc15mMarket({ feesEnabled: false });
    expect(feePerShare(off, '0.5')).toBe(exactFeePerShare(off, new Big('0.5')).toFixed());
    const broken = btc15mMarket({ feesEnabled: true, feeSchedule: null });
    expect(feeProblemOf(broken)).toMatch(/no feeSchedule/);
    expect(feePerShare(broken, '0.5')).toBeNull();
  });

  it('derives again only when the fields it reads differ, and answers right past its bound (where it starts again)', () => {
    let derived = 0;
    const slugs = new PerMarket((m) => (derived++, m.slug), (a, b) => a.slug === b.slug);
    expect(slugs.get(btc15mMarket({ slug: 'a' }))).toBe('a');
    expect(slugs.get(btc15mMarket({ slug: 'a', question: 'other words' }))).toBe('a');
    expect(derived).toBe(1);
    expect(slugs.get(btc15mMarket({ slug: 'b' }))).toBe('b');
    expect(derived).toBe(2);
    for (let i = 0; i < 5000; i++) slugs.get(btc15mMarket({ id: `m${i}`, slug: `s${i}` }));
    expect(slugs.get(btc15mMarket({ id: 'm4999', slug: 's4999' }))).toBe('s4999');
    expect(derived).toBe(5002);
  });
});
