import Big from 'big.js';
import { midpoint, utcDay } from '../domain/decimal';

describe('utcDay (the last day kept)', () => {
  it('equals the ISO date of the time, across day, month, year and epoch boundaries, in any order', () => {
    const DAY = 86_400_000;
    const times: number[] = [];
    for (const base of [0, Date.UTC(2024, 1, 29), Date.UTC(2025, 11, 31), Date.UTC(1969, 11, 31), Date.UTC(2100, 0, 1)]) {
      for (const d of [-DAY - 1, -DAY, -1, 0, 1, 999, DAY - 1, DAY, DAY + 1]) times.push(base + d);
    }
    // Back and forth: a kept day must never answer for another.
    const order = [...times, ...[...times].reverse(), ...times.filter((_, i) => i % 3 === 0)];
    for (const ts of order) expect([ts, utcDay(ts)]).toEqual([ts, new Date(ts).toISOString().slice(0, 10)]);
  });

  it('throws on an invalid time, as before', () => {
    expect(() => utcDay(NaN)).toThrow(RangeError);
    expect(utcDay(0)).toBe('1970-01-01');
  });
});

describe('midpoint (kept by bid, then ask)', () => {
  it('is (bid + ask) / 2 as big.js writes it, for every pair of a tick grid and again from the memo', () => {
    const prices: string[] = [];
    for (let k = 1; k < 100; k++) prices.push(new Big(k).div(100).toString(), new Big(k).div(100).toFixed(3));
    prices.push('0.0005', '0.9995', '12.5');
    for (let round = 0; round < 2; round++) {
      for (const bid of prices) for (const ask of prices) {
        const want = new Big(bid).plus(ask).div(2).toString();
        const got = midpoint(bid, ask);
        if (got !== want) expect({ bid, ask, got }).toEqual({ bid, ask, got: want });
      }
    }
    expect(midpoint('0.49', '0.52')).toBe('0.505');
    expect(midpoint('0.490', '0.52')).toBe('0.505');
    expect(midpoint('0.5', '0.5')).toBe('0.5');
  });

  it('keeps answering right past its bound (started afresh)', () => {
    const exact = (bid: string) => new Big(bid).plus('0.9').div(2).toString();
    const bids: string[] = [];
    for (let i = 0; i < 70_000; i++) bids.push(`0.${String(i).padStart(6, '0')}`);
    for (const [i, bid] of bids.entries()) {
      const got = midpoint(bid, '0.9');
      if (i % 997 === 0 && got !== exact(bid)) expect({ bid, got }).toEqual({ bid, got: exact(bid) });
    }
    for (const bid of [...bids.slice(-100), ...bids.slice(0, 100)]) expect(midpoint(bid, '0.9')).toBe(exact(bid));
  });

  it('throws on a text that is not a number, as big.js does', () => {
    expect(() => midpoint('abc', '0.5')).toThrow();
  });
});
