/**
 * A pure planning function that remembers its last call: asked again with the same arguments
 * (compared with ===), it returns the result it computed instead of computing it again.
 *
 * Why: XState guards cannot hand what they computed to the actions of their transition. A machine's
 * guard ("is there a plan?") and the action after it ("carry the plan out") call one remembered
 * planning function, so the plan is computed once. The arguments are immutable values (a machine's
 * context and the events it is sent are never changed in place), so a remembered result is the one
 * a new call would give; one entry per function is enough, as the action follows its guard at once.
 */
export function computedOnce<A extends readonly unknown[], R>(plan: (...args: A) => R): (...args: A) => R {
  let lastArgs: A | null = null;
  let lastResult: R | undefined;
  return (...args: A): R => {
    if (lastArgs !== null && sameArgs(lastArgs, args)) return lastResult as R;
    lastResult = plan(...args);
    lastArgs = args;
    return lastResult;
  };
}

function sameArgs(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
