import { createActor, type Actor, type ActorScope, type AnyMachineSnapshot, type AnyStateMachine, type EventFromLogic, type InputFrom, type InspectionEvent, type Snapshot, type SnapshotFrom } from 'xstate';
import { quietStep, StepMemo } from '../../machines/quietStep';
import { OrderIdGenerator, orderIdText, type HandedOrderId } from '../../domain/orderId';
import { isFinal, isOverdue, isSettled, orderStep, sentOrder, type OrderProgress } from '../../domain/orderLifecycle';
import { makeEvent, type AnyEvent, type DerivedEvent, type EventBody, type EventType, type OrderIntentBody } from '../../events/types';
import type { Strategy, StrategyContext } from './types';

/** What a strategy machine may `emit`: derived-event bodies (no v/seq/ts), stamped by the wrapper; an order under the id handed to it. */
export type MachineOutput = (OrderIntentBody & { orderId: string }) | Omit<EventBody<'decision'>, 'strategy'> | Omit<EventBody<'llm_request'>, 'strategy'>;

/** One machine event for one keyed instance; `input` creates the instance when it does not exist yet. */
export interface Delivery<M extends AnyStateMachine> {
  key: string;
  /** A new object for this delivery alone: the wrapper hands it the id of the key's next order (`nextOrder`). */
  event: EventFromLogic<M>;
  input?: InputFrom<M>;
}

export interface KeyedMachineSpec<M extends AnyStateMachine> {
  name: string;
  machine: M;
  handles: EventType[];
  /**
   * Which instances an event goes to, as which machine events. Fills and rejections of the
   * strategy's own orders are routed by the wrapper (as `{type:'FILL', fill}` / `{type:'REJECTED',
   * rejection}`), not here. `keys` are the instances that exist now; `hasOpenOrder(key)` whether an
   * instance has an order without its final answer (an instance must not end before its fills arrive).
   */
  route(event: AnyEvent, ctx: StrategyContext, keys: ReadonlySet<string>, hasOpenOrder: (key: string) => boolean): Delivery<M>[];
  /**
   * The strategy's `orderTimeoutMs`: an order with no final answer this long after it was sent (event time) is
   * given up, as the machine gives it up, and the wrapper asks for it to be cancelled (`cancel_intent`, once).
   * Absent: orders are never cancelled.
   */
  orderTimeoutMs?: number;
  /**
   * True when `next` can change nothing in an instance in `state` whose latest event was `last`
   * (null when it has had none since it started) and whose snapshot is `snapshot`, e.g. the same quote
   * again within one instant, once per book of it: it is then not sent. Optional; it must be sure (the
   * log and the instance's snapshot must stay the same).
   */
  changesNothing?(state: string, last: EventFromLogic<M> | null, next: EventFromLogic<M>, snapshot: SnapshotFrom<M>): boolean;
}

export interface KeyedMachineOptions {
  /**
   * XState inspection (e.g. the visualizer's `InspectionHub.inspect`): every instance then runs as an
   * XState actor named `<strategy>/<key>` and every event goes through the interpreter, so the
   * visualizer sees each one. Without it, instances are snapshots stepped by XState's pure API
   * (`transition`), and events that move no state by `quietStep` (machines/quietStep.ts): the same
   * snapshots, states and outputs, several times cheaper.
   */
  inspect?: (event: InspectionEvent) => void;
}

/** One instance as persisted: the input it started with and its XState snapshot (immutable, kept by reference). */
export interface PersistedInstance {
  input: unknown;
  snapshot: Snapshot<unknown>;
}

/** A keyed strategy's state in plain form (what `persist` gives and `restore` takes). */
export interface PersistedRecord<Order> {
  orders: Record<string, Order>;
  counters: Record<string, number>;
  actors: Record<string, PersistedInstance>;
}

interface OwnedOrder {
  key: string;
  order: OrderProgress;
  /** Event time the order was sent. */
  sentAt: number;
}

