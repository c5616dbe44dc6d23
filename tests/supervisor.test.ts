import { makeEvent, type AnyEvent, type DerivedEvent, type EventType } from '../events/types';
import { MarketState } from '../domain/market/marketState';
import { Supervisor } from '../actors/supervisor';
import type { Strategy, StrategyContext } from '../actors/strategies/types';

/** A small real strategy: counts snapshots and emits a decision event with the running count. */
class CountingStrategy implements Strategy {
  readonly handles: ReadonlySet<EventType> = new Set<EventType>(['market_snapshot', 'timer']);
  count = 0;
  persists = 0;
  constructor(
    readonly name: string,
    private readonly behaviour: (count: number) => void = () => undefined,
  ) {}
  react(event: AnyEvent, ctx: StrategyContext): DerivedEvent[] {
    this.count++;
    this.behaviour(this.count);
    return [makeEvent('decision', ctx.now, { strategy: this.name, key: String(event.seq), action: 'skip', confidence: this.count, source: 'rules', executed: false, reason: `count ${this.count}` })];
  }
  persist(): unknown {
    this.persists++;
    return { count: this.count };
  }
  restore(snapshot: unknown): void {
    this.count = (snapshot as { count: number }).count;
  }
}

const markets = new MarketState();
const ctx = (now: number) => (): StrategyContext => ({ now, markets, position: () => '0' });
const snapshot = (seq: number, ts: number) => ({ ...makeEvent('market_snapshot', ts, { source: 'gamma', request: '/markets', markets: [] }), seq });

function run(strategies: Strategy[], events = 6): DerivedEvent[] {
  const sup = new Supervisor(strategies);
  const out: DerivedEvent[] = [];
  for (let i = 1; i <= events; i++) out.push(...sup.dispatch(snapshot(i, i * 1000), ctx(i * 1000)));
  return out;
}

const decisionsOf = (name: string, events: DerivedEvent[]) => events.filter((e) => e.type === 'decision' && e.strategy === name);

describe('Supervisor', () => {
  it('answers synchronously, in registration order', () => {
    const sup = new Supervisor([new CountingStrategy('a'), new CountingStrategy('b'), new CountingStrategy('c')]);
    const out = sup.dispatch(snapshot(1, 1000), ctx(1000));
    expect(Array.isArray(out)).toBe(true);
    expect(out.map((e) => (e as { strategy: string }).strategy)).toEqual(['a', 'b', 'c']);
  });

  it('isolates a strategy that throws on every snapshot: reported by name, the others unchanged', () => {
    const clean = run([new CountingStrategy('flash'), new CountingStrategy('negrisk')]);
    const withThrower = run([
      new CountingStrategy('flash'),
      new CountingStrategy('broken', () => {
        throw new Error('boom');
      }),
      new CountingStrategy('negrisk'),
    ]);
    expect(decisionsOf('flash', withThrower)).toEqual(decisionsOf('flash', clean));
    expect(decisionsOf('negrisk', withThrower)).toEqual(decisionsOf('negrisk', clean));
    const errors = withThrower.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(6);
    expect(errors[0]).toMatchObject({ type: 'error', source: 'broken', kind: 'throw', message: 'boom', ts: 1000 });
    expect(errors.map((e) => e.ts)).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
  });

  it('restarts a failing strategy from its last good state', () => {
    let calls = 0;
    const flaky = new CountingStrategy('flaky', () => {
      if (++calls === 3) throw new Error('third snapshot breaks it');
    });
    const sup = new Supervisor([flaky]);
    const out: DerivedEvent[] = [];
    for (let i = 1; i <= 5; i++) out.push(...sup.dispatch(snapshot(i, i * 1000), ctx(i * 1000)));
    // Snapshots 1, 2 succeed (count 1, 2); 3 fails and the count is restored to 2; 4 and 5 give 3 and 4.
    expect(decisionsOf('flaky', out).map((e) => (e as { confidence: number }).confidence)).toEqual([1, 2, 3, 4]);
    expect(out.filter((e) => e.type === 'error')).toEqual([expect.objectContaining({ source: 'flaky', kind: 'throw', message: 'third snapshot breaks it', ts: 3000 })]);
    expect(flaky.count).toBe(4);
    expect(sup.health()).toEqual([{ name: 'flaky', errors: 1, restarts: 1, stopped: false }]);
  });

  it('restarts a strategy that breaks the contract by answering with a promise', () => {
    const asyncOne: Strategy = {
      name: 'async_one',
      handles: new Set<EventType>(['market_snapshot']),
      react: (() => Promise.resolve([])) as unknown as Strategy['react'],
      persist: () => ({}),
      restore: () => undefined,
    };
    const out = run([asyncOne, new CountingStrategy('ok')], 2);
    expect(out.filter((e) => e.type === 'error').map((e) => (e as { message: string }).message)).toEqual([
      'react returned a promise for market_snapshot (seq 1); a strategy reacts synchronously with an array of events',
      'react returned a promise for market_snapshot (seq 2); a strategy reacts synchronously with an array of events',
    ]);
    expect(decisionsOf('ok', out)).toHaveLength(2);
  });

  it('stops only the strategy whose restart fails', () => {
    const unrecoverable = new CountingStrategy('unrecoverable', () => {
      throw new Error('always');
    });
    unrecoverable.restore = () => {
      throw new Error('state lost');
    };
    const sup = new Supervisor([unrecoverable, new CountingStrategy('ok')]);
    const first = sup.dispatch(snapshot(1, 1000), ctx(1000));
    expect(first.filter((e) => e.type === 'error').map((e) => (e as { message: string }).message)).toEqual(['always', 'restart failed, strategy stopped: state lost']);
    const second = sup.dispatch(snapshot(2, 2000), ctx(2000));
    expect(second.map((e) => (e as { strategy?: string }).strategy)).toEqual(['ok']);
    expect(sup.health().map((h) => h.stopped)).toEqual([true, false]);
  });
});
