import type { Clock } from '../events/clock';
import { makeEvent, type AnyEvent, type DerivedEvent } from '../events/types';
import type { Strategy, StrategyContext } from './strategies/types';

export interface SupervisorOptions {
  /** Each strategy's reaction must settle within this (wall time: it guards against hangs, not market time). */
  deadlineMs: number;
  /** The clock for deadlines: the system clock, also in replays (a hang is a real-world event). */
  deadlineClock: Clock;
}

export interface StrategyHealth {
  name: string;
  errors: number;
  timeouts: number;
  restarts: number;
  /** A strategy whose restore failed is stopped; the others go on. */
  stopped: boolean;
}

class DeadlineExceeded extends Error {}

interface Supervised {
  strategy: Strategy;
  lastGood: unknown;
  health: StrategyHealth;
  /** Bumped on every restart, so a late answer of a timed-out reaction is ignored. */
  generation: number;
}

/**
 * Fans each event out to every strategy that handles it, all at once, and awaits each reaction
 * with a deadline. A strategy that throws or times out is reported by name as an `error` event and
 * restarted from its last good state; it never delays or stops the others beyond the deadline.
 * Outputs are returned in the strategies' registration order, whatever order they settle in, so
 * the event log is the same in every replay.
 */
export class Supervisor {
  private readonly supervised: Supervised[];

  constructor(
    strategies: Strategy[],
    private readonly options: SupervisorOptions,
  ) {
    const names = new Set<string>();
    for (const s of strategies) {
      if (names.has(s.name)) throw new Error(`two strategies are named ${s.name}`);
      names.add(s.name);
    }
    this.supervised = strategies.map((strategy) => ({
      strategy,
      lastGood: strategy.persist(),
      health: { name: strategy.name, errors: 0, timeouts: 0, restarts: 0, stopped: false },
      generation: 0,
    }));
  }

  get strategies(): readonly Strategy[] {
    return this.supervised.map((s) => s.strategy);
  }

  health(): StrategyHealth[] {
    return this.supervised.map((s) => ({ ...s.health }));
  }

  /** True when at least one running strategy handles this event type. */
  wants(type: AnyEvent['type']): boolean {
    return this.supervised.some((s) => !s.health.stopped && s.strategy.handles.has(type));
  }

  async dispatch(event: AnyEvent, contextFor: (strategy: Strategy) => StrategyContext): Promise<DerivedEvent[]> {
    const targets = this.supervised.filter((s) => !s.health.stopped && s.strategy.handles.has(event.type));
    if (targets.length === 0) return [];
    const settled = await Promise.all(targets.map((s) => this.react(s, event, contextFor(s.strategy))));
    return settled.flat();
  }

  private async react(s: Supervised, event: AnyEvent, ctx: StrategyContext): Promise<DerivedEvent[]> {
    const generation = s.generation;
    let timer: number | undefined;
    try {
      const reaction = Promise.resolve().then(() => s.strategy.react(event, ctx));
      const deadline = new Promise<never>((_, reject) => {
        timer = this.options.deadlineClock.setTimeout(() => reject(new DeadlineExceeded()), this.options.deadlineMs);
      });
      const out = await Promise.race([reaction, deadline]);
      if (generation !== s.generation) return [];
      s.lastGood = s.strategy.persist();
      return out;
    } catch (err) {
      const timedOut = err instanceof DeadlineExceeded;
      if (timedOut) s.health.timeouts++;
      else s.health.errors++;
      const message = timedOut ? `no reaction to ${event.type} (seq ${event.seq}) within ${this.options.deadlineMs} ms` : errorMessage(err);
      const events: DerivedEvent[] = [makeEvent('error', event.ts, { source: s.strategy.name, kind: timedOut ? 'timeout' : 'throw', message })];
      s.generation++;
      try {
        s.strategy.restore(s.lastGood);
        s.health.restarts++;
      } catch (restoreErr) {
        s.health.stopped = true;
        events.push(makeEvent('error', event.ts, { source: s.strategy.name, kind: 'throw', message: `restart failed, strategy stopped: ${errorMessage(restoreErr)}` }));
      }
      return events;
    } finally {
      if (timer !== undefined) this.options.deadlineClock.clearTimeout(timer);
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
