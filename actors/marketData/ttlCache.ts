import type { Clock } from '../../events/clock';

/** A cached value with its provenance: nothing downstream should use it without looking at its age. */
export interface Cached<T> {
  value: T;
  /** The cache key (for market lists: the request path). */
  request: string;
  /** Clock time the value was fetched. */
  fetchedAt: number;
  /** now - fetchedAt when it was handed out. */
  ageMs: number;
  /** A refresh failed and this older value was served instead (still younger than maxStaleMs). */
  stale: boolean;
  /** Why the refresh failed, when `stale`. */
  error: string | null;
}

/** No value younger than `maxStaleMs` could be had: the caller must not act on this key's data. */
export class StaleDataError extends Error {
  constructor(
    readonly key: string,
    /** Age of the newest value held, or null when there is none. */
    readonly ageMs: number | null,
    readonly maxStaleMs: number,
    override readonly cause: unknown,
  ) {
    super(
      `market data ${key}: refresh failed (${cause instanceof Error ? cause.message : String(cause)}) and ` +
        (ageMs === null ? 'no earlier value is held' : `the last value is ${ageMs} ms old (limit ${maxStaleMs} ms)`),
    );
    this.name = 'StaleDataError';
  }
}

export interface TtlCacheOptions {
  clock: Clock;
  /** A value younger than this is served without a request. */
  ttlMs: number;
  /** When a refresh fails, a value younger than this is served (marked stale); older ones never. */
  maxStaleMs: number;
  /** Bound on keys held; the oldest-fetched is dropped first. */
  maxEntries?: number;
}

interface Entry<T> {
  value: T;
  fetchedAt: number;
}

/**
 * The last refresh failed (after its retries): the key is not loaded again before `until`, one TTL
 * after the failure, doubling per failure in a row, at most maxStaleMs.
 */
interface Failure {
  until: number;
  inARow: number;
  error: unknown;
}

/**
 * Keyed cache with a TTL, one shared in-flight load per key, and a bounded stale fallback.
 * A key is loaded at most once per TTL whatever asks for it, also when the last load failed
 * (then later still, backing off; until then the held value is served as stale, or the failure is
 * thrown again).
 * `load` reports when its value was fetched; ages are measured on the injected clock.
 */
export class TtlCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inFlight = new Map<string, Promise<Cached<T>>>();
  private readonly failures = new Map<string, Failure>();
  private readonly maxEntries: number;

  constructor(private readonly o: TtlCacheOptions) {
    if (o.maxStaleMs < o.ttlMs) throw new RangeError(`maxStaleMs (${o.maxStaleMs}) must be at least ttlMs (${o.ttlMs})`);
    this.maxEntries = o.maxEntries ?? 100;
  }

  get(key: string, load: () => Promise<Entry<T>>): Promise<Cached<T>> {
    const now = this.o.clock.now();
    const entry = this.entries.get(key);
    if (entry && now - entry.fetchedAt < this.o.ttlMs) return Promise.resolve(this.view(key, entry, now, null));
    const failed = this.failures.get(key);
    if (failed && now < failed.until && !this.inFlight.has(key)) {
      try {
        return Promise.resolve(this.fallback(key, now, failed.error));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.refresh(key, load);
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** The held value as it would be served now, without loading; undefined when none. */
  peek(key: string): Cached<T> | undefined {
    const entry = this.entries.get(key);
    return entry && this.view(key, entry, this.o.clock.now(), null);
  }

  get size(): number {
    return this.entries.size;
  }

  private async refresh(key: string, load: () => Promise<Entry<T>>): Promise<Cached<T>> {
    try {
      const fresh = await load();
      this.store(key, fresh);
      this.failures.delete(key);
      return this.view(key, fresh, this.o.clock.now(), null);
    } catch (err) {
      const inARow = (this.failures.get(key)?.inARow ?? 0) + 1;
      const wait = Math.min(this.o.maxStaleMs, this.o.ttlMs * 2 ** (inARow - 1));
      this.failures.set(key, { until: this.o.clock.now() + wait, inARow, error: err });
      return this.fallback(key, this.o.clock.now(), err);
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** After a failed load: the held value while younger than maxStaleMs (marked stale), else `StaleDataError`. */
  private fallback(key: string, now: number, err: unknown): Cached<T> {
    const held = this.entries.get(key);
    const age = held ? now - held.fetchedAt : null;
    if (held && age! < this.o.maxStaleMs) return this.view(key, held, now, err instanceof Error ? err.message : String(err));
    throw new StaleDataError(key, age, this.o.maxStaleMs, err);
  }

  private store(key: string, entry: Entry<T>): void {
    const held = this.entries.get(key);
    if (held && held.fetchedAt > entry.fetchedAt) return;
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      let oldest: string | null = null;
      let oldestAt = Infinity;
      for (const [k, e] of this.entries) if (e.fetchedAt < oldestAt) [oldest, oldestAt] = [k, e.fetchedAt];
      this.entries.delete(oldest!);
    }
  }

  private view(key: string, entry: Entry<T>, now: number, error: string | null): Cached<T> {
    return { value: entry.value, request: key, fetchedAt: entry.fetchedAt, ageMs: now - entry.fetchedAt, stale: error !== null, error };
  }
}
