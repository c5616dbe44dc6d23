import fc from 'fast-check';
import { decimalNumber } from '../streams/decimalNumber';
import { fileLines } from './support/binanceRecording';
import { join } from 'node:path';

const TICKS = join(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

describe('decimalNumber', () => {
  it('is Number() on every price and quantity of the repository tick file', () => {
    const trades = fileLines(TICKS).map((l) => JSON.parse(l) as { type: string; price: string; qty: string }).filter((e) => e.type === 'trade');
    expect(trades.length).toBeGreaterThan(1000);
    for (const t of trades) {
      expect(Object.is(decimalNumber(t.price), Number(t.price))).toBe(true);
      expect(Object.is(decimalNumber(t.qty), Number(t.qty))).toBe(true);
    }
  });

  it('is Number() on decimals of up to 17 digits, at every position of the point', () => {
    const decimal = fc.tuple(fc.stringMatching(/^[0-9]{1,17}$/), fc.nat(17)).map(([digits, at]) => {
      const cut = at % (digits.length + 1);
      return cut === 0 || cut === digits.length ? digits : `${digits.slice(0, cut)}.${digits.slice(cut)}`;
    });
    fc.assert(fc.property(decimal, (s) => Object.is(decimalNumber(s), Number(s))), { numRuns: 20000 });
  });

  it('is Number() on strings that are not plain decimals', () => {
    const near = fc.array(fc.constantFrom('0', '1', '9', '.', '-', '+', 'e', 'E', ' ', 'x', '_', '٣'), { maxLength: 8 }).map((cs) => cs.join(''));
    fc.assert(fc.property(fc.oneof(near, fc.string()), (s) => Object.is(decimalNumber(s), Number(s))), { numRuns: 20000 });
    for (const s of ['', '.', '1.', '.5', '00.5', '1e3', '0x10', '-0', '1.2.3', ' 7', '9007199254740993', '0.1000000000000000055511151231257827']) {
      expect(Object.is(decimalNumber(s), Number(s))).toBe(true);
    }
  });
});
