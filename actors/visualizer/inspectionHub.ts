import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { Clock, TimerId } from '../../events/clock';
import { MACHINES, type MachineEntry } from '../../machines/registry';
import { stateName } from '../strategies/keyedMachines';
import { abridge } from './abridge';
import { activeKeys } from './statechart';

/** One event an actor processed, and the state it left the actor in. */
export interface ActorEventRecord {
  /** Per-actor count of processed events, from 1. */
  n: number;
  /** Clock time when it was processed (the hub's clock). */
  at: number;
  type: string;
  event: unknown;
  from: string;
  to: string;
  /** The state changed. */
  moved: boolean;
}

export interface LiveActorView {
  /** XState session id, unique in the process. */
  id: string;
  /** The actor's id: `<strategy>/<key>` for strategy actors given the hub. */
  label: string;
  /** Registry name of its machine, or null when the machine is not in machines/registry.ts. */
  machine: string | null;
  machineId: string;
  state: string;
  active: string[];
  status: string;
  events: number;
  /** The newest last. */
  lastEvents: ActorEventRecord[];
}

export interface InspectionHubOptions {
  clock: Clock;
  machines?: readonly MachineEntry[];
  /** Actors kept (stopped ones are dropped first, then the oldest). */
  maxActors?: number;
  eventsPerActor?: number;
  /** Changes reach subscribers at most this often. */
  flushMs?: number;
}

interface Tracked {
  view: LiveActorView;
  ref: AnyActorRef;
  lastValue: unknown;
}

/**
 * Collects XState inspection events of any number of running actors: hand `hub.inspect` to
 * `createActor(machine, { inspect })`. Keeps each machine actor's current state and its last
 * events (bounded), and tells subscribers which actors changed, batched every `flushMs`.
 */
export class InspectionHub {
  private readonly clock: Clock;
  private readonly byLogic: Map<unknown, MachineEntry>;
  private readonly byId: Map<string, MachineEntry>;
  private readonly maxActors: number;
  private readonly eventsPerActor: number;
  private readonly flushMs: number;
  private readonly tracked = new Map<string, Tracked>();
  private readonly dirty = new Set<string>();
  private readonly listeners = new Set<(changed: LiveActorView[]) => void>();
  private timer: TimerId | null = null;

  constructor(options: InspectionHubOptions) {
    this.clock = options.clock;
    const machines = options.machines ?? MACHINES;
    this.byLogic = new Map(machines.map((m) => [m.machine, m]));
    this.byId = new Map(machines.map((m) => [m.machine.id, m]));
    this.maxActors = options.maxActors ?? 500;
    this.eventsPerActor = options.eventsPerActor ?? 20;
    this.flushMs = options.flushMs ?? 100;
  }

  /** The inspection observer for `createActor(machine, { inspect: hub.inspect })`. */
  readonly inspect = (e: InspectionEvent): void => {
    if (e.type !== '@xstate.snapshot' && e.type !== '@xstate.actor') return;
    const ref = e.actorRef as AnyActorRef;
    const logic = (ref as unknown as { logic?: { id?: unknown; root?: unknown } }).logic;
    if (!logic || logic.root === undefined) return; // not a state machine (promises, callbacks)
    let t = this.tracked.get(ref.sessionId);
    if (!t) t = this.track(ref, logic);
    if (e.type === '@xstate.snapshot') this.record(t, e.event, e.snapshot as unknown as { value: unknown; status: string });
    this.markDirty(ref.sessionId);
  };

  actors(): LiveActorView[] {
    for (const t of this.tracked.values()) this.refreshStatus(t);
    return [...this.tracked.values()].map((t) => t.view);
  }

  actor(label: string): LiveActorView | undefined {
    return this.actors().find((a) => a.label === label || a.id === label);
  }

  /** Calls `listener` with the actors that changed since the last call; returns the unsubscribe. */
  subscribe(listener: (changed: LiveActorView[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers pending changes now. */
  flush(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.dirty.size === 0) return;
    const changed: LiveActorView[] = [];
    for (const id of this.dirty) {
      const t = this.tracked.get(id);
      if (t) {
        this.refreshStatus(t);
        changed.push(t.view);
      }
    }
    this.dirty.clear();
    for (const l of this.listeners) l(changed);
  }

  private track(ref: AnyActorRef, logic: { id?: unknown }): Tracked {
    if (this.tracked.size >= this.maxActors) {
      const victim = [...this.tracked.values()].find((x) => x.ref.getSnapshot().status !== 'active') ?? this.tracked.values().next().value!;
      this.tracked.delete(victim.view.id);
    }
    const entry = this.byLogic.get(logic) ?? this.byId.get(String(logic.id));
    const view: LiveActorView = { id: ref.sessionId, label: ref.id, machine: entry?.name ?? null, machineId: String(logic.id), state: '', active: [], status: 'active', events: 0, lastEvents: [] };
    const t = { view, ref, lastValue: undefined };
    this.tracked.set(ref.sessionId, t);
    return t;
  }

  private record(t: Tracked, event: { type: string }, snapshot: { value: unknown; status: string }): void {
    const from = t.view.state;
    if (snapshot.value !== t.lastValue) {
      t.lastValue = snapshot.value;
      t.view.state = stateName(snapshot.value);
      t.view.active = activeKeys(snapshot.value);
    }
    t.view.status = snapshot.status;
    const n = ++t.view.events;
    const rec: ActorEventRecord = { n, at: this.clock.now(), type: event.type, event: abridge(event), from, to: t.view.state, moved: from !== t.view.state };
    t.view.lastEvents.push(rec);
    if (t.view.lastEvents.length > this.eventsPerActor) t.view.lastEvents.shift();
  }

  private refreshStatus(t: Tracked): void {
    t.view.status = (t.ref.getSnapshot() as { status: string }).status;
  }

  private markDirty(id: string): void {
    this.dirty.add(id);
    if (this.timer === null && this.listeners.size > 0) this.timer = this.clock.setTimeout(() => this.flush(), this.flushMs);
  }
}
