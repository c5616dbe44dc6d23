import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import {
  activeNodes, assignmentOf, candidatesOf, guardCheck, guardFailure, isAtomic, selfAndAncestors,
  type AnyStateMachineView, type Assignment, type GuardArgs, type GuardCheck, type StateNodeView, type TransitionView,
} from './xstateInternals';
import { ShapeMemo } from './objectShape';

/**
 * `activeNodes`, read once: tsx (bin/pma.js, bin/run-ts.js) compiles modules to CommonJS, where each
 * use of an imported binding calls a getter of the exporting module that looks the name up by key
 * (megamorphic); once per step that was about 1 % of a backtest.
 */
const nodesOf = activeNodes;

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
 *
 * What XState works out on every event (which transitions are candidates, where each guard and
 * action is implemented) depends only on the state configuration and the event type, so it is
 * compiled once per (configuration, event type); a step then only evaluates guards and assignments.
 */
export function quietStep(snapshot: AnyMachineSnapshot, event: EventObject, memo: StepMemo = new StepMemo()): AnyMachineSnapshot | null {
  const configuration = configurationOf(snapshot);
  if (configuration.eventless === null) return null;
  // A declined event type is stored as null: compiled once like the others.
  const known = configuration.events.get(event.type);
  const plan = known !== undefined ? known : configuration.compile(event.type);
  if (plan === null) return null;
  const args: GuardArgs = { context: snapshot.context, event };
  let chosen: Candidate | null = null;
  for (const candidate of plan) {
    if (candidate.check === null || holds(candidate, args, snapshot, event)) {
      chosen = candidate;
      break;
    }
  }
  let next = snapshot;
  if (chosen !== null) {
    if (chosen.assignments === null) return null;
    if (chosen.assignments.length > 0) next = assignedSnapshot(snapshot, chosen.assignments, args, memo);
  }
  const eventless = configuration.eventless;
  if (eventless.length > 0) {
    args.context = next.context;
    for (const check of eventless) if (check(args, next)) return null;
  }
  return next;
}

/** One candidate transition, resolved: its guard (null: none), and its assignments (null: not quiet when selected: a target, or an action other than a plain `assign`). */
interface Candidate {
  check: GuardCheck | null;
  assignments: readonly Assignment[] | null;
  transition: TransitionView;
  source: StateNodeView;
}

/** The guard of a candidate, with XState's error when it throws (StateNode.next). */
function holds(candidate: Candidate, args: GuardArgs, snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  try {
    return candidate.check!(args, snapshot);
  } catch (err) {
    throw guardFailure(candidate.transition.guard, event.type, candidate.source, err);
  }
}

/**
 * What `quietStep` knows of the snapshot it returned last for one machine instance (the caller keeps
 * one per instance): the key lists of that snapshot and of its context. The next step from that
 * snapshot then copies both with a literal of those keys (machines/objectShape.ts) without reading
 * their keys again; a snapshot it did not make (XState's, a restored one) has its keys read once.
 */
export class StepMemo {
  readonly snapshots = new ShapeMemo();
  readonly contexts = new ShapeMemo();
}

/** The snapshot with the context after `assignments` (XState's resolveAssign: each `assign` sees the context the previous one left and merges its update into a copy). */
function assignedSnapshot(snapshot: AnyMachineSnapshot, assignments: readonly Assignment[], args: GuardArgs, memo: StepMemo): AnyMachineSnapshot {
  let context = args.context as Record<string, unknown>;
  for (const assignment of assignments) {
    args.context = context;
    context = memo.contexts.merge(context, typeof assignment === 'function' ? assignment(args, undefined) : perKey(assignment, args));
  }
  return memo.snapshots.with(snapshot as unknown as Record<string, unknown>, 'context', context) as unknown as AnyMachineSnapshot;
}

