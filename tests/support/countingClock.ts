import { SystemClock, type TimerId } from '../../events/clock';

/** The real `SystemClock`, counting the timers it has pending, so tests can prove that `close()` cleared them. */
export class CountingClock extends SystemClock {
  readonly pending = new Set<TimerId>();

  override setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerId {
    const id: TimerId = super.setTimeout(() => {
      this.pending.delete(id);
      fn();
    }, ms);
    this.pending.add(id);
    return id;
  }

  override clearTimeout(id: TimerId): void {
    this.pending.delete(id);
    super.clearTimeout(id);
  }
}
