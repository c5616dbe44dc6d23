/**
 * A keyed machine strategy under the supervisor marks its last good state itself (`checkpoint`) and,
 * when a reaction fails part way, goes back to it (`rollback`): instances changed, started and ended,
 * open orders and order-id counters as they were, the instances in their order. Checked against the
 * same strategy that never saw the failing event, and against its persisted state.
 */
import { assign, emit, setup } from 'xstate';
import { makeEvent, type AnyEvent, type DerivedEvent } from '../events/types';
import { MarketState } from '../domain/market/marketState';
import { handedOrderIds, type HandedOrderId } from '../domain/orderId';
import { KeyedMachineStrategy, type Delivery } from '../actors/strategies/keyedMachines';
import type { StrategyContext } from '../actors/strategies/types';
import { Supervisor } from '../actors/supervisor';

type TestEvent = ({ type: 'ADD'; by: number } | { type: 'END' } | { type: 'ORDER' } | { type: 'BOOM' }) & HandedOrderId;

const machine = setup({
  types: { context: {} as { n: number }, events: {} as TestEvent, input: {} as { start: number } },
  guards: { broken: () => { throw new Error('boom'); } },
}).createMachine({
  context: ({ input }) => ({ n: input.start }),
  initial: 'counting',
  states: {
    counting: {
      on: {
        ADD: { actions: assign(({ context, event }) => ({ n: context.n + (event.type === 'ADD' ? event.by : 0) })) },
        END: { target: 'ended' },
        ORDER: {
          actions: emit(({ event }) => ({
            type: 'order_intent', orderId: handedOrderIds(event, 1)[0], marketId: 'm', tokenId: 't', outcome: 'Up', side: 'BUY', price: '0.5', size: '10', orderType: 'limit', reason: 'test', groupId: null,
          }) as never),
        },
        BOOM: { guard: 'broken', actions: assign({ n: -1 }) },
      },
    },
    ended: { type: 'final' },
  },
});

/** Each timer's ts names a script step: the deliveries of that step, in order. */
const SCRIPT: Record<number, [string, TestEvent][]> = {
  1: [['a', { type: 'ADD', by: 1 }], ['b', { type: 'ADD', by: 2 }], ['c', { type: 'ADD', by: 3 }]],
  2: [['a', { type: 'ORDER' }], ['b', { type: 'ADD', by: 5 }]],
  // Fails part way: a changes and orders, b ends, d starts, then c's guard throws.
  3: [['a', { type: 'ADD', by: 100 }], ['a', { type: 'ORDER' }], ['b', { type: 'END' }], ['d', { type: 'ADD', by: 7 }], ['c', { type: 'BOOM' }]],
};

function strategy(): KeyedMachineStrategy<typeof machine> {
  return new KeyedMachineStrategy<typeof machine>({
    name: 'rollback',
    machine,
    handles: ['timer'],
    route(event: AnyEvent, _ctx: StrategyContext, keys: ReadonlySet<string>): Delivery<typeof machine>[] {
      // After the script: every instance, in the strategy's order, adds its position.
      const steps = SCRIPT[event.ts] ?? [...keys].map((key, i): [string, TestEvent] => [key, { type: 'ADD', by: 10 * (i + 1) }]);
      return steps.map(([key, e]) => ({ key, event: { ...e }, input: { start: 0 } }));
    },
  });
}

const markets = new MarketState();
const contextAt = (now: number) => (): StrategyContext => ({ now, markets, position: () => '0' });
const timer = (ts: number) => ({ ...makeEvent('timer', ts, { name: 'tick' }), seq: ts });

describe('KeyedMachineStrategy checkpoint and rollback', () => {
  it('goes back to the last good state when a reaction fails part way, as if the event had not come', () => {
    const failing = strategy();
    const supervisor = new Supervisor([failing]);
    const clean = strategy();
    const cleanSupervisor = new Supervisor([clean]);
    const out: DerivedEvent[] = [];
    const cleanOut: DerivedEvent[] = [];
    for (const ts of [1, 2]) {
      out.push(...supervisor.dispatch(timer(ts), contextAt(ts)));
      cleanOut.push(...cleanSupervisor.dispatch(timer(ts), contextAt(ts)));
    }
    const good = JSON.stringify(failing.persist());
    expect(failing.states()).toEqual({ a: 'counting', b: 'counting', c: 'counting' });

    const failed = supervisor.dispatch(timer(3), contextAt(3));
    expect(failed).toEqual([expect.objectContaining({ type: 'error', source: 'rollback', kind: 'throw' })]);
    expect((failed[0] as { message: string }).message).toContain('boom');
    expect(supervisor.health()).toEqual([{ name: 'rollback', errors: 1, restarts: 1, stopped: false }]);
    expect(JSON.stringify(failing.persist())).toBe(good);

    // Afterwards it runs exactly as the strategy that never saw the failing event: instance order, order ids, values.
    for (const ts of [4, 5]) {
      out.push(...supervisor.dispatch(timer(ts), contextAt(ts)));
      cleanOut.push(...cleanSupervisor.dispatch(timer(ts), contextAt(ts)));
    }
    expect(JSON.stringify(out)).toBe(JSON.stringify(cleanOut));
    expect(JSON.stringify(failing.persist())).toBe(JSON.stringify(clean.persist()));
    expect(Object.keys(failing.persist().actors)).toEqual(['a', 'b', 'c']);
    expect(failing.snapshotOf('c')?.context).toEqual({ n: 3 + 30 + 30 });
    // The order a sent before the failure is open; the one of the failed reaction is not.
    expect(Object.keys(failing.persist().orders)).toEqual(['rollback:a:1']);
    expect(failing.persist().counters).toEqual({ a: 1 });
  });

  it('rolls back to the state it was restored with when no reaction succeeded since', () => {
    const source = strategy();
    const sourceSupervisor = new Supervisor([source]);
    for (const ts of [1, 2]) sourceSupervisor.dispatch(timer(ts), contextAt(ts));
    const restored = strategy();
    restored.restore(JSON.parse(JSON.stringify(source.persist())));
    const before = JSON.stringify(restored.persist());
    expect(() => restored.react(timer(3), contextAt(3)())).toThrow('boom');
    expect(JSON.stringify(restored.persist())).not.toBe(before);
    restored.rollback();
    expect(JSON.stringify(restored.persist())).toBe(before);
  });
});
