import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';

/**
 * The snapshot after `event` when the event moves the machine nowhere: XState selects (with the
 * machine's own guards) only transitions without a target whose actions are all `assign`s, and
 * afterwards no eventless (`always`) transition of the active states is enabled. The result is then
 * what XState's interpreter gives (same state, the context the same `assign`s compute, nothing
 * emitted or raised) without running the interpreter: most events a strategy machine hears (a price
 * that slides a window, a quote stored while watching, an unconfirmed signal counted) are of this
 * kind, and the interpreter's step costs ten times the work. Anything else returns null: the caller
 * then takes XState's own step from the same snapshot. The machine stays the one definition (nothing
 * here names a state, an event or a guard of it); tests/quiet-step.test.ts checks the result against
 * XState's on every machine event of whole backtests.
 */
export function quietStep(snapshot: AnyMachineSnapshot, event: EventObject): AnyMachineSnapshot | null {
  const machine = snapshot.machine as AnyStateMachine;
  const transitions = machine.getTransitionData(snapshot as never, event);
  let context = snapshot.context as Record<string, unknown>;
  for (const transition of transitions) {
    if (transition.target !== undefined && transition.target.length > 0) return null;
    for (const action of transition.actions) {
      const update = assignUpdate(machine, action, context, event);
      if (update === null) return null;
      context = Object.assign({}, context, update);
    }
  }
  const next = context === snapshot.context ? snapshot : ({ ...snapshot, context } as AnyMachineSnapshot);
  return anyEventlessEnabled(next, event) ? null : next;
}

/** The partial context an `assign` action computes (as XState's resolveAssign), or null for any other action. */
function assignUpdate(machine: AnyStateMachine, action: unknown, context: Record<string, unknown>, event: EventObject): Record<string, unknown> | null {
  if (typeof action === 'object' && action !== null && 'params' in action) return null;
  const name = typeof action === 'string' ? action : typeof action === 'object' && action !== null ? (action as { type: string }).type : null;
  const resolved = (name === null ? action : (machine.implementations.actions as Record<string, unknown>)[name]) as { type?: string; assignment?: unknown } | undefined;
  if (resolved === undefined || resolved.type !== 'xstate.assign') return null;
  const args = { context, event };
  const { assignment } = resolved;
  if (typeof assignment === 'function') return assignment(args, undefined) as Record<string, unknown>;
  const update: Record<string, unknown> = {};
  for (const key of Object.keys(assignment as object)) {
    const value = (assignment as Record<string, unknown>)[key];
    update[key] = typeof value === 'function' ? value(args, undefined) : value;
  }
  return update;
}

interface StateNodeView {
  type: string;
  parent?: StateNodeView;
  always?: { guard?: unknown }[];
}

/** Whether XState would take an eventless transition from `snapshot` (its selectEventlessTransitions, in the same order). */
function anyEventlessEnabled(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  for (const node of (snapshot as unknown as { _nodes: StateNodeView[] })._nodes) {
    if (node.type !== 'atomic' && node.type !== 'final') continue;
    for (let s: StateNodeView | undefined = node; s !== undefined; s = s.parent) {
      if (!s.always) continue;
      for (const transition of s.always) if (transition.guard === undefined || guardHolds(transition.guard, snapshot, event)) return true;
    }
  }
  return false;
}

type GuardImpl = ((args: { context: unknown; event: EventObject }, params: undefined) => boolean) & { check?: (snapshot: AnyMachineSnapshot, args: { context: unknown; event: EventObject }, guard: unknown) => boolean };

/** XState's evaluateGuard for guards without params: a named, inline or built-in (`and`, `not`) guard. */
function guardHolds(guard: unknown, snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  // Guards with params are not used by the strategy machines: counted as enabled, the caller then takes XState's step.
  if (typeof guard === 'object' && guard !== null && 'params' in guard) return true;
  const machine = snapshot.machine as AnyStateMachine;
  const resolved = (typeof guard === 'function' ? guard : (machine.implementations.guards as Record<string, unknown>)[typeof guard === 'string' ? guard : (guard as { type: string }).type]) as GuardImpl | string | undefined;
  if (resolved === undefined) throw new Error(`Guard '${String(guard)}' is not implemented.`);
  if (typeof resolved !== 'function') return guardHolds(resolved, snapshot, event);
  const args = { context: snapshot.context, event };
  return resolved.check !== undefined ? resolved.check(snapshot, args, resolved) : resolved(args, undefined);
}
