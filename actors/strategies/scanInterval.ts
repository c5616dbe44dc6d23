import { createActor, type Actor, type InspectionEvent, type Snapshot } from 'xstate';
import { makeEvent, type AnyEvent, type EventType, type MarketSnapshotEvent, type ScanIntervalEvent } from '../../events/types';
import {
  scanIntervalMachine,
  snapshotStep,
  type ScanIntervalChange,
  type ScanIntervalContext,
  type ScanIntervalEvent as MachineEvent,
  type ScanIntervalInput,
  type ScanIntervalState,
} from '../../machines/scanInterval';
import { ShapeMemo } from '../../machines/objectShape';
import type { Config } from '../config/schema';
import type { Strategy } from './types';

export const SCAN_INTERVAL = 'scan_interval';

export type ScanConfig = Config['scan'];

export function scanIntervalInput(cfg: ScanConfig): ScanIntervalInput {
  return { baseIntervalMs: cfg.baseIntervalMs, minIntervalMs: cfg.minIntervalMs, volatilityThreshold: cfg.volatilityThreshold, sampleMarkets: cfg.sampleMarkets, measure: cfg.volatilityMeasure };
}

/** The machine's persisted snapshot (as an actor's `getPersistedSnapshot()`: an actor restores from it). */
interface Persisted {
  status: 'active';
  value: ScanIntervalState;
  historyValue: Record<string, never>;
  context: ScanIntervalContext;
  children: Record<string, never>;
}

/**
 * The scan loop's interval, from the market snapshots it fetches. Call `onSnapshot(event)` with each
 * `market_snapshot` (after it is in the log): it returns the `scan_interval` events to append (none
 * when the interval stays) and `intervalMs` is the interval to wait before the next scan. It is also
 * a `Strategy`, so the supervisor can run it beside the trading strategies.
 *
 * The machine is stepped by `snapshotStep` (its macrostep as plain functions, machines/scanInterval.ts);
 * with `inspect` (the visualizer) by a live XState actor, so the inspection sees every snapshot.
 */
export class ScanIntervalController implements Strategy {
  readonly name = SCAN_INTERVAL;
  readonly handles: ReadonlySet<EventType> = new Set<EventType>(['market_snapshot']);
  private held: Persisted;
  private actor: Actor<typeof scanIntervalMachine> | null = null;
  private changes: ScanIntervalChange[] = [];
  /** The held context's key list, for `snapshotStep`'s copies. */
  private readonly contexts = new ShapeMemo();

  constructor(
    private readonly input: ScanIntervalInput,
    private readonly inspect?: (event: InspectionEvent) => void,
  ) {
    this.held = this.start(undefined);
  }

  static fromConfig(cfg: ScanConfig, inspect?: (event: InspectionEvent) => void): ScanIntervalController {
    return new ScanIntervalController(scanIntervalInput(cfg), inspect);
  }

  get intervalMs(): number {
    return this.held.context.intervalMs;
  }

  /** `normal` or `fast`. */
  get state(): string {
    return this.held.value;
  }

  onSnapshot(event: MarketSnapshotEvent): ScanIntervalEvent[] {
    const step: MachineEvent = { type: 'SNAPSHOT', ts: event.ts, fetchedAt: event.fetchedAt, markets: event.markets };
    let changes: ScanIntervalChange[];
    if (this.actor !== null) {
      this.changes = [];
      this.actor.send(step);
      this.held = this.actor.getPersistedSnapshot() as unknown as Persisted;
      changes = this.changes;
    } else {
      const next = snapshotStep(this.held.value, this.held.context, step, this.contexts);
      this.held = persisted(next.state, next.context);
      changes = next.change === null ? [] : [next.change];
    }
    return changes.map(({ type: _type, ...body }) => makeEvent('scan_interval', event.ts, body));
  }

  react(event: AnyEvent): ScanIntervalEvent[] {
    return event.type === 'market_snapshot' ? this.onSnapshot(event) : [];
  }

  /** The machine's persisted snapshot (a new object at every step: kept by reference). */
  persist(): unknown {
    return this.held;
  }

  restore(snapshot: unknown): void {
    this.actor?.stop();
    this.actor = null;
    this.held = this.start(snapshot as Snapshot<unknown>);
  }

  private start(snapshot: Snapshot<unknown> | undefined): Persisted {
    const options = { input: this.input, ...(snapshot ? { snapshot } : {}) };
    if (!this.inspect) {
      // XState restores (or starts) the snapshot as an actor would; the steps then need no actor.
      const current = createActor(scanIntervalMachine, options as never).getSnapshot() as { value: ScanIntervalState; context: ScanIntervalContext };
      return persisted(current.value, current.context);
    }
    const actor = createActor(scanIntervalMachine, { ...options, inspect: this.inspect, id: `${SCAN_INTERVAL}/all` } as never) as Actor<typeof scanIntervalMachine>;
    actor.on('scan_interval', (change) => this.changes.push(change));
    actor.start();
    this.actor = actor;
    return actor.getPersistedSnapshot() as unknown as Persisted;
  }
}

function persisted(value: ScanIntervalState, context: ScanIntervalContext): Persisted {
  return { status: 'active', value, historyValue: {}, context, children: {} };
}
