import { makeEvent, type AnyEvent, type DerivedEvent } from '../events/types';
import type { Strategy, StrategyContext } from './strategies/types';

export interface StrategyHealth {
  name: string;
  errors: number;
  restarts: number;
  /** A strategy whose restore failed is stopped; the others go on. */
  stopped: boolean;
}

interface Supervised {
  strategy: Strategy;
  /** The strategy marks its last good state itself (`checkpoint` / `rollback`); else `lastGood` holds its `persist()`. */
  marks: boolean;
  lastGood: unknown;
  health: StrategyHealth;
}

/**
 * Hands each event to every strategy that handles it, one after another in registration order (so
 * the event log is the same in every replay), synchronously: no promise, no timer, no wall clock.
 * A strategy that throws (or breaks the contract by returning something other than an array of
 * events, e.g. a promise) is reported by name as an `error` event and restarted from its last good
 * state; the others see the event as if it had not failed. A strategy that never returns blocks
 * the process: the live service's watchdog (actors/service/watchdog.ts) catches that from outside
 * the event path, and a replay of the same log would hang the same way, so nothing here guesses.
 */
export class Supervisor {
  private readonly supervised: Supervised[];

  constructor(strategies: Strategy[]) {
    const names = new Set<string>();
    for (const s of strategies) {
      if (names.has(s.name)) throw new Error(`two strategies are named ${s.name}`);
      names.add(s.name);
    }
    this.supervised = strategies.map((strategy) => {
      const marks = typeof strategy.checkpoint === 'function' && typeof strategy.rollback === 'function';
      if (marks) strategy.checkpoint!();
      return { strategy, marks, lastGood: marks ? null : strategy.persist(), health: { name: strategy.name, errors: 0, restarts: 0, stopped: false } };
    });
  }

  get strategies(): readonly Strategy[] {
    return this.supervised.map((s) => s.strategy);
  }

  health(): StrategyHealth[] {
    return this.supervised.map((s) => ({ ...s.health }));
  }

  /** True when at least one running strategy handles this event type. */
  wants(type: AnyEvent['type']): boolean {
    return this.handlersOf(type).length > 0;
  }

  /** Per event type, the running strategies that handle it, in registration order (cleared when a strategy stops). */
  private readonly handlers = new Map<AnyEvent['type'], readonly Supervised[]>();

  private handlersOf(type: AnyEvent['type']): readonly Supervised[] {
    let list = this.handlers.get(type);
    if (list === undefined) {
      list = this.supervised.filter((s) => !s.health.stopped && s.strategy.handles.has(type));
      this.handlers.set(type, list);
    }
    return list;
  }

  dispatch(event: AnyEvent, contextFor: (strategy: Strategy) => StrategyContext): DerivedEvent[] {
    let out: DerivedEvent[] | null = null;
    for (const s of this.handlersOf(event.type)) {
      const reaction = this.react(s, event, contextFor(s.strategy));
      if (reaction.length === 0) continue;
      // A strategy's own array is returned as it is (never written to: it may be a shared constant).
      out = out === null ? reaction : out.concat(reaction);
    }
    return out ?? [];
  }

  private react(s: Supervised, event: AnyEvent, ctx: StrategyContext): DerivedEvent[] {
    try {
      const out: unknown = s.strategy.react(event, ctx);
      if (!Array.isArray(out)) throw new Error(`react returned ${describe(out)} for ${event.type} (seq ${event.seq}); a strategy reacts synchronously with an array of events`);
      if (s.marks) s.strategy.checkpoint!();
      else s.lastGood = s.strategy.persist();
      return out as DerivedEvent[];
    } catch (err) {
      s.health.errors++;
      const events: DerivedEvent[] = [makeEvent('error', event.ts, { source: s.strategy.name, kind: 'throw', message: errorMessage(err) })];
      try {
        if (s.marks) s.strategy.rollback!();
        else s.strategy.restore(s.lastGood);
        s.health.restarts++;
      } catch (restoreErr) {
        s.health.stopped = true;
        this.handlers.clear();
        events.push(makeEvent('error', event.ts, { source: s.strategy.name, kind: 'throw', message: `restart failed, strategy stopped: ${errorMessage(restoreErr)}` }));
      }
      return events;
    }
  }
}

function describe(value: unknown): string {
  if (typeof (value as { then?: unknown } | null)?.then === 'function') return 'a promise';
  return value === null ? 'null' : typeof value;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
