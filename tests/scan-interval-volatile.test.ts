/**
 * `isVolatile` decides by doubles only where they are clearly apart from the threshold: its answer is
 * big.js's for volatilities at, just above and just below the threshold (beyond a double's precision),
 * far from it, and for zero.
 */
import Big from 'big.js';
import { isVolatile, type ScanIntervalContext } from '../machines/scanInterval';

const at = (volatilityExact: string, volatilityThreshold: number) =>
  ({ volatilityExact, params: { volatilityThreshold } }) as unknown as ScanIntervalContext;

describe('isVolatile', () => {
  const cases: [string, number][] = [
    ['0', 0.02], ['0.02', 0.02], ['0.0200000000000000000000001', 0.02], ['0.0199999999999999999999999', 0.02],
    ['0.020000000000000000416', 0.02], ['0.020000000000000000417', 0.02], ['0.02000000001', 0.02], ['0.01999999999', 0.02],
    ['0.5', 0.02], ['0.000001', 0.02], ['3', 2.5], ['2.5', 2.5], ['1e-30', 0], ['0.1', 0.1], ['0.10000000000000000555', 0.1], ['0.10000000000000000556', 0.1],
  ];
  it.each(cases)('%s against %d: as big.js says', (v, t) => {
    expect(isVolatile(at(v, t))).toBe(new Big(v).gt(t));
  });

  it('matches big.js on 20 000 seeded volatilities around 2 %', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let above = 0;
    for (let i = 0; i < 20_000; i++) {
      const digits = Math.floor(next() * 1e9).toString().padStart(9, '0');
      const v = i % 2 === 0 ? `0.0${digits}` : `0.0199999${digits}`;
      const expected = new Big(v).gt(0.02);
      if (expected) above++;
      expect(isVolatile(at(v, 0.02))).toBe(expected);
    }
    expect(above).toBeGreaterThan(1000);
  });
});
