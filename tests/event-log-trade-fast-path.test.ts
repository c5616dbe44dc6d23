/**
 * validateEvent checks the common tick-file line, a trade, in one allocation-free test before the
 * field-by-field path. The fast test must accept nothing the field-by-field path refuses, and must
 * accept the real trades (or it would be dead weight on the replay path).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { isValidTrade, validateEvent, validateEventFields, type Obj } from '../events/validate';
import { fileLines } from './support/binanceRecording';
import { mutatedSample, params } from './fuzz/support';

const TICKS = join(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
const trades = fileLines(TICKS)
  .map((line) => JSON.parse(line) as Obj)
  .filter((e) => e.type === 'trade')
  .slice(0, 500);
const where = { file: 'ticks.jsonl', line: 3 };

function fieldsAccept(obj: Obj): boolean {
  try {
    validateEventFields(obj, where);
    return true;
  } catch {
    return false;
  }
}

describe('the trade fast path of validateEvent', () => {
  it('takes every real trade of the repository tick file', () => {
    expect(trades.length).toBe(500);
    for (const t of trades) {
      expect(isValidTrade(t)).toBe(true);
      expect(validateEvent(t, where)).toBe(t);
    }
  });

  it('accepts a damaged trade only when the field-by-field check does, and then the error is the same', () => {
    fc.assert(
      fc.property(mutatedSample(trades), (obj) => {
        if (isValidTrade(obj)) expect(fieldsAccept(obj)).toBe(true);
        // Whichever path runs, validateEvent's outcome is the field-by-field outcome.
        let fast: unknown = null;
        let slow: unknown = null;
        try {
          validateEvent(obj, where);
        } catch (err) {
          fast = (err as Error).message;
        }
        try {
          validateEventFields(obj, where);
        } catch (err) {
          slow = (err as Error).message;
        }
        expect(fast).toEqual(slow);
      }),
      params(3000),
    );
  });

  it('accepts exactly the prices and quantities the field-by-field check accepts', () => {
    // Strings near the decimal grammar: digits (zero and not), dots, and a few characters that are not.
    const nearDecimal = fc.array(fc.constantFrom('0', '0', '1', '7', '9', '.', '.', '-', '+', 'e', ' ', '٣', '/', ':'), { maxLength: 9 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(nearDecimal, fc.boolean(), (s, asPrice) => {
        const obj = asPrice ? { ...trades[1], price: s } : { ...trades[1], qty: s };
        expect(isValidTrade(obj)).toBe(fieldsAccept(obj));
      }),
      params(5000),
    );
  });

  it('leaves edge cases of each field to the field-by-field path', () => {
    const t = trades[0];
    const cases: Obj[] = [
      { ...t, price: '0' },
      { ...t, qty: '0.000' },
      { ...t, price: '01.5' },
      { ...t, price: 61837.63 },
      { ...t, ts: -1 },
      { ...t, ts: String(t.ts) },
      { ...t, seq: 1.5 },
      { ...t, v: 2 },
      { ...t, tradeId: 2 ** 53 },
      { ...t, buyerMaker: 'true' },
      { ...t, symbol: null },
      // a valid decimal of over 300 characters: the long way, which also checks it is within a double's range
      { ...t, qty: `1${'0'.repeat(400)}` },
    ];
    for (const c of cases) expect(isValidTrade(c)).toBe(false);
    expect(() => validateEvent(cases[0], where)).toThrow("ticks.jsonl:3: field 'price': expected a positive decimal");
    expect(() => validateEvent(cases[11], where)).toThrow("ticks.jsonl:3: field 'qty': expected a decimal within a double's range");
  });
});
