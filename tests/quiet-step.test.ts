/**
 * `quietStep` (machines/quietStep.ts) stands in for XState's interpreter on events that move no
 * state. Checked here against XState's own pure `transition` on every machine event of the demo
 * backtest (all three strategies): wherever quietStep answers, XState gives the same state, an equal
 * context and emits nothing; where it declines, the wrapper takes XState's step. Then the shapes its
 * compiled selection covers (a guard in an ancestor, wildcard and partial descriptors, built-in guards
 * and guards with params, eventless and parallel configurations, a throwing guard) on small machines,
 * step by step against XState.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { and, assign, emit, initialTransition, not, setup, transition, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import { flashCrashMachine } from '../machines/flashCrash';
import { fifteenMinMachine } from '../machines/fifteenMin';
import { XSTATE_VERSION } from '../machines/xstateInternals';

const checked = { quiet: new Map<string, number>(), declined: new Map<string, number>(), mismatches: [] as string[] };

jest.mock('../machines/quietStep', () => {
  const actual = jest.requireActual('../machines/quietStep');
  return {
    ...actual,
    quietStep(snapshot: AnyMachineSnapshot, event: EventObject, memo?: unknown) {
      const out = actual.quietStep(snapshot, event, memo);
      const id = (snapshot.machine as { id: string }).id;
      const tally = out === null ? checked.declined : checked.quiet;
      tally.set(id, (tally.get(id) ?? 0) + 1);
      if (out !== null) {
        const [reference, actions] = transition(snapshot.machine, snapshot as never, event);
        const same = JSON.stringify(reference.value) === JSON.stringify(out.value) && reference.status === out.status &&
          Object.keys(reference).join() === Object.keys(out).join() &&
          JSON.stringify(reference.context) === JSON.stringify(out.context) && !actions.some((a) => (a.type as string) === 'xstate.emit' || (a.type as string) === 'xstate.raise');
        if (!same && checked.mismatches.length < 5) checked.mismatches.push(`${id} ${event.type} at ${JSON.stringify(snapshot.value)}`);
      }
      return out;
    },
  };
});

const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

describe('quietStep against XState on the demo backtest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-quiet-'));
    await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: dir });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers as XState wherever it answers', () => {
    expect(checked.mismatches).toEqual([]);
  });

  it('answers most events of flash crash and the 15-minute machine, and declines those that move a state', () => {
    for (const id of [flashCrashMachine.id, fifteenMinMachine.id]) {
      const quiet = checked.quiet.get(id) ?? 0;
      const declined = checked.declined.get(id) ?? 0;
      expect(quiet).toBeGreaterThan(10 * declined);
      expect(declined).toBeGreaterThan(0);
    }
  });
});

type CounterEvent = { type: string; by?: number };

describe('quietStep on the shapes it compiles', () => {
  const { quietStep, StepMemo } = jest.requireActual('../machines/quietStep') as typeof import('../machines/quietStep');

  /** Steps `events` through XState from the initial snapshot; at each, quietStep must give XState's state and context, or null. */
  function against(machine: AnyStateMachine, events: CounterEvent[], input?: unknown): ('quiet' | 'declined')[] {
    let snapshot = initialTransition(machine, input)[0] as AnyMachineSnapshot;
    return events.map((event) => {
      const out = quietStep(snapshot, event);
      const [reference, actions] = transition(machine, snapshot as never, event as never);
      if (out !== null) {
        expect({ value: out.value, status: out.status, context: out.context }).toEqual({ value: reference.value, status: reference.status, context: reference.context });
        expect(JSON.stringify(out.context)).toBe(JSON.stringify(reference.context));
        expect(actions.filter((a) => (a.type as string) === 'xstate.emit' || (a.type as string) === 'xstate.raise')).toEqual([]);
      }
      snapshot = reference as AnyMachineSnapshot;
      return out === null ? 'declined' : 'quiet';
    });
  }

  it('is written against the installed xstate', () => {
    expect((jest.requireActual('xstate/package.json') as { version: string }).version).toBe(XSTATE_VERSION);
  });

  const counter = setup({
    types: { context: {} as { n: number; log: string[]; limit: number }, events: {} as CounterEvent },
    guards: {
      small: ({ event }) => (event.by ?? 0) < 10,
      under: ({ context }, params: { max: number }) => context.n < params.max,
      overLimit: ({ context }) => context.n > context.limit,
    },
    actions: {
      add: assign(({ context, event }) => ({ n: context.n + (event.by ?? 1) })),
      note: assign({ log: ({ context, event }) => [...context.log, event.type] }),
      tell: emit({ type: 'told' }),
    },
  });

  it('takes the first enabled candidate of the atomic state, else of its ancestors, in order', () => {
    const machine = counter.createMachine({
      context: { n: 0, log: [], limit: 1000 },
      on: { ADD: { actions: ['add', 'note'] }, PING: { actions: 'note' } },
      initial: 'outer',
      states: {
        outer: {
          on: { ADD: [{ guard: 'small', actions: 'add' }], MOVE: { target: '.inner2' } },
          initial: 'inner',
          states: {
            inner: { on: { ADD: { guard: ({ event }) => event.by === 3, actions: assign({ n: 3 }) } } },
            inner2: {},
          },
        },
      },
    });
    // by 3: the atomic state's own inline guard; by 5: the parent's guard; by 50: the root's two assigns; MOVE: a target.
    expect(against(machine, [{ type: 'ADD', by: 3 }, { type: 'ADD', by: 5 }, { type: 'ADD', by: 50 }, { type: 'PING' }, { type: 'MOVE' }, { type: 'ADD', by: 3 }, { type: 'NOTHING' }]))
      .toEqual(['quiet', 'quiet', 'quiet', 'quiet', 'declined', 'quiet', 'quiet']);
  });

  it('offers wildcard and partial descriptors after the exact one, longest first', () => {
    const machine = counter.createMachine({
      context: { n: 0, log: [], limit: 1000 },
      initial: 'a',
      states: {
        a: {
          on: {
            '*': { actions: assign({ n: ({ context }) => context.n * 10 }) },
            'order.*': { actions: assign({ n: ({ context }) => context.n + 1 }) },
            'order.fill.*': { guard: 'small', actions: assign({ n: ({ context }) => context.n + 100 }) },
            'order.fill': { guard: { type: 'under', params: { max: 2 } }, actions: 'add' },
          },
        },
      },
    });
    const steps = against(machine, [{ type: 'order.fill', by: 1 }, { type: 'order.fill', by: 1 }, { type: 'order.fill.late', by: 1 }, { type: 'order.fill.late', by: 20 }, { type: 'order' }, { type: 'other' }]);
    expect(steps).toEqual(['quiet', 'quiet', 'quiet', 'quiet', 'quiet', 'quiet']);
  });

  it('evaluates built-in guards and guards with params as XState does', () => {
    const machine = counter.createMachine({
      context: { n: 0, log: [], limit: 1000 },
      on: {
        ADD: [
          { guard: and(['small', not({ type: 'under', params: ({ event }: { event: CounterEvent }) => ({ max: event.by ?? 0 }) } as never)]), actions: 'note' },
          { guard: { type: 'under', params: { max: 3 } }, actions: 'add' },
          { target: '.done' },
        ],
      },
      initial: 'running',
      states: { running: {}, done: { type: 'final' } },
    });
    // n 0 -> 1 (add: not yet n >= 1), a note (n >= 1), n 1 -> 21 (not small), then no guard holds: the final state.
    expect(against(machine, [{ type: 'ADD', by: 1 }, { type: 'ADD', by: 1 }, { type: 'ADD', by: 20 }, { type: 'ADD', by: 20 }]))
      .toEqual(['quiet', 'quiet', 'quiet', 'declined']);
  });

  it('declines an emitting or targeted transition, and a step after which an eventless transition is enabled', () => {
    const machine = counter.createMachine({
      context: { n: 0, log: [], limit: 2 },
      initial: 'low',
      states: {
        low: {
          always: { guard: 'overLimit', target: 'high' },
          on: { ADD: { actions: 'add' }, TELL: { actions: ['add', 'tell'] } },
        },
        high: { on: { ADD: { actions: 'add' } } },
      },
    });
    expect(against(machine, [{ type: 'ADD' }, { type: 'TELL' }, { type: 'ADD' }, { type: 'ADD' }])).toEqual(['quiet', 'declined', 'declined', 'quiet']);
  });

  it('declines every event of a parallel configuration and of a state with an unguarded eventless transition', () => {
    const machine = counter.createMachine({
      context: { n: 0, log: [], limit: 1000 },
      type: 'parallel',
      on: { ADD: { actions: 'add' } },
      states: { left: { initial: 'x', states: { x: {} } }, right: { initial: 'y', states: { y: {} } } },
    });
    expect(against(machine, [{ type: 'ADD' }, { type: 'NOTHING' }])).toEqual(['declined', 'declined']);
  });

  it('steps from its own snapshots (copied by their key lists) as XState steps from its own, keys in the same order', () => {
    const machine = counter.createMachine({
      context: { n: 0, log: [], limit: 1000 },
      on: {
        ADD: { actions: 'add' },
        // Adds a key the context did not have: XState appends it; later copies keep it last.
        GROW: { actions: assign(({ context }) => ({ extra: context.n, n: context.n + 1 }) as never) },
        BOTH: { actions: ['add', 'note'] },
      },
    });
    const events: CounterEvent[] = [{ type: 'ADD' }, { type: 'BOTH', by: 2 }, { type: 'GROW' }, { type: 'ADD', by: 5 }, { type: 'BOTH' }, { type: 'NOTHING' }, { type: 'ADD' }];
    const memo = new StepMemo();
    let ours = initialTransition(machine)[0] as AnyMachineSnapshot;
    let reference = ours;
    for (const event of events) {
      ours = quietStep(ours, event, memo)!;
      reference = transition(machine, reference as never, event as never)[0] as AnyMachineSnapshot;
      expect(JSON.stringify(ours.context)).toBe(JSON.stringify(reference.context));
      expect(Object.keys(ours)).toEqual(Object.keys(reference));
      expect(ours.value).toEqual(reference.value);
    }
    expect(Object.keys(ours.context)).toEqual(['n', 'log', 'limit', 'extra']);
  });

  it('throws XState\'s error when a guard throws', () => {
    const machine = setup({ guards: { broken: () => { throw new Error('no quote'); } } }).createMachine({
      initial: 'a',
      states: { a: { on: { GO: { guard: 'broken', actions: assign({}) } } } },
    });
    const snapshot = initialTransition(machine)[0] as AnyMachineSnapshot;
    let reference: unknown;
    try {
      transition(machine, snapshot as never, { type: 'GO' });
    } catch (err) {
      reference = (err as Error).message;
    }
    expect(reference).toContain('no quote');
    expect(() => quietStep(snapshot, { type: 'GO' })).toThrow(reference as string);
  });
});
