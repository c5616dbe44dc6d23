import { computedOnce } from '../machines/computedOnce';

describe('computedOnce (a guard and the action after it share one plan)', () => {
  it('computes once for the same arguments, again for any other, and remembers only the last call', () => {
    const calls: string[] = [];
    const plan = computedOnce((quote: { ask: string }, ts: number) => {
      calls.push(`${quote.ask}@${ts}`);
      return { ok: Number(quote.ask) < 0.5, ts };
    });
    const q1 = { ask: '0.4' };
    const first = plan(q1, 1);
    expect(plan(q1, 1)).toBe(first); // the action after the guard: the same result object, not recomputed
    expect(calls).toEqual(['0.4@1']);
    expect(plan(q1, 2)).toEqual({ ok: true, ts: 2 });
    expect(plan({ ask: '0.4' }, 2)).toEqual({ ok: true, ts: 2 }); // an equal but different quote is another input
    expect(plan(q1, 1)).toEqual(first); // an older call is computed again
    expect(calls).toEqual(['0.4@1', '0.4@2', '0.4@2', '0.4@1']);
  });
});
