import type { Snapshot } from 'xstate';
import { PersistedState, type PersistedInstance } from '../actors/strategies/persistedState';

const instance = (n: number): PersistedInstance => ({ input: { n }, snapshot: { status: 'active', output: undefined, error: undefined, n } as unknown as Snapshot<unknown> });

/** The plain record the same changes give (what persist() returned before: Object.fromEntries of a Map kept in step). */
function expected(steps: [string, PersistedInstance | null][][]): Record<string, PersistedInstance> {
  const m = new Map<string, PersistedInstance>();
  for (const step of steps) for (const [k, v] of step) (v === null ? m.delete(k) : m.set(k, v));
  return Object.fromEntries(m);
}

describe('PersistedState: a keyed strategy persisted as changes on the previous result', () => {
  it('reads as the record of every change so far, in first-persisted order, across many folds, and never changes once returned', () => {
    const steps: [string, PersistedInstance | null][][] = [];
    const results: { state: PersistedState<never>; json: string }[] = [];
    let state: PersistedState<never> | null = null;
    for (let i = 0; i < 300; i++) {
      // Updates, an instance that ends (null) every 7th step and comes back later, a new key every 11th.
      const step: [string, PersistedInstance | null][] = [[`k${i % 5}`, instance(i)]];
      if (i % 7 === 3) step.push([`k${(i + 2) % 5}`, null]);
      if (i % 11 === 0) step.push([`new${i}`, instance(i)]);
      steps.push(step);
      state = PersistedState.next(state, {}, { [`k${i % 5}`]: i }, new Map(step));
      if (i % 13 === 0) results.push({ state, json: JSON.stringify(state) });
      expect(Object.keys(state.actors)).toEqual(Object.keys(expected(steps)));
      expect(state.actors).toEqual(expected(steps));
    }
    for (const r of results) expect(JSON.stringify(r.state)).toBe(r.json);
    expect(JSON.parse(JSON.stringify(state)).counters).toEqual({ k4: 299 });
  });
});