/** An `assign` given per context key: its update (functions of the arguments, or values). */
function perKey(assignment: Record<string, unknown>, args: GuardArgs): Record<string, unknown> {
  const update: Record<string, unknown> = {};
  for (const key of Object.keys(assignment)) {
    const value = assignment[key];
    update[key] = typeof value === 'function' ? (value as (a: GuardArgs, p: undefined) => unknown)(args, undefined) : value;
  }
  return update;
}

/**
 * A state configuration of one machine, compiled: per event type, the candidates XState would try in
 * its order (null: decline every such event); its eventless guards (null: an unguarded `always`
 * transition, or a parallel configuration: decline every event).
 */
class Configuration {
  readonly events = new Map<string, readonly Candidate[] | null>();
  readonly eventless: readonly GuardCheck[] | null;
  private readonly chain: readonly StateNodeView[] | null;

  constructor(readonly machine: AnyStateMachine, nodes: readonly StateNodeView[]) {
    const atomic = nodes.filter(isAtomic);
    // A parallel configuration selects per region (transitionParallelNode): not compiled, XState steps it.
    this.chain = atomic.length === 1 && !nodes.some((n) => n.type === 'parallel') ? selfAndAncestors(atomic[0]) : null;
    this.eventless = this.chain === null ? null : eventlessChecks(machine, this.chain);
  }

  /**
   * XState's transitionNode for a chain of compound states: the first enabled candidate of the atomic
   * node, else of its parent, and so on up to the root. Candidates after an unguarded one are never
   * reached.
   */
  compile(eventType: string): readonly Candidate[] | null {
    let plan: Candidate[] | null = [];
    // XState's own events (init, stop, errors, done) have rules of their own in its macrostep.
    if (eventType.startsWith('xstate.') || this.chain === null) plan = null;
    else {
      const view = this.machine as unknown as AnyStateMachineView;
      outer: for (const node of this.chain) {
        for (const transition of candidatesOf(node, eventType)) {
          const quiet = transition.target === undefined || transition.target.length === 0;
          const assignments = quiet ? transition.actions.map((a) => assignmentOf(view, a)) : [];
          const candidate: Candidate = {
            check: transition.guard ? guardCheck(view, transition.guard) : null,
            assignments: quiet && !assignments.includes(null) ? (assignments as Assignment[]) : null,
            transition,
            source: node,
          };
          plan.push(candidate);
          if (candidate.check === null) break outer;
        }
      }
      // Every reachable candidate moves a state or acts, and one is sure to be taken: decline before any guard runs.
      if (plan.length > 0 && plan[plan.length - 1].check === null && plan.every((c) => c.assignments === null)) plan = null;
    }
    this.events.set(eventType, plan);
    return plan;
  }
}

/** XState's selectEventlessTransitions for one atomic node: its and its ancestors' `always` guards in order; null when one has no guard (always enabled). */
function eventlessChecks(machine: AnyStateMachine, chain: readonly StateNodeView[]): GuardCheck[] | null {
  const checks: GuardCheck[] = [];
  for (const node of chain) {
    for (const transition of node.always ?? []) {
      if (transition.guard === undefined) return null;
      checks.push(guardCheck(machine as unknown as AnyStateMachineView, transition.guard));
    }
  }
  return checks;
}

/** Compiled configurations: per `_nodes` array (shared by the snapshots of one configuration), and per machine by the nodes' ids (shared by every instance). */
const byNodes = new WeakMap<readonly StateNodeView[], Configuration>();
const byMachine = new WeakMap<AnyStateMachine, Map<string, Configuration>>();

function configurationOf(snapshot: AnyMachineSnapshot): Configuration {
  const nodes = nodesOf(snapshot);
  const machine = snapshot.machine as AnyStateMachine;
  const known = byNodes.get(nodes);
  if (known !== undefined && known.machine === machine) return known;
  let configurations = byMachine.get(machine);
  if (configurations === undefined) byMachine.set(machine, (configurations = new Map()));
  const key = nodes.map((n) => n.id).join('\n');
  let configuration = configurations.get(key);
  if (configuration === undefined) configurations.set(key, (configuration = new Configuration(machine, nodes)));
  byNodes.set(nodes, configuration);
  return configuration;
}
