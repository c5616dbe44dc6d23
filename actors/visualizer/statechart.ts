import type { AnyStateMachine, AnyStateNode } from 'xstate';

/**
 * A machine definition as plain data, read from XState's own state nodes (`machine.root`,
 * `StateNode.states`, `.transitions`, `.always`, `.initial`), so the drawing cannot drift from
 * the code. States are keyed by their path (`holding`, `active.holding`; the root is '').
 */
export interface ChartState {
  key: string;
  name: string;
  parent: string | null;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** Key of the initial child (compound states). */
  initial: string | null;
  children: string[];
  depth: number;
  description: string | null;
}

export interface ChartTransition {
  source: string;
  /** Target state keys; empty for a targetless transition (actions only, state unchanged). */
  targets: string[];
  /** The event descriptor as written (`SIGNAL`, `*`), `always` for eventless ones, `after 500ms` for delays. */
  event: string;
  guard: string | null;
  actions: string[];
  reenter: boolean;
}

export interface Statechart {
  name: string;
  title: string;
  machineId: string;
  states: ChartState[];
  transitions: ChartTransition[];
}

type GuardLike = string | { type: string } | ((...args: never[]) => unknown) | undefined;

/** A guard's display name: `crashEntry`, `and(signalTradable, askLlm)`, `!cooledDown`, `inline`. */
export function guardName(guard: unknown): string | null {
  const g = guard as GuardLike;
  if (g === undefined || g === null) return null;
  if (typeof g === 'string') return g;
  if (typeof g === 'function') {
    const combinator = g as unknown as { check?: { name: string }; guards?: unknown[] };
    if (combinator.check && Array.isArray(combinator.guards)) {
      const parts = combinator.guards.map((x) => guardName(x) ?? '?');
      const op = combinator.check.name.replace(/^check/, '').toLowerCase();
      return op === 'not' ? `!${parts[0]}` : `${op}(${parts.join(', ')})`;
    }
    return g.name && g.name !== 'guard' ? g.name : 'inline';
  }
  return typeof g.type === 'string' ? g.type : 'inline';
}

function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'function') return action.name || 'inline';
  if (action && typeof action === 'object' && typeof (action as { type?: unknown }).type === 'string') return (action as { type: string }).type;
  return 'inline';
}

/** `xstate.after.500.flashCrash.entering` -> `after 500ms`. */
export function eventLabel(descriptor: string): string {
  if (descriptor === '') return 'always';
  const after = /^xstate\.after\.(\d+)\./.exec(descriptor);
  if (after) return `after ${after[1]}ms`;
  return descriptor;
}

export function stateKey(node: AnyStateNode): string {
  return node.path.join('.');
}

/** Reads a machine definition into a `Statechart`. */
export function extractStatechart(machine: AnyStateMachine, name = machine.id, title = name): Statechart {
  const states: ChartState[] = [];
  const transitions: ChartTransition[] = [];
  const visit = (node: AnyStateNode, depth: number): void => {
    const key = stateKey(node);
    const children = Object.values(node.states) as AnyStateNode[];
    const initialTarget = node.type === 'compound' ? node.initial?.target?.[0] : undefined;
    states.push({
      key,
      name: node.parent ? node.key : machine.id,
      parent: node.parent ? stateKey(node.parent) : null,
      type: node.type,
      initial: initialTarget ? stateKey(initialTarget) : null,
      children: children.map(stateKey),
      depth,
      description: node.description ?? null,
    });
    const all: [string, unknown[]][] = [...node.transitions.entries()];
    if (node.always) all.push(['', node.always]);
    for (const [descriptor, list] of all) {
      for (const t of list as { target?: AnyStateNode[]; guard?: unknown; actions: unknown[]; reenter?: boolean }[]) {
        transitions.push({
          source: key,
          targets: (t.target ?? []).map(stateKey),
          event: eventLabel(descriptor),
          guard: guardName(t.guard),
          actions: t.actions.map(actionName),
          reenter: Boolean(t.reenter),
        });
      }
    }
    for (const child of children) visit(child, depth + 1);
  };
  visit(machine.root, 0);
  return { name, title, machineId: machine.id, states, transitions };
}

/**
 * The active state keys of a state value or of a `strategy_state` name: `holding` -> [holding];
 * `{active:'holding'}` or `active.holding` -> [active, active.holding]; parallel `a.x,b.y` -> [a, a.x, b, b.y].
 */
export function activeKeys(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, prefix: string): void => {
    if (typeof v === 'string') {
      let path = prefix;
      for (const part of v.split('.')) {
        path = path ? `${path}.${part}` : part;
        out.push(path);
      }
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
        const path = prefix ? `${prefix}.${k}` : k;
        out.push(path);
        walk(child, path);
      }
    }
  };
  if (typeof value === 'string') for (const region of value.split(',')) walk(region, '');
  else walk(value, '');
  return [...new Set(out)];
}
