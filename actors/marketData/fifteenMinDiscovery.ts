import type { Clock } from '../../events/clock';
import { fifteenMinSlug, findFifteenMin, parseFifteenMinSlug, windowStartSec, WINDOW_SEC, type FifteenMinMarket, type UpDownAsset, type UpDownSource } from '../venues/polymarket/fifteenMinMarkets';

export interface FifteenMinDiscoveryOptions {
  /** Gamma, uncached: this holds its own answers, one per slug. */
  source: UpDownSource;
  clock: Clock;
  assets: readonly UpDownAsset[];
  /** A "not listed" answer is not asked again for this long (nor after its window opened, if asked before). */
  notListedTtlMs: number;
  /** A failed lookup is asked again after this, doubling per failure in a row, at most `notListedTtlMs`. */
  retryMs: number;
  /** The next window is looked up once, this long before it opens. */
  prefetchMs: number;
  /** A lookup failed (after its retries) or Gamma's answer was malformed. */
  onError?: (slug: string, err: unknown) => void;
}

type Answer =
  | { kind: 'found'; market: FifteenMinMarket }
  /** Not listed, or the lookup failed: not asked again before `until`. */
  | { kind: 'absent' | 'failed'; until: number; failures: number };

/** Before this much of a window is left, its successor is prefetched. */
export const PREFETCH_MS = 30_000;

/**
 * The 15-minute Up/Down markets of the current window, found once per window: the slug comes from
 * the clock, a found market is kept until its window ends, the next window is prefetched once
 * shortly before it opens (so a scan at its opening asks nothing), a "not listed" answer is held for
 * a bounded time, and failed lookups back off. Gamma is asked at most once per slug at a time.
 */
export class FifteenMinDiscovery {
  private readonly answers = new Map<string, Answer>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly o: FifteenMinDiscoveryOptions) {}

  /** The found markets of the window holding now, in asset order; asks Gamma only for what is not known. */
  async current(): Promise<FifteenMinMarket[]> {
    const now = this.o.clock.now();
    const start = windowStartSec(now);
    for (const slug of this.answers.keys()) if (parseFifteenMinSlug(slug)!.startSec < start) this.answers.delete(slug);
    const next = start + WINDOW_SEC;
    if (next * 1000 - now <= this.o.prefetchMs) for (const asset of this.o.assets) void this.ensure(asset, next, now);
    await Promise.all(this.o.assets.map((asset) => this.ensure(asset, start, now)));
    const found: FifteenMinMarket[] = [];
    for (const asset of this.o.assets) {
      const a = this.answers.get(fifteenMinSlug(asset, start));
      if (a?.kind === 'found') found.push(a.market);
    }
    return found;
  }

  private ensure(asset: UpDownAsset, startSec: number, now: number): Promise<void> {
    const slug = fifteenMinSlug(asset, startSec);
    const held = this.answers.get(slug);
    if (held && (held.kind === 'found' || now < held.until)) return Promise.resolve();
    let pending = this.inFlight.get(slug);
    if (!pending) {
      pending = this.lookUp(asset, startSec, slug, now, held?.kind === 'failed' ? held.failures : 0).finally(() => this.inFlight.delete(slug));
      this.inFlight.set(slug, pending);
    }
    return pending;
  }

  private async lookUp(asset: UpDownAsset, startSec: number, slug: string, askedAt: number, failures: number): Promise<void> {
    try {
      const market = await findFifteenMin(this.o.source, asset, startSec);
      if (market) {
        this.answers.set(slug, { kind: 'found', market });
        return;
      }
      // Asked before the window opened: ask again at its opening (it may be listed by then).
      const opens = startSec * 1000;
      const until = Math.min(askedAt + this.o.notListedTtlMs, askedAt < opens ? opens : Infinity);
      this.answers.set(slug, { kind: 'absent', until, failures: 0 });
    } catch (err) {
      const backoff = Math.min(this.o.notListedTtlMs, this.o.retryMs * 2 ** failures);
      this.answers.set(slug, { kind: 'failed', until: this.o.clock.now() + backoff, failures: failures + 1 });
      this.o.onError?.(slug, err);
    }
  }
}
