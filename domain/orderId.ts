/**
 * Order ids, from one generator. An id names the strategy, the key of the instance that sent the
 * order (a token, an asset, a negRisk event) and the sequence number of the order among that key's
 * orders, counted from 1 over every instance the key ever had (one that ended and came back goes on
 * counting). The strategy wrapper owns the generator and hands each delivery's next id to the
 * machine (`MachineEvent.nextOrder`): the machine names its orders from it and never counts itself.
 *
 * In events and at the venue (the client order id) an id is its text, `<strategy>:<key>:<seq>`.
 */

export interface OrderId {
  readonly strategy: string;
  readonly key: string;
  /** From 1, per (strategy, key). */
  readonly seq: number;
}

export function orderIdText(id: OrderId): string {
  return `${id.strategy}:${id.key}:${id.seq}`;
}

/** The `n`th id from `next` (n = 0 is `next` itself): the ids of several orders emitted at once. */
export function orderIdAfter(next: OrderId, n: number): OrderId {
  return { strategy: next.strategy, key: next.key, seq: next.seq + n };
}

const TEXT = /^([^:]+):(.*):([1-9]\d*)$/;

/**
 * The fields of an id's text, or null when it is not one. Only for ids that come back as text from
 * outside a strategy (a live order's answers, an old log): strategies compare ids, never parse them.
 */
export function parseOrderId(text: string): OrderId | null {
  const m = TEXT.exec(text);
  return m ? { strategy: m[1], key: m[2], seq: Number(m[3]) } : null;
}

/** The one order-id generator: per (strategy, key) sequence numbers, persisted with the strategy. */
export class OrderIdGenerator {
  private readonly seqs: Map<string, number>;
  /**
   * Each key's count before its first `take` since the last `checkpoint` (undefined: the key had none):
   * what `rollback` puts back. Only the keys taken from are kept, so a checkpoint costs nothing however
   * many keys a long run has counted (a copy of every count per order grew with the run).
   */
  private before: Map<string, number | undefined> | null = null;

  constructor(
    readonly strategy: string,
    sent: Record<string, number> = {},
  ) {
    this.seqs = new Map(Object.entries(sent));
  }

  /** The id the key's next order will get. */
  peek(key: string): OrderId {
    return { strategy: this.strategy, key, seq: (this.seqs.get(key) ?? 0) + 1 };
  }

  /** Takes the key's next id. */
  take(key: string): OrderId {
    const id = this.peek(key);
    const before = (this.before ??= new Map());
    if (!before.has(key)) before.set(key, this.seqs.get(key));
    this.seqs.set(key, id.seq);
    return id;
  }

  /** The counts now are the last good ones. */
  checkpoint(): void {
    this.before = null;
  }

  /** Back to the counts at the last checkpoint. */
  rollback(): void {
    for (const [key, seq] of this.before ?? []) {
      if (seq === undefined) this.seqs.delete(key);
      else this.seqs.set(key, seq);
    }
    this.before = null;
  }

  /** Orders the key has been given ids for, ended instances included. */
  sent(key: string): number {
    return this.seqs.get(key) ?? 0;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.seqs);
  }
}

/** What the wrapper adds to every event it delivers to a strategy machine: the id the key's next order gets. */
export interface HandedOrderId {
  nextOrder?: OrderId;
}

/**
 * The texts of the ids of `n` orders a machine emits on an event, from the id the wrapper handed with
 * it. An event without one never came through the wrapper: a machine cannot send orders on it.
 */
export function handedOrderIds(event: HandedOrderId, n: number): string[] {
  const next = event.nextOrder;
  if (next === undefined) throw new Error('a strategy machine emits orders only on events the strategy wrapper delivered (they carry nextOrder)');
  return Array.from({ length: n }, (_, i) => orderIdText(orderIdAfter(next, i)));
}
