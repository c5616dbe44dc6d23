import { and, createActor, createMachine, not, setup, type AnyStateMachine } from 'xstate';
import { stateName } from '../actors/strategies/keyedMachines';
import { layoutStatechart, type Box } from '../actors/visualizer/layout';
import { activeKeys, extractStatechart, guardName } from '../actors/visualizer/statechart';
import { flashCrashMachine } from '../machines/flashCrash';
import { MACHINES } from '../machines/registry';
import { configStateCount } from './visualizer.support';

type TransitionConfig = string | { target?: string | string[]; guard?: unknown };
interface StateConfig {
  states?: Record<string, StateConfig>;
  on?: Record<string, TransitionConfig | TransitionConfig[]>;
  always?: TransitionConfig | TransitionConfig[];
}

/** (source, event, target-or-empty) triples read straight from the machine's config, relative targets resolved. */
function configTransitions(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const resolve = (path: string[], target: string): string => {
    if (target.startsWith('.')) return [...path, target.slice(1)].join('.');
    return [...path.slice(0, -1), target].join('.'); // a sibling
  };
  const walk = (c: StateConfig, path: string[]): void => {
    const add = (event: string, t: TransitionConfig) => {
      const target = typeof t === 'string' ? t : t.target;
      const targets = target === undefined ? [] : Array.isArray(target) ? target : [target];
      out.push(`${path.join('.')}|${event}|${targets.map((x) => resolve(path, x)).join(',')}`);
    };
    for (const [event, ts] of Object.entries(c.on ?? {})) for (const t of Array.isArray(ts) ? ts : [ts]) add(event, t);
    if (c.always) for (const t of Array.isArray(c.always) ? c.always : [c.always]) add('always', t);
    for (const [k, child] of Object.entries(c.states ?? {})) walk(child, [...path, k]);
  };
  walk(machine.config as StateConfig, []);
  return out.sort();
}

describe('statechart extraction', () => {
  it.each(MACHINES.map((m) => [m.name, m] as const))('%s: every state and transition of the definition', (_name, entry) => {
    const chart = extractStatechart(entry.machine, entry.name, entry.title);
    expect(chart.states[0].key).toBe('');
    expect(chart.states.length - 1).toBe(configStateCount(entry.machine));
    const got = chart.transitions.map((t) => `${t.source}|${t.event}|${t.targets.join(',')}`).sort();
    expect(got).toEqual(configTransitions(entry.machine));
  });

  it('flash crash: guards, the initial state and the root RESOLVED transition as written', () => {
    const chart = extractStatechart(flashCrashMachine);
    const watching = chart.transitions.filter((t) => t.source === 'watching');
    expect(watching.map((t) => [t.event, t.guard, t.targets[0]])).toEqual([
      ['UNLISTED', 'nothingHeld', 'forgotten'],
      ['always', 'holdsPosition', 'holding'],
      ['always', 'inCooldown', 'cooldown'],
      ['always', 'crashEntry', 'entering'],
    ]);
    expect(chart.states[0].initial).toBe('watching');
    expect(chart.transitions.find((t) => t.event === 'RESOLVED')).toMatchObject({ source: '', targets: ['resolved'], guard: null });
    expect(chart.transitions.find((t) => t.source === 'exiting' && t.targets[0] === 'cooldown')!.actions).toEqual(['abandonDust', 'clearOrder', 'startCooldown']);
  });

  const nested = setup({ guards: { ready: () => true, busy: () => false, late: () => false } }).createMachine({
    id: 'nested',
    initial: 'idle',
    states: {
      idle: { on: { GO: { target: 'active', guard: and(['ready', not('busy')]) } } },
      active: {
        initial: 'warming',
        states: {
          warming: { after: { 500: 'running' } },
          running: { on: { PAUSE: 'paused', NUDGE: { actions: [] } } },
          paused: { on: { RESUME: { target: 'running', guard: 'late' } } },
        },
        on: { STOP: '#nested.done', RESET: '.warming' },
      },
      both: { type: 'parallel', states: { left: { initial: 'a', states: { a: {} } }, right: { initial: 'b', states: { b: {} } } } },
      done: { type: 'final' },
    },
  });

  it('nested, parallel and final states; delayed, combined-guard and #id transitions', () => {
    const chart = extractStatechart(nested);
    const byKey = new Map(chart.states.map((s) => [s.key, s]));
    expect([...byKey.keys()]).toEqual(['', 'idle', 'active', 'active.warming', 'active.running', 'active.paused', 'both', 'both.left', 'both.left.a', 'both.right', 'both.right.b', 'done']);
    expect(byKey.get('active')).toMatchObject({ type: 'compound', initial: 'active.warming', parent: '', children: ['active.warming', 'active.running', 'active.paused'], depth: 1 });
    expect(byKey.get('both')!.type).toBe('parallel');
    expect(byKey.get('done')!.type).toBe('final');
    const t = (source: string, event: string) => chart.transitions.find((x) => x.source === source && x.event === event)!;
    expect(t('idle', 'GO')).toMatchObject({ targets: ['active'], guard: 'and(ready, !busy)' });
    expect(t('active.warming', 'after 500ms').targets).toEqual(['active.running']);
    expect(t('active', 'STOP').targets).toEqual(['done']);
    expect(t('active', 'RESET').targets).toEqual(['active.warming']);
    expect(t('active.running', 'NUDGE').targets).toEqual([]);
    expect(guardName(undefined)).toBeNull();
  });

  it('active keys agree with the running actor and with the strategy_state names', () => {
    const actor = createActor(nested).start();
    actor.send({ type: 'GO' });
    const value = actor.getSnapshot().value;
    expect(value).toEqual({ active: 'warming' });
    expect(activeKeys(value)).toEqual(['active', 'active.warming']);
    expect(activeKeys(stateName(value))).toEqual(['active', 'active.warming']);
    expect(activeKeys('watching')).toEqual(['watching']);
    expect(activeKeys(stateName({ left: 'a', right: 'b' }))).toEqual(['left', 'left.a', 'right', 'right.b']);
    actor.stop();
  });
});

