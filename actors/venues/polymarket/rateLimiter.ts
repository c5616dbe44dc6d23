import type { Clock, TimerId } from '../../../events/clock';

/** At most `limit` requests in any `windowMs`. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

/**
 * Polymarket's published limits per 10 s (Gamma: general 4,000, `/markets` 300, `/events` 500;
 * CLOB: `/book` 1,500, `/books` 500). A request takes a slot of every rule it falls under
 * (`gamma` + `gamma:/markets`, ...). `/events/slug/{slug}` counts under `/events`. Every request
 * also asks for `{venue}:budget`, limited only where a budget is set (`serviceLimits`).
 */
export const POLYMARKET_LIMITS: Readonly<Record<string, RateRule>> = {
  gamma: { limit: 4_000, windowMs: 10_000 },
  'gamma:/markets': { limit: 300, windowMs: 10_000 },
  'gamma:/events': { limit: 500, windowMs: 10_000 },
  'clob:/book': { limit: 1_500, windowMs: 10_000 },
  'clob:/books': { limit: 500, windowMs: 10_000 },
};

/**
 * The published limits plus the service's own budget: at most `gammaPerMinute` Gamma requests (every
 * attempt, retries included) in any 60 s, whatever asks. A backstop: the service stays well under it.
 */
export function serviceLimits(gammaPerMinute: number): Readonly<Record<string, RateRule>> {
  return { ...POLYMARKET_LIMITS, 'gamma:budget': { limit: gammaPerMinute, windowMs: 60_000 } };
}

/** A held slot: call `release()` once the response has been read (or the request failed). */
export interface Slot {
  release(): void;
}

/**
 * One rule's window. A slot is busy from `take()` until `windowMs` after its `release()`: the server
 * receives a request between its send and its completion, so two requests sharing a slot arrive at
 * least `windowMs` apart, whatever the latency.
 */
class Window {
  private inFlight = 0;
  /** Release times, oldest first; a slot frees at release + windowMs. */
  private readonly released: number[] = [];

  constructor(readonly rule: RateRule) {}

  private prune(now: number): void {
    while (this.released.length > 0 && this.released[0] + this.rule.windowMs <= now) this.released.shift();
  }

  available(now: number): boolean {
    this.prune(now);
    return this.inFlight + this.released.length < this.rule.limit;
  }

  /** When a slot frees without waiting for a release; null when every slot is in flight. */
  freeAt(now: number): number | null {
    if (this.available(now)) return now;
    return this.released.length > 0 ? this.released[0] + this.rule.windowMs : null;
  }

  take(): void {
    this.inFlight++;
  }

  release(now: number): void {
    this.inFlight--;
    this.released.push(now);
  }
}

interface Waiter {
  keys: string[];
  grant: (slot: Slot) => void;
}

/**
 * Client-side limiter: requests wait (first come, first served per rule) for a free slot rather than
 * being sent over a limit. Time and timers come from the injected clock.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly queue: Waiter[] = [];
  private timer: TimerId | null = null;

  constructor(
    private readonly clock: Clock,
    rules: Readonly<Record<string, RateRule>> = POLYMARKET_LIMITS,
  ) {
    for (const [key, rule] of Object.entries(rules)) {
      if (!(rule.limit >= 1 && rule.windowMs > 0)) throw new RangeError(`rate rule ${key}: limit must be >= 1 and windowMs > 0`);
      this.windows.set(key, new Window(rule));
    }
  }

  /** Resolves with a slot under every rule named in `keys` (keys without a rule are unlimited). */
  acquire(keys: readonly string[]): Promise<Slot> {
    return new Promise((grant) => {
      this.queue.push({ keys: keys.filter((k) => this.windows.has(k)), grant });
      this.pump();
    });
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  private pump(): void {
    const now = this.clock.now();
    const blocked = new Set<string>();
    let wakeAt: number | null = null;
    for (let i = 0; i < this.queue.length; ) {
      const w = this.queue[i];
      const windows = w.keys.map((k) => this.windows.get(k)!);
      if (w.keys.every((k) => !blocked.has(k)) && windows.every((win) => win.available(now))) {
        this.queue.splice(i, 1);
        for (const win of windows) win.take();
        w.grant(this.slot(windows));
        continue;
      }
      for (const k of w.keys) blocked.add(k);
      for (const win of windows) {
        const at = win.freeAt(now);
        if (at !== null && at > now) wakeAt = wakeAt === null ? at : Math.min(wakeAt, at);
      }
      i++;
    }
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = wakeAt === null ? null : this.clock.setTimeout(() => {
      this.timer = null;
      this.pump();
    }, wakeAt - now);
  }

  private slot(windows: Window[]): Slot {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const now = this.clock.now();
        for (const win of windows) win.release(now);
        if (this.queue.length > 0) this.pump();
      },
    };
  }
}
