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

  it('folds on its own as results pile up unread (more instances than links), and reads the same as the plain record', () => {
    const steps: [string, PersistedInstance | null][][] = [];
    let state: PersistedState<never> | null = null;
    const kept: { state: PersistedState<never>; expected: Record<string, PersistedInstance> }[] = [];
    // 500 instances first, then 3000 single changes (an end every 17th): the chain folds by itself several times.
    steps.push(Array.from({ length: 500 }, (_, k): [string, PersistedInstance] => [`k${k}`, instance(k)]));
    state = PersistedState.next(state, {}, {}, new Map(steps[0]));
    for (let i = 0; i < 3000; i++) {
      const step: [string, PersistedInstance | null][] = [[`k${(i * 7) % 500}`, i % 17 === 0 ? null : instance(1000 + i)]];
      steps.push(step);
      state = PersistedState.next(state, {}, {}, new Map(step));
      if (i % 997 === 0) kept.push({ state, expected: expected(steps) });
    }
    expect(Object.keys(state.actors)).toEqual(Object.keys(expected(steps)));
    expect(state.actors).toEqual(expected(steps));
    for (const k of kept) expect(k.state.actors).toEqual(k.expected);
  });
});