describe('statechart layout', () => {
  const inside = (inner: Box, outer: Box) => inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;
  const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  const charts = [...MACHINES.map((m) => extractStatechart(m.machine, m.name)), extractStatechart(createMachine({ id: 'plain', initial: 'a', states: { a: { on: { X: 'b' } }, b: { initial: 'c', states: { c: { on: { Y: 'd' } }, d: { on: { Z: '#plain.a' } } } } } }))];

  it.each(charts.map((c) => [c.name, c] as const))('%s: boxes nest without overlapping, every targeted transition is drawn once', (_n, chart) => {
    const laid = layoutStatechart(chart);
    expect(layoutStatechart(chart)).toEqual(laid); // deterministic
    const { boxes, edges } = laid.layout;
    for (const s of chart.states) {
      expect(boxes[s.key]).toBeDefined();
      if (s.parent !== null) expect(inside(boxes[s.key], boxes[s.parent])).toBe(true);
      const siblings = chart.states.filter((o) => o.parent === s.parent && o.key < s.key);
      for (const o of siblings) expect(overlap(boxes[s.key], boxes[o.key])).toBe(false);
    }
    const drawn = edges.flatMap((e) => e.transitions.map((i) => `${i}->${e.target}`)).sort();
    const expected = chart.transitions.flatMap((t, i) => t.targets.map((target) => `${i}->${target}`)).sort();
    expect(drawn).toEqual(expected);
    // Guards and events appear in the labels.
    for (const t of chart.transitions.filter((x) => x.targets.length > 0)) {
      const edge = edges.find((e) => e.transitions.includes(chart.transitions.indexOf(t)))!;
      const text = edge.label.join(' ');
      expect(text).toContain(t.event);
      if (t.guard) expect(text).toContain(`[${t.guard}]`);
    }
  });

  /** Points along an SVG path of one cubic (`M C`) or of straight segments (`M L L ...`). */
  function pathPoints(path: string): [number, number][] {
    const n = path.match(/-?\d+(\.\d+)?/g)!.map(Number);
    const out: [number, number][] = [];
    if (path.includes('C')) {
      const [x0, y0, x1, y1, x2, y2, x3, y3] = n;
      for (let i = 1; i < 40; i++) {
        const t = i / 40;
        const u = 1 - t;
        out.push([u * u * u * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x3, u * u * u * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3]);
      }
    } else {
      for (let k = 2; k < n.length; k += 2) for (let i = 1; i < 20; i++) out.push([n[k - 2] + ((n[k] - n[k - 2]) * i) / 20, n[k - 1] + ((n[k + 1] - n[k - 1]) * i) / 20]);
    }
    return out;
  }

  it.each(MACHINES.map((m) => [m.name, m.machine] as const))('%s: edges go round the states they do not join', (_n, machine) => {
    const { boxes, edges } = layoutStatechart(extractStatechart(machine)).layout;
    for (const e of edges.filter((x) => x.kind !== 'self')) {
      const others = Object.entries(boxes).filter(([k]) => k !== '' && k !== e.source && k !== e.target).map(([, b]) => b);
      for (const [x, y] of pathPoints(e.path)) {
        for (const b of others) expect([e.source, e.target, x > b.x && x < b.x + b.w && y > b.y && y < b.y + b.h]).toEqual([e.source, e.target, false]);
      }
    }
  });
});
