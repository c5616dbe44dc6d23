import { SystemClock, type Clock, type TimerId } from '../../events/clock';

/**
 * `now()` moves only when the test steps it (TTL and staleness decisions are exact), while timers
 * (request timeouts, retry backoff, rate-limit waits) run on real wall time so loopback I/O works.
 */
export class SteppedClock implements Clock {
  private readonly timers = new SystemClock();

  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  step(ms: number): void {
    this.current += ms;
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerId {
    return this.timers.setTimeout(fn, ms);
  }

  clearTimeout(id: TimerId): void {
    this.timers.clearTimeout(id);
  }
}
