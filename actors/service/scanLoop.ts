import type { Clock, TimerId } from '../../events/clock';
import type { MarketSnapshotEvent } from '../../events/types';
import type { MarketData } from '../marketData/createMarketData';
import type { FifteenMinDiscovery } from '../marketData/fifteenMinDiscovery';

/**
 * One live scan: Gamma's open markets (cached, at most one request per TTL) plus the current
 * 15-minute Up/Down market of each asset (they are not always on the first page; found once per
 * window), as one `market_snapshot` input event.
 */
export async function liveSnapshot(md: MarketData, fifteenMin: FifteenMinDiscovery | null): Promise<MarketSnapshotEvent> {
  const [base, upDown] = await Promise.all([md.scan(), fifteenMin ? fifteenMin.current() : []]);
  const seen = new Set(base.markets.map((m) => m.id));
  return { ...base, markets: [...base.markets, ...upDown.map((f) => f.market).filter((m) => !seen.has(m.id))] };
}

export interface ScanLoopOptions {
  clock: Clock;
  scan(): Promise<MarketSnapshotEvent>;
  /** The wait before the next scan (the scan-interval controller's current interval). */
  intervalMs(): number;
  onSnapshot(event: MarketSnapshotEvent, durationMs: number): void;
  onError(err: unknown): void;
}

/** Scans, waits the current interval (measured from the scan's start), scans again; never two at once. */
export class ScanLoop {
  private timer: TimerId | null = null;
  private stopped = true;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly opts: ScanLoopOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      this.inFlight = this.once().finally(() => (this.inFlight = null));
    }, delay);
  }

  private async once(): Promise<void> {
    const started = this.opts.clock.now();
    try {
      const snapshot = await this.opts.scan();
      if (!this.stopped) this.opts.onSnapshot(snapshot, this.opts.clock.now() - started);
    } catch (err) {
      if (!this.stopped) this.opts.onError(err);
    }
    const elapsed = this.opts.clock.now() - started;
    this.schedule(Math.max(0, this.opts.intervalMs() - elapsed));
  }
}
