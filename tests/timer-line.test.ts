/**
 * A backtest's clock ticks are rendered straight into the log (events/timedLine.ts): each line must be
 * what `JSON.stringify` gives for the tick under the seq it is written with.
 */
import fc from 'fast-check';
import { renderedText } from '../events/bytes';
import { timerLine } from '../events/timedLine';
import { makeEvent } from '../events/types';

function stringified(ts: number, name: string, seq: number): string {
  const e = makeEvent('timer', ts, { name });
  e.seq = seq;
  return JSON.stringify(e);
}

describe('timerLine', () => {
  it('renders a tick as JSON.stringify does, at real times and seqs', () => {
    const ts = 1_723_161_256_000;
    expect(renderedText(timerLine(makeEvent('timer', ts, { name: 'tick' })), 1_000_042)).toBe(stringified(ts, 'tick', 1_000_042));
    expect(renderedText(timerLine(makeEvent('timer', 0, { name: 'due' })), 1)).toBe('{"v":1,"seq":1,"ts":0,"type":"timer","name":"due"}');
  });

  it('agrees with JSON.stringify for any safe time, seq and name (quotes, control and non-ASCII characters)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.string({ unit: 'binary' }), (ts, seq, name) => {
        expect(renderedText(timerLine(makeEvent('timer', ts, { name })), seq)).toBe(stringified(ts, name, seq));
      }),
      { numRuns: 2000, seed: 19 },
    );
  });

  it('refuses a time it cannot write as an integer', () => {
    expect(() => timerLine(makeEvent('timer', 1.5, { name: 'tick' }))).toThrow(/ts 1.5/);
    expect(() => timerLine(makeEvent('timer', -1, { name: 'tick' }))).toThrow(/ts -1/);
  });
});