interface Instance<M extends AnyStateMachine> {
  /** The machine's current snapshot (XState's, immutable). */
  snapshot: AnyMachineSnapshot;
  /** The running actor when inspected (the visualizer), else null. */
  actor: Actor<M> | null;
  input: unknown;
  state: string;
  /** The latest event sent to it (for `changesNothing`). */
  last: EventFromLogic<M> | null;
  /** What `quietStep` knows of the snapshot it made last. */
  memo: StepMemo;
  /** The checkpoint since which its fields are saved in the undo list (-1: never). */
  savedIn: number;
}

/** The fields of an instance that a reaction changes, as they were at the last checkpoint (`entry` null: it did not exist then). */
type Undo<M extends AnyStateMachine> = Pick<Instance<M>, 'snapshot' | 'state' | 'last'> & { key: string; entry: Instance<M> | null };

/**
 * Runs one XState machine per key (a token, an asset, a negRisk event) as a `Strategy`: routes
 * events to instances, hands each delivery the id the key's next order gets (the one order-id
 * generator, domain/orderId.ts: ids go on over ended instances, so they are unique and the same in
 * every replay), stamps what instances emit and reports every state change as a `strategy_state` event.
 */
export class KeyedMachineStrategy<M extends AnyStateMachine> implements Strategy {
  readonly name: string;
  readonly handles: ReadonlySet<EventType>;
  private actors = new Map<string, Instance<M>>();
  /** The keys of `actors`, kept as a set for the routes (not rebuilt per event). */
  private readonly keys = new Set<string>();
  /** Open orders: the instance that sent each, and where the order is in its lifecycle. */
  private orderOwner = new Map<string, OwnedOrder>();
  private orderIds: OrderIdGenerator;
  /**
   * The last good state (`checkpoint`) as what changed since it: each instance's fields before its first
   * change, the open orders and id counters before theirs, the instances' order before the first one
   * ended. A checkpoint after every reaction then costs nothing where nothing changed, and what it
   * keeps dies young. Inspected instances (XState actors) cannot be put back: then a full `persist()`.
   */
  private checkpoints = 0;
  private undo: Undo<M>[] = [];
  private savedOrders: Map<string, OwnedOrder> | null = null;
  private savedKeyOrder: string[] | null = null;
  private inspectedCheckpoint: PersistedRecord<OwnedOrder> | null = null;
  private outbox: DerivedEvent[] = [];
  private now = 0;
  /** The actor scope of pure steps (built on first use). */
  private inertScope: ActorScope<AnyMachineSnapshot, never> | null = null;

  constructor(
    private readonly spec: KeyedMachineSpec<M>,
    private readonly options: KeyedMachineOptions = {},
  ) {
    this.name = spec.name;
    this.orderIds = new OrderIdGenerator(spec.name);
    this.handles = new Set<EventType>([...spec.handles, 'fill', 'risk_rejection']);
  }

  react(event: AnyEvent, ctx: StrategyContext): DerivedEvent[] {
    this.now = ctx.now;
    this.outbox = [];
    if (event.type === 'fill' || event.type === 'risk_rejection') {
      const open = this.orderOwner.get(event.orderId);
      if (open !== undefined) {
        const machineEvent = event.type === 'fill' ? { type: 'FILL', ts: event.ts, fill: event } : { type: 'REJECTED', ts: event.ts, rejection: event };
        // A rejection, a fill marked partial (the rest is cancelled) or the last share filled ends the order.
        const order = orderStep(open.order, event.type === 'fill' ? { type: 'FILL', size: event.size, restCancelled: event.partial } : { type: 'REJECT' });
        this.saveOrders();
        if (isFinal(order.status)) this.orderOwner.delete(event.orderId);
        else this.orderOwner.set(event.orderId, { ...open, order });
        this.deliver({ key: open.key, event: machineEvent as EventFromLogic<M> });
      }
      // Fills of other strategies' orders may still matter to a route (e.g. exposure): fall through.
      if (!this.spec.handles.includes(event.type)) return this.cancelOverdue();
    }
    for (const d of this.spec.route(event, ctx, this.keys, this.hasOpenOrderOf)) this.deliver(d);
    return this.cancelOverdue();
  }

