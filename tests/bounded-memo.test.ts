import { BoundedMemo } from '../domain/memo';
import { midpoint } from '../domain/decimal';

describe('BoundedMemo', () => {
  it('computes a key once, null results included, and starts afresh past its limit', () => {
    const calls: string[] = [];
    const memo = new BoundedMemo<string, string | null>(2);
    const compute = (key: string) => {
      calls.push(key);
      return key === 'none' ? null : key.toUpperCase();
    };
    expect([memo.get('a', compute), memo.get('none', compute), memo.get('a', compute), memo.get('none', compute)]).toEqual(['A', null, 'A', null]);
    expect(calls).toEqual(['a', 'none']);
    // A third key finds the memo full: it is emptied, so 'a' is computed again afterwards.
    expect(memo.get('b', compute)).toBe('B');
    expect(memo.get('a', compute)).toBe('A');
    expect(calls).toEqual(['a', 'none', 'b', 'a']);
  });
});

describe('midpoint', () => {
  it('is (bid + ask) / 2 exactly, as big.js writes it', () => {
    expect(midpoint('0.47', '0.5')).toBe('0.485');
    expect(midpoint('0.001', '0.002')).toBe('0.0015');
    expect(midpoint('0.47', '0.5')).toBe('0.485');
  });
});
