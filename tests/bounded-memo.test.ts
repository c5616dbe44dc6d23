import { BoundedMemo, BoundedPairMemo } from '../domain/memo';
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

describe('BoundedPairMemo', () => {
  it('computes a pair once, by first then second key, and starts afresh past its limit', () => {
    const calls: string[] = [];
    const memo = new BoundedPairMemo<string, string, string | null>(3);
    const compute = (a: string, b: string) => {
      calls.push(`${a},${b}`);
      return a === b ? null : a + b;
    };
    expect([memo.get('a', 'b', compute), memo.get('b', 'a', compute), memo.get('a', 'a', compute)]).toEqual(['ab', 'ba', null]);
    // Pairs are ordered, and a null result is kept like any other.
    expect([memo.get('a', 'b', compute), memo.get('b', 'a', compute), memo.get('a', 'a', compute)]).toEqual(['ab', 'ba', null]);
    expect(calls).toEqual(['a,b', 'b,a', 'a,a']);
    // A fourth pair finds the memo full: it is emptied, so the first pair is computed again afterwards.
    expect(memo.get('c', 'd', compute)).toBe('cd');
    expect(memo.get('a', 'b', compute)).toBe('ab');
    expect(calls).toEqual(['a,b', 'b,a', 'a,a', 'c,d', 'a,b']);
  });
});

describe('midpoint', () => {
  it('is (bid + ask) / 2 exactly, as big.js writes it', () => {
    expect(midpoint('0.47', '0.5')).toBe('0.485');
    expect(midpoint('0.001', '0.002')).toBe('0.0015');
    expect(midpoint('0.47', '0.5')).toBe('0.485');
  });
});