  /**
   * Orders unanswered `orderTimeoutMs` after they were sent are given up (late fills still reach their
   * instance) and cancelled at the venue: one `cancel_intent` each, after the reaction's own outputs.
   */
  private cancelOverdue(): DerivedEvent[] {
    const timeout = this.spec.orderTimeoutMs;
    if (timeout === undefined || this.orderOwner.size === 0) return this.outbox;
    for (const [orderId, open] of this.orderOwner) {
      if (isSettled(open.order.status) || !isOverdue(open.sentAt, this.now, timeout)) continue;
      this.saveOrders();
      this.orderOwner.set(orderId, { ...open, order: orderStep(open.order, { type: 'GIVE_UP' }) });
      const detail = `no final answer ${this.now - open.sentAt} ms after it was sent (orderTimeoutMs ${timeout}); ${open.order.filled} of ${open.order.size} filled`;
      this.outbox.push(makeEvent('cancel_intent', this.now, { orderId, strategy: this.name, reason: 'order_timeout', detail }));
    }
    return this.outbox;
  }

  /** `hasOpenOrder` for the routes, bound once (not a closure per event). */
  private readonly hasOpenOrderOf = (key: string): boolean => this.hasOpenOrder(key);

  private hasOpenOrder(key: string): boolean {
    for (const open of this.orderOwner.values()) if (open.key === key) return true;
    return false;
  }

