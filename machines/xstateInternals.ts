import type { AnyMachineSnapshot } from 'xstate';

/**
 * The XState internals `quietStep` (machines/quietStep.ts) reads, named here and nowhere else, as the
 * pinned xstate version has them (node_modules/xstate/dist/raise-*.cjs.js and StateMachine-*.cjs.js):
 * a snapshot's active state nodes (`_nodes`), a state node's `transitions` map (event descriptor ->
 * transitions, in definition order) and `always` list, a transition's `guard`, `target` and
 * `actions`, and the order in which `getCandidates` offers a node's transitions for an event.
 * tests/quiet-step.test.ts fails when the installed xstate is another version: read these again then.
 */
export const XSTATE_VERSION = '5.33.3';

export interface TransitionView {
  guard?: unknown;
  target?: readonly unknown[];
  actions: readonly unknown[];
}

export interface StateNodeView {
  id: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  parent?: StateNodeView;
  always?: readonly TransitionView[];
  transitions: ReadonlyMap<string, readonly TransitionView[]>;
}

/** The snapshot's active state nodes (XState's `_nodes`: the state configuration, one array shared by the snapshots of one configuration). */
export function activeNodes(snapshot: AnyMachineSnapshot): readonly StateNodeView[] {
  return (snapshot as unknown as { _nodes: readonly StateNodeView[] })._nodes;
}

/** A node and its ancestors up to the root, innermost first (XState's `[node].concat(getProperAncestors(node))`). */
export function selfAndAncestors(node: StateNodeView): StateNodeView[] {
  const chain: StateNodeView[] = [];
  for (let s: StateNodeView | undefined = node; s !== undefined; s = s.parent) chain.push(s);
  return chain;
}

/** XState's `isAtomicStateNode`. */
export function isAtomic(node: StateNodeView): boolean {
  return node.type === 'atomic' || node.type === 'final';
}

/** XState's `getCandidates`: a node's transitions for `eventType`: the exact descriptor's, then the matching wildcard descriptors' (longest first). */
export function candidatesOf(node: StateNodeView, eventType: string): readonly TransitionView[] {
  const exact = node.transitions.get(eventType);
  const wildcard = [...node.transitions.keys()]
    .filter((descriptor) => descriptor !== eventType && matchesEventDescriptor(eventType, descriptor))
    .sort((a, b) => b.length - a.length)
    .flatMap((descriptor) => node.transitions.get(descriptor)!);
  return exact ? [...exact, ...wildcard] : wildcard;
}

/** XState's `matchesEventDescriptor` (without its console warnings about malformed descriptors, which XState gives when it builds the machine's nodes). */
function matchesEventDescriptor(eventType: string, descriptor: string): boolean {
  if (descriptor === eventType || descriptor === '*') return true;
  if (!descriptor.endsWith('.*')) return false;
  const partial = descriptor.split('.');
  const tokens = eventType.split('.');
  for (let i = 0; i < partial.length; i++) {
    if (partial[i] === '*') return i === partial.length - 1;
    if (partial[i] !== tokens[i]) return false;
  }
  return true;
}

export interface GuardArgs {
  context: unknown;
  event: { type: string };
}

/** A guard, resolved once: whether it holds for `args` (`snapshot`: the one XState would pass, for built-in guards such as `and` / `not` / `stateIn`). */
export type GuardCheck = (args: GuardArgs, snapshot: AnyMachineSnapshot) => boolean;

type GuardFunction = ((args: GuardArgs, params: unknown) => boolean) & { check?: (snapshot: AnyMachineSnapshot, args: GuardArgs, guard: unknown) => boolean };

/** XState's `evaluateGuard`, with the guard's implementation looked up once instead of on every call. */
export function guardCheck(machine: AnyStateMachineView, guard: unknown): GuardCheck {
  const isInline = typeof guard === 'function';
  const name = typeof guard === 'string' ? guard : (guard as { type: string }).type;
  const resolved = (isInline ? guard : machine.implementations.guards[name]) as GuardFunction | undefined;
  if (!isInline && !resolved) {
    return () => {
      throw new Error(`Guard '${name}' is not implemented.'.`);
    };
  }
  if (typeof resolved !== 'function') return guardCheck(machine, resolved);
  const fn = resolved;
  if (fn.check !== undefined) {
    const check = fn.check;
    return (args, snapshot) => check(snapshot, args, fn);
  }
  const params = isInline || typeof guard === 'string' || !('params' in (guard as object)) ? undefined : (guard as { params: unknown }).params;
  if (typeof params === 'function') return (args) => fn(args, params({ context: args.context, event: args.event }));
  return (args) => fn(args, params);
}

/** How XState names a guard in the error it throws when a transition's guard throws (`StateNode.next`). */
export function guardFailure(guard: unknown, eventType: string, source: StateNodeView, err: unknown): Error {
  const guardType = typeof guard === 'string' ? guard : typeof guard === 'object' && guard !== null ? (guard as { type: string }).type : undefined;
  return new Error(`Unable to evaluate guard ${guardType ? `'${guardType}' ` : ''}in transition for event '${eventType}' in state node '${source.id}':\n${(err as Error).message}`);
}

/** What an `assign` computes from (XState's resolveAssign): a function of the arguments, or one per context key. */
export type Assignment = ((args: GuardArgs, params: undefined) => Record<string, unknown>) | Record<string, unknown>;

/**
 * The assignment of a transition action when XState would resolve it as an `assign` without params
 * (resolveAndExecuteActionsWithContext: inline, or named in the machine's actions), else null: any
 * other action (an emit, raise, enqueueActions, custom action, or one with params) is not quiet.
 */
export function assignmentOf(machine: AnyStateMachineView, action: unknown): Assignment | null {
  const isInline = typeof action === 'function';
  if (!isInline && typeof action === 'object' && action !== null && 'params' in action) return null;
  const resolved = (isInline ? action : machine.implementations.actions[typeof action === 'string' ? action : (action as { type: string }).type]) as { type?: string; assignment?: Assignment } | undefined;
  if (resolved === undefined || resolved === null || resolved.type !== 'xstate.assign' || resolved.assignment === undefined) return null;
  return resolved.assignment;
}

/** The part of a machine quietStep reads: its implementations (public API). */
export interface AnyStateMachineView {
  implementations: { guards: Record<string, unknown>; actions: Record<string, unknown> };
}

