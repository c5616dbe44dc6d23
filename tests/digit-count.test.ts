/**
 * `digitCount` and `putDigits` (events/bytes.ts), the one rule for an integer's text in the lines the log
 * renders: the same as `String(n)` at every power of ten and either side of it, up to 2^53 - 1.
 */
import { digitCount, putDigits } from '../events/bytes';
import { integerLength } from '../events/tradeTemplate';

const values: number[] = [0, 1, 9, 2 ** 31 - 1, 2 ** 31, Number.MAX_SAFE_INTEGER, 1723161255000, 3_456_789_012];
for (let p = 10; p <= 1e15; p *= 10) values.push(p - 1, p, p + 1);

describe('digitCount and putDigits', () => {
  it.each(values)('%d: as String(n)', (n) => {
    expect(digitCount(n)).toBe(String(n).length);
    expect(integerLength(n)).toBe(String(n).length);
    const buf = Buffer.alloc(32);
    expect(buf.toString('latin1', 0, putDigits(buf, 0, n))).toBe(String(n));
  });

  it('counts a negative integer\'s sign in its length', () => {
    expect(integerLength(-42)).toBe(3);
  });
});
