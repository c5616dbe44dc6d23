/**
 * The one clock. Only this module reads wall time or schedules real timers; everything else gets a
 * `Clock` (XState takes it as `createActor(machine, { clock })`). Live code uses `SystemClock`;
 * replay and backtests use `SimulatedClock`, advanced to each event's `ts`.
 */

export type TimerId = number;

/** Structurally compatible with XState v5's `Clock` (setTimeout/clearTimeout) plus `now()`. */
export interface Clock {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

export class SystemClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<TimerId, ReturnType<typeof setTimeout>>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerId {
    const id = this.nextId++;
    const handle = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, ms);
    this.timers.set(id, handle);
    return id;
  }

  clearTimeout(id: TimerId): void {
    const handle = this.timers.get(id);
    if (handle !== undefined) {
      clearTimeout(handle);
      this.timers.delete(id);
    }
  }

  /** A real timer that does not keep the process alive (watchdogs, keepalives). */
  setBackgroundTimeout(fn: () => void, ms: number): TimerId {
    const id = this.setTimeout(fn, ms);
    this.timers.get(id)?.unref();
    return id;
  }

  /** Resolves after `ms` of wall time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(() => resolve(), ms));
  }
}

/** Resolves once the event loop has turned (its timers and I/O callbacks run): long synchronous work (a file read in this thread) lets them in. It waits for no time. */
export const turnOfEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Monotonic high-resolution ms, for measuring how long work took (metrics); never an event time. */
export const monotonicMs = (): number => performance.now();

/** The live source of jitter (reconnect backoff); tests and replays inject their own `() => number`. */
export const systemRandom = (): number => Math.random();

interface PendingTimer {
  id: TimerId;
  at: number;
  fn: (...args: unknown[]) => void;
}

/**
 * Event time. `advanceTo(ts)` fires every timer due at or before `ts`, in due order (ties by
 * creation order), with `now()` equal to each timer's due time while it runs. Time never goes back.
 */
export class SimulatedClock implements Clock {
  private current: number;
  private nextId = 1;
  private pending: PendingTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerId {
    const id = this.nextId++;
    const timer = { id, at: this.current + Math.max(0, ms), fn };
    // keep sorted by (at, id): insert after every timer due at or before it
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1].at > timer.at) i--;
    this.pending.splice(i, 0, timer);
    return id;
  }

  clearTimeout(id: TimerId): void {
    const i = this.pending.findIndex((t) => t.id === id);
    if (i >= 0) this.pending.splice(i, 1);
  }

  /** Moves time forward to `ts`, firing due timers. Earlier `ts` values are ignored (time is monotonic). */
  advanceTo(ts: number): void {
    while (this.pending.length > 0 && this.pending[0].at <= ts) {
      const timer = this.pending.shift()!;
      if (timer.at > this.current) this.current = timer.at;
      timer.fn();
    }
    if (ts > this.current) this.current = ts;
  }

  /** When the next timer is due, or null. */
  nextDue(): number | null {
    return this.pending.length > 0 ? this.pending[0].at : null;
  }

  get pendingCount(): number {
    return this.pending.length;
  }
}
