import type { Snapshot } from 'xstate';

/** One instance as persisted: the input it started with and its XState snapshot (immutable, kept by reference). */
export interface PersistedInstance {
  input: unknown;
  snapshot: Snapshot<unknown>;
}

/** A keyed strategy's state in plain form (what `toJSON` gives and `restore` takes). */
export interface PersistedRecord<Order> {
  orders: Record<string, Order>;
  counters: Record<string, number>;
  actors: Record<string, PersistedInstance>;
}

const MIN_FOLD = 64;

/**
 * What `KeyedMachineStrategy.persist()` returns after every reaction, in O(changes): the instances
 * changed since the previous result (null: ended) on top of that result, read as one record
 * (`actors`, `toJSON`) only when a restart needs it. Once the links and changes on the chain outnumber the
 * instances of the record it starts from (and at least `MIN_FOLD`), the chain is folded into one
 * record: folding costs O(1) a change however many instances there are, reading stays bounded and old
 * snapshots are let go. Immutable: a result says what the strategy was when it was returned,
 * whatever happens after.
 */
export class PersistedState<Order> {
  /** The chain folded (a Map: cheap to copy and to delete from), and as the record `actors` reads, made when first read. */
  private folded: Map<string, PersistedInstance> | null;
  private record: Record<string, PersistedInstance> | null = null;
  private base: PersistedState<Order> | null;
  /** Links and changes on the chain since the last folded record, and how many instances that record holds. */
  private unfolded: number;
  private foldedSize: number;

  private constructor(
    readonly orders: Record<string, Order>,
    readonly counters: Record<string, number>,
    base: PersistedState<Order> | null,
    private readonly changes: ReadonlyMap<string, PersistedInstance | null>,
  ) {
    this.folded = null;
    this.base = base;
    this.unfolded = (base === null ? 0 : base.unfolded) + 1 + changes.size;
    this.foldedSize = base === null ? 0 : base.foldedSize;
    if (this.unfolded >= Math.max(MIN_FOLD, this.foldedSize)) this.fold();
  }

  /** The state after `changes` on top of `base` (none: the first, or after a restore). */
  static next<Order>(base: PersistedState<Order> | null, orders: Record<string, Order>, counters: Record<string, number>, changes: ReadonlyMap<string, PersistedInstance | null>): PersistedState<Order> {
    return new PersistedState(orders, counters, base, changes);
  }

  /** Every instance, in the order they were first persisted (an ended and restarted key goes last). */
  get actors(): Record<string, PersistedInstance> {
    return (this.record ??= Object.fromEntries(this.folded ?? this.fold()));
  }

  toJSON(): PersistedRecord<Order> {
    return { orders: this.orders, counters: this.counters, actors: this.actors };
  }

  private fold(): Map<string, PersistedInstance> {
    const chain: PersistedState<Order>[] = [];
    let from: PersistedState<Order> | null = this;
    while (from !== null && from.folded === null) {
      chain.push(from);
      from = from.base;
    }
    const out = new Map<string, PersistedInstance>(from === null ? undefined : from.folded!);
    for (let i = chain.length - 1; i >= 0; i--) {
      for (const [key, instance] of chain[i].changes) {
        if (instance === null) out.delete(key);
        else out.set(key, instance);
      }
    }
    this.folded = out;
    this.base = null;
    this.unfolded = 0;
    this.foldedSize = out.size;
    return out;
  }
}
