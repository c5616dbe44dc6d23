import { getAdjacencyMap, getShortestPaths, getSimplePaths } from 'xstate/graph';
import { isFinal, isSettled, orderLifecycleMachine, orderStep, sentOrder, ORDER_STATUSES, type OrderLifecycleEvent, type OrderProgress, type OrderStatus } from '../domain/orderLifecycle';

/** An order of 10 shares; fills of 4 (part), 6 (the rest after a part), 10 (all at once), and a paper partial (4, rest cancelled). */
const EVENTS: OrderLifecycleEvent[] = [
  { type: 'ACK' },
  { type: 'FILL', size: '4', restCancelled: false },
  { type: 'FILL', size: '6', restCancelled: false },
  { type: 'FILL', size: '10', restCancelled: false },
  { type: 'FILL', size: '4', restCancelled: true },
  { type: 'REJECT' },
  { type: 'CANCEL' },
  { type: 'EXPIRE' },
  { type: 'GIVE_UP' },
];
const label = (e: OrderLifecycleEvent) => (e.type === 'FILL' ? `FILL ${e.size}${e.restCancelled ? ' rest cancelled' : ''}` : e.type);
const key = (status: string, filled: string) => `${status}/${filled}`;

/**
 * Every transition, written out by hand from the lifecycle's contract (docs/architecture.md): from each
 * reachable (status, shares filled), each event's result. Missing events leave the order unchanged.
 */
const EXPECTED: Record<string, Record<string, string>> = {
  'sent/0': { ACK: 'acknowledged/0', 'FILL 4': 'partiallyFilled/4', 'FILL 6': 'partiallyFilled/6', 'FILL 10': 'filled/10', 'FILL 4 rest cancelled': 'cancelled/4', REJECT: 'rejected/0', CANCEL: 'cancelled/0', EXPIRE: 'expired/0', GIVE_UP: 'givenUp/0' },
  'acknowledged/0': { 'FILL 4': 'partiallyFilled/4', 'FILL 6': 'partiallyFilled/6', 'FILL 10': 'filled/10', 'FILL 4 rest cancelled': 'cancelled/4', REJECT: 'rejected/0', CANCEL: 'cancelled/0', EXPIRE: 'expired/0', GIVE_UP: 'givenUp/0' },
  'partiallyFilled/4': { 'FILL 4': 'partiallyFilled/8', 'FILL 6': 'filled/10', 'FILL 10': 'filled/14', 'FILL 4 rest cancelled': 'cancelled/8', REJECT: 'rejected/4', CANCEL: 'cancelled/4', EXPIRE: 'expired/4', GIVE_UP: 'givenUp/4' },
  'partiallyFilled/6': { 'FILL 4': 'filled/10', 'FILL 6': 'filled/12', 'FILL 10': 'filled/16', 'FILL 4 rest cancelled': 'filled/10', REJECT: 'rejected/6', CANCEL: 'cancelled/6', EXPIRE: 'expired/6', GIVE_UP: 'givenUp/6' },
  'partiallyFilled/8': { 'FILL 4': 'filled/12', 'FILL 6': 'filled/14', 'FILL 10': 'filled/18', 'FILL 4 rest cancelled': 'filled/12', REJECT: 'rejected/8', CANCEL: 'cancelled/8', EXPIRE: 'expired/8', GIVE_UP: 'givenUp/8' },
  'givenUp/0': { ACK: 'acknowledged/0', 'FILL 4': 'givenUp/4', 'FILL 6': 'givenUp/6', 'FILL 10': 'filled/10', 'FILL 4 rest cancelled': 'cancelled/4', REJECT: 'rejected/0', CANCEL: 'cancelled/0', EXPIRE: 'expired/0' },
  'givenUp/4': { ACK: 'partiallyFilled/4', 'FILL 4': 'givenUp/8', 'FILL 6': 'filled/10', 'FILL 10': 'filled/14', 'FILL 4 rest cancelled': 'cancelled/8', REJECT: 'rejected/4', CANCEL: 'cancelled/4', EXPIRE: 'expired/4' },
  'givenUp/6': { ACK: 'partiallyFilled/6', 'FILL 4': 'filled/10', 'FILL 6': 'filled/12', 'FILL 10': 'filled/16', 'FILL 4 rest cancelled': 'filled/10', REJECT: 'rejected/6', CANCEL: 'cancelled/6', EXPIRE: 'expired/6' },
  'givenUp/8': { ACK: 'partiallyFilled/8', 'FILL 4': 'filled/12', 'FILL 6': 'filled/14', 'FILL 10': 'filled/18', 'FILL 4 rest cancelled': 'filled/12', REJECT: 'rejected/8', CANCEL: 'cancelled/8', EXPIRE: 'expired/8' },
};