  /** Instance keys and their current state, for inspection and tests. */
  states(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, a] of [...this.actors].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) out[key] = a.state;
    return out;
  }

  /** Whether an instance of `key` runs now. */
  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** How many instances are in one of `states` now. */
  countIn(states: ReadonlySet<string>): number {
    let n = 0;
    for (const a of this.actors.values()) if (states.has(a.state)) n++;
    return n;
  }

  /** The current machine snapshot of a key (for tests and inspection). */
  snapshotOf(key: string): ReturnType<Actor<M>['getSnapshot']> | undefined {
    return this.actors.get(key)?.snapshot as ReturnType<Actor<M>['getSnapshot']> | undefined;
  }

  private deliver(d: Delivery<M>): void {
    let entry = this.actors.get(d.key);
    if (!entry) {
      if (d.input === undefined) return;
      entry = this.start(d.key, d.input, undefined);
      this.undo.push({ key: d.key, entry: null, snapshot: entry.snapshot, state: entry.state, last: null });
      entry.savedIn = this.checkpoints;
    } else if (this.spec.changesNothing?.(entry.state, entry.last, d.event, entry.snapshot as SnapshotFrom<M>)) {
      return;
    } else if (entry.savedIn !== this.checkpoints) {
      this.undo.push({ key: d.key, entry, snapshot: entry.snapshot, state: entry.state, last: entry.last });
      entry.savedIn = this.checkpoints;
    }
    entry.last = d.event;
    // What the machine emits while it moves is logged after the state change that emitted it.
    const mark = this.outbox.length;
    (d.event as HandedOrderId).nextOrder = this.orderIds.peek(d.key);
    this.step(d.key, entry, d.event);
    if (this.outbox.length === mark) {
      this.noteState(d.key, entry);
    } else {
      const emitted = this.outbox.splice(mark);
      this.noteState(d.key, entry);
      this.outbox.push(...emitted);
    }
    // An instance in a final state (its market resolved) has nothing left to do: memory stays flat.
    if (entry.snapshot.status === 'done') {
      this.savedKeyOrder ??= [...this.keys];
      entry.actor?.stop();
      this.actors.delete(d.key);
      this.keys.delete(d.key);
    }
  }

  /** One machine event: through the actor when inspected; else a quiet step, or XState's pure `transition` (its emits collected in order). */
  private step(key: string, entry: Instance<M>, event: EventFromLogic<M>): void {
    if (entry.actor !== null) {
      entry.actor.send(event);
      entry.snapshot = entry.actor.getSnapshot() as AnyMachineSnapshot;
      return;
    }
    const quiet = quietStep(entry.snapshot, event, entry.memo);
    if (quiet !== null) {
      entry.snapshot = quiet;
      return;
    }
    entry.snapshot = this.pure((scope) => this.spec.machine.transition(entry.snapshot as never, event, scope as never) as AnyMachineSnapshot, key);
  }

  /**
   * A step of XState's pure API (as its `transition` / `initialTransition`, with one inert actor
   * scope kept instead of one built per call): what the machine emits is collected, in order.
   */
  private pure(run: (scope: ActorScope<AnyMachineSnapshot, EventFromLogic<M>>) => AnyMachineSnapshot, key: string): AnyMachineSnapshot {
    const actions: { type: string; params?: unknown }[] = [];
    this.inertScope ??= inertScope(this.spec.machine);
    this.inertScope.actionExecutor = (action) => { actions.push(action); };
    const next = run(this.inertScope as ActorScope<AnyMachineSnapshot, EventFromLogic<M>>);
    for (const action of actions) if (action.type === 'xstate.emit') this.collect(key, (action.params as { event: MachineOutput }).event);
    return next;
  }

  private start(key: string, input: unknown, snapshot: Snapshot<unknown> | undefined): Instance<M> {
    let actor: Actor<M> | null = null;
    let current: AnyMachineSnapshot;
    if (this.options.inspect) {
      actor = createActor(this.spec.machine, { input: input as InputFrom<M>, ...(snapshot ? { snapshot } : {}), inspect: this.options.inspect, id: `${this.name}/${key}` } as never) as Actor<M>;
      actor.on('*', (emitted: { type: string }) => this.collect(key, emitted as MachineOutput));
      // A throwing machine ends in status 'error'; noteState rethrows it to the supervisor, which
      // restarts the strategy from its last good state. Without this subscriber XState would rethrow
      // it later, outside any caller.
      actor.subscribe({ error: () => undefined });
      actor.start();
      current = actor.getSnapshot() as AnyMachineSnapshot;
    } else if (snapshot) {
      // A restored snapshot: XState rebuilds it (state nodes, children) as an actor would, unstarted.
      current = createActor(this.spec.machine, { input: input as InputFrom<M>, snapshot } as never).getSnapshot() as AnyMachineSnapshot;
    } else {
      current = this.pure((scope) => this.spec.machine.getInitialSnapshot(scope as never, input) as AnyMachineSnapshot, key);
    }
    const entry: Instance<M> = { snapshot: current, actor, input, state: stateName(current.value), last: null, memo: new StepMemo(), savedIn: -1 };
    this.actors.set(key, entry);
    this.keys.add(key);
    return entry;
  }

  private noteState(key: string, entry: Instance<M>): void {
    const snap = entry.snapshot;
    if (snap.status === 'error') throw snap.error instanceof Error ? snap.error : new Error(String(snap.error));
    const to = stateName(snap.value);
    if (to !== entry.state) {
      this.outbox.push(makeEvent('strategy_state', this.now, { strategy: this.name, key, from: entry.state, to }));
      entry.state = to;
    }
  }

  private collect(key: string, out: MachineOutput): void {
    if (out.type === 'order_intent') {
      const orderId = orderIdText(this.orderIds.take(key));
      if (out.orderId !== orderId) throw new Error(`${this.name}/${key}: the machine emitted order ${out.orderId}, but the next id handed to it is ${orderId}`);
      this.saveOrders();
      this.orderOwner.set(orderId, { key, order: sentOrder(out.size), sentAt: this.now });
      const { type: _type, orderId: _id, ...body } = out;
      this.outbox.push(makeEvent('order_intent', this.now, { orderId, strategy: this.name, ...body }));
    } else if (out.type === 'decision') {
      const { type: _type, ...body } = out;
      this.outbox.push(makeEvent('decision', this.now, { strategy: this.name, ...body }));
    } else if (out.type === 'llm_request') {
      const { type: _type, ...body } = out;
      this.outbox.push(makeEvent('llm_request', this.now, { strategy: this.name, ...body }));
    }
  }

  /** Every instance (input and XState snapshot, kept by reference: snapshots are immutable), the open orders and the id counters, as a plain record. */
  persist(): PersistedRecord<OwnedOrder> {
    const actors: Record<string, PersistedInstance> = {};
    for (const [key, a] of this.actors) actors[key] = { input: a.input, snapshot: a.snapshot as Snapshot<unknown> };
    return { orders: Object.fromEntries(this.orderOwner), counters: this.orderIds.toJSON(), actors };
  }

  /** From a `persist()` result, or its JSON form. */
  restore(snapshot: unknown): void {
    const p = snapshot as PersistedRecord<OwnedOrder>;
    for (const a of this.actors.values()) a.actor?.stop();
    this.actors.clear();
    this.keys.clear();
    this.orderOwner = new Map(Object.entries(p.orders));
    this.orderIds = new OrderIdGenerator(this.name, p.counters);
    for (const [key, a] of Object.entries(p.actors)) this.start(key, a.input, this.spec.machine.getPersistedSnapshot(a.snapshot as never) as Snapshot<unknown>);
    this.checkpoint();
  }

  /** The state now is the last good one (the supervisor calls it after every reaction that did not fail). */
  checkpoint(): void {
    this.checkpoints++;
    // A new array, not `length = 0`: setting an array's length is a call into V8's runtime (about 1 % of a 10 M-trade backtest).
    if (this.undo.length > 0) this.undo = [];
    this.savedOrders = null;
    this.orderIds.checkpoint();
    this.savedKeyOrder = null;
    if (this.options.inspect) this.inspectedCheckpoint = this.persist();
  }

  /** Back to the state at the last checkpoint (a reaction failed part way). */
  rollback(): void {
    if (this.options.inspect) {
      this.restore(this.inspectedCheckpoint ?? { orders: {}, counters: {}, actors: {} });
      return;
    }
    for (let i = this.undo.length - 1; i >= 0; i--) {
      const u = this.undo[i];
      if (u.entry === null) {
        this.actors.delete(u.key);
        this.keys.delete(u.key);
        continue;
      }
      u.entry.snapshot = u.snapshot;
      u.entry.state = u.state;
      u.entry.last = u.last;
      this.actors.set(u.key, u.entry);
      this.keys.add(u.key);
    }
    // An instance that ended goes back to its place (the routes deliver in this order).
    if (this.savedKeyOrder !== null) {
      const entries = this.savedKeyOrder.filter((key) => this.actors.has(key)).map((key) => [key, this.actors.get(key)!] as const);
      this.actors = new Map(entries);
      this.keys.clear();
      for (const [key] of entries) this.keys.add(key);
    }
    if (this.savedOrders !== null) this.orderOwner = this.savedOrders;
    this.orderIds.rollback();
    this.checkpoint();
  }

  /** Keeps the open orders as they were at the checkpoint, before the first change since. */
  private saveOrders(): void {
    this.savedOrders ??= new Map(this.orderOwner);
  }
}

/**
 * An actor scope that executes nothing, as XState's own pure `transition` builds for each call: the
 * machines here spawn no children and read no `self`, so one unstarted actor serves every step.
 */
function inertScope(machine: AnyStateMachine): ActorScope<AnyMachineSnapshot, never> {
  const self = createActor(machine);
  return {
    self,
    defer: () => undefined,
    id: '',
    logger: () => undefined,
    sessionId: '',
    stopChild: () => undefined,
    system: self.system,
    emit: () => undefined,
    actionExecutor: () => undefined,
  } as unknown as ActorScope<AnyMachineSnapshot, never>;
}

/** `holding` or `active.holding` for nested states. */
export function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}.${stateName(v)}`)
      .join(',');
  }
  return String(value);
}
