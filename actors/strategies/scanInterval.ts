import { createActor, type Actor, type InspectionEvent, type Snapshot } from 'xstate';
import { makeEvent, type AnyEvent, type EventType, type MarketSnapshotEvent, type ScanIntervalEvent } from '../../events/types';
import { scanIntervalMachine, type ScanIntervalChange, type ScanIntervalInput } from '../../machines/scanInterval';
import type { Config } from '../config/schema';
import type { Strategy } from './types';

export const SCAN_INTERVAL = 'scan_interval';

export type ScanConfig = Config['scan'];

export function scanIntervalInput(cfg: ScanConfig): ScanIntervalInput {
  return { baseIntervalMs: cfg.baseIntervalMs, minIntervalMs: cfg.minIntervalMs, volatilityThreshold: cfg.volatilityThreshold, sampleMarkets: cfg.sampleMarkets, measure: cfg.volatilityMeasure };
}

/**
 * The scan loop's interval, from the market snapshots it fetches. Call `onSnapshot(event)` with each
 * `market_snapshot` (after it is in the log): it returns the `scan_interval` events to append (none
 * when the interval stays) and `intervalMs` is the interval to wait before the next scan. It is also
 * a `Strategy`, so the supervisor can run it beside the trading strategies.
 */
export class ScanIntervalController implements Strategy {
  readonly name = SCAN_INTERVAL;
  readonly handles: ReadonlySet<EventType> = new Set<EventType>(['market_snapshot']);
  private actor: Actor<typeof scanIntervalMachine>;
  private changes: ScanIntervalChange[] = [];

  constructor(
    private readonly input: ScanIntervalInput,
    private readonly inspect?: (event: InspectionEvent) => void,
  ) {
    this.actor = this.start(undefined);
  }

  static fromConfig(cfg: ScanConfig, inspect?: (event: InspectionEvent) => void): ScanIntervalController {
    return new ScanIntervalController(scanIntervalInput(cfg), inspect);
  }

  get intervalMs(): number {
    return this.actor.getSnapshot().context.intervalMs;
  }

  /** `normal` or `fast`. */
  get state(): string {
    return String(this.actor.getSnapshot().value);
  }

  onSnapshot(event: MarketSnapshotEvent): ScanIntervalEvent[] {
    this.changes = [];
    this.actor.send({ type: 'SNAPSHOT', ts: event.ts, fetchedAt: event.fetchedAt, markets: event.markets });
    return this.changes.map(({ type: _type, ...body }) => makeEvent('scan_interval', event.ts, body));
  }

  react(event: AnyEvent): ScanIntervalEvent[] {
    return event.type === 'market_snapshot' ? this.onSnapshot(event) : [];
  }

  persist(): unknown {
    return this.actor.getPersistedSnapshot();
  }

  restore(snapshot: unknown): void {
    this.actor.stop();
    this.actor = this.start(snapshot as Snapshot<unknown>);
  }

  private start(snapshot: Snapshot<unknown> | undefined): Actor<typeof scanIntervalMachine> {
    const inspection = this.inspect ? { inspect: this.inspect, id: `${SCAN_INTERVAL}/all` } : {};
    const actor = createActor(scanIntervalMachine, { input: this.input, ...(snapshot ? { snapshot } : {}), ...inspection } as never) as Actor<typeof scanIntervalMachine>;
    actor.on('scan_interval', (change) => this.changes.push(change));
    actor.start();
    return actor;
  }
}