const serializeState = (s: { value: unknown; context: { filled: string } }) => key(s.value as string, s.context.filled);

describe('order lifecycle statechart', () => {
  const adjacency = getAdjacencyMap(orderLifecycleMachine, { input: { size: '10' }, events: EVENTS, serializeState, serializeEvent: label });

  it('has exactly the hand-written transitions from every reachable state (xstate graph traversal)', () => {
    const got: Record<string, Record<string, string>> = {};
    for (const [state, { transitions }] of Object.entries(adjacency)) {
      if (isFinal(state.split('/')[0] as OrderStatus)) {
        // Final states take no event.
        for (const t of Object.values(transitions) as { state: { value: unknown; context: { filled: string } } }[]) expect(serializeState(t.state)).toBe(state);
        continue;
      }
      got[state] = {};
      for (const [event, t] of Object.entries(transitions) as [string, { state: { value: unknown; context: { filled: string } } }][]) {
        const next = serializeState(t.state);
        if (next !== state) got[state][event] = next;
      }
    }
    expect(got).toEqual(EXPECTED);
  });

  it('reaches every status, and every final status is final', () => {
    const reached = new Set(Object.keys(adjacency).map((s) => s.split('/')[0]));
    expect([...reached].sort()).toEqual([...ORDER_STATUSES].sort());
    const paths = getShortestPaths(orderLifecycleMachine, { input: { size: '10' }, events: EVENTS, serializeState, serializeEvent: label });
    for (const p of paths) expect(isFinal(p.state.value as OrderStatus)).toBe(p.state.status === 'done');
  });

  it('the pure step (used by the folds) agrees with the statechart on every simple path', () => {
    const paths = getSimplePaths(orderLifecycleMachine, { input: { size: '10' }, events: EVENTS, serializeState, serializeEvent: label });
    expect(paths.length).toBeGreaterThan(50);
    for (const path of paths) {
      let o: OrderProgress = sentOrder('10');
      for (const step of path.steps.slice(1)) {
        o = orderStep(o, step.event as OrderLifecycleEvent);
        expect(key(o.status, o.filled)).toBe(serializeState(step.state));
      }
    }
  });

  it('counts late fills after a give-up, and the last share ends the order filled', () => {
    let o = sentOrder('10');
    o = orderStep(o, { type: 'FILL', size: '3', restCancelled: false });
    expect(o).toEqual({ status: 'partiallyFilled', size: '10', filled: '3' });
    o = orderStep(o, { type: 'GIVE_UP' });
    expect([o.status, isSettled(o.status), isFinal(o.status)]).toEqual(['givenUp', true, false]);
    o = orderStep(o, { type: 'FILL', size: '2.5', restCancelled: false });
    expect(o).toEqual({ status: 'givenUp', size: '10', filled: '5.5' });
    o = orderStep(o, { type: 'FILL', size: '4.5', restCancelled: false });
    expect(o).toEqual({ status: 'filled', size: '10', filled: '10' });
    // A final order does not move: a duplicate fill is not counted twice.
    expect(orderStep(o, { type: 'FILL', size: '1', restCancelled: false })).toBe(o);
  });

  it('a given-up order the venue acknowledges late is working again', () => {
    const o = orderStep(orderStep(sentOrder('5'), { type: 'GIVE_UP' }), { type: 'ACK' });
    expect([o.status, isSettled(o.status)]).toEqual(['acknowledged', false]);
  });
});
