import { SystemClock } from '../events/clock';
import { makeEvent, type AnyEvent, type DerivedEvent, type EventType } from '../events/types';
import { MarketState } from '../streams/marketState';
import { Supervisor } from '../actors/supervisor';
import type { Strategy, StrategyContext } from '../actors/strategies/types';

/** A small real strategy: counts snapshots and emits a decision event with the running count. */
class CountingStrategy implements Strategy {
  readonly handles: ReadonlySet<EventType> = new Set<EventType>(['market_snapshot', 'timer']);
  count = 0;
  constructor(
    readonly name: string,
    private readonly behaviour: (count: number) => Promise<void> | void = () => undefined,
    private readonly log: string[] = [],
  ) {}
  async react(event: AnyEvent, ctx: StrategyContext): Promise<DerivedEvent[]> {
    this.count++;
    this.log.push(`start ${this.name}`);
    await this.behaviour(this.count);
    this.log.push(`end ${this.name}`);
    return [makeEvent('decision', ctx.now, { strategy: this.name, key: String(event.seq), action: 'skip', confidence: this.count, source: 'rules', executed: false, reason: `count ${this.count}` })];
  }
  persist(): unknown {
    return { count: this.count };
  }
  restore(snapshot: unknown): void {
    this.count = (snapshot as { count: number }).count;
  }
}

const clock = new SystemClock();
const markets = new MarketState();
const ctx = (now: number) => (): StrategyContext => ({ now, markets, position: () => '0' });
const snapshot = (seq: number, ts: number) => ({ ...makeEvent('market_snapshot', ts, { source: 'gamma', request: '/markets', markets: [] }), seq });

async function run(strategies: Strategy[], events = 6): Promise<DerivedEvent[]> {
  const sup = new Supervisor(strategies, { deadlineMs: 100, deadlineClock: clock });
  const out: DerivedEvent[] = [];
  for (let i = 1; i <= events; i++) out.push(...(await sup.dispatch(snapshot(i, i * 1000), ctx(i * 1000))));
  return out;
}

const decisionsOf = (name: string, events: DerivedEvent[]) => events.filter((e) => e.type === 'decision' && e.strategy === name);

describe('Supervisor', () => {
  it('starts every strategy before any finishes (fan-out, not one after another)', async () => {
    const log: string[] = [];
    const sleep = () => clock.sleep(30);
    const sup = new Supervisor(
      [new CountingStrategy('a', sleep, log), new CountingStrategy('b', sleep, log), new CountingStrategy('c', sleep, log)],
      { deadlineMs: 1000, deadlineClock: clock },
    );
    const out = await sup.dispatch(snapshot(1, 1000), ctx(1000));
    expect(log.slice(0, 3).sort()).toEqual(['start a', 'start b', 'start c']);
    expect(out.map((e) => (e as { strategy: string }).strategy)).toEqual(['a', 'b', 'c']);
  });

  it('returns outputs in registration order whatever order reactions settle in', async () => {
    const slowFirst = new CountingStrategy('slow', () => clock.sleep(40));
    const fast = new CountingStrategy('fast');
    const out = await run([slowFirst, fast], 2);
    expect(out.map((e) => (e as { strategy: string }).strategy)).toEqual(['slow', 'fast', 'slow', 'fast']);
  });

  it('isolates a strategy that throws on every snapshot: reported by name, the others unchanged', async () => {
    const clean = await run([new CountingStrategy('flash'), new CountingStrategy('negrisk')]);
    const withThrower = await run([
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
    expect(errors[0]).toMatchObject({ type: 'error', source: 'broken', kind: 'throw', message: 'boom' });
  });

  it('times out a strategy that hangs without delaying the others beyond the deadline', async () => {
    const clean = await run([new CountingStrategy('flash')], 3);
    const sup = new Supervisor([new CountingStrategy('flash'), new CountingStrategy('hangs', () => new Promise(() => undefined))], { deadlineMs: 50, deadlineClock: clock });
    const out: DerivedEvent[] = [];
    for (let i = 1; i <= 3; i++) out.push(...(await sup.dispatch(snapshot(i, i * 1000), ctx(i * 1000))));
    expect(decisionsOf('flash', out)).toEqual(decisionsOf('flash', clean));
    const errors = out.filter((e) => e.type === 'error');
    expect(errors.map((e) => (e as { source: string; kind: string }).kind)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(sup.health().find((h) => h.name === 'hangs')).toMatchObject({ timeouts: 3, restarts: 3, stopped: false });
  });

  it('restarts a failing strategy from its last good state', async () => {
    let calls = 0;
    const flaky = new CountingStrategy('flaky', () => {
      if (++calls === 3) throw new Error('third snapshot breaks it');
    });
    const out = await run([flaky], 5);
    // Snapshots 1, 2 succeed (count 1, 2); 3 fails and the count is restored to 2; 4 and 5 give 3 and 4.
    expect(decisionsOf('flaky', out).map((e) => (e as { confidence: number }).confidence)).toEqual([1, 2, 3, 4]);
    expect(out.filter((e) => e.type === 'error')).toHaveLength(1);
  });

  it('stops only the strategy whose restart fails', async () => {
    const unrecoverable = new CountingStrategy('unrecoverable', () => {
      throw new Error('always');
    });
    unrecoverable.restore = () => {
      throw new Error('state lost');
    };
    const sup = new Supervisor([unrecoverable, new CountingStrategy('ok')], { deadlineMs: 100, deadlineClock: clock });
    const first = await sup.dispatch(snapshot(1, 1000), ctx(1000));
    expect(first.filter((e) => e.type === 'error').map((e) => (e as { message: string }).message)).toEqual(['always', 'restart failed, strategy stopped: state lost']);
    const second = await sup.dispatch(snapshot(2, 2000), ctx(2000));
    expect(second.map((e) => (e as { strategy?: string }).strategy)).toEqual(['ok']);
  });
});
