import type { MarketInfo } from '../../events/types';
import { eventSlugPath, listPath, type GammaClient, type ListQuery } from '../venues/polymarket/gammaClient';
import type { UpDownSource } from '../venues/polymarket/fifteenMinMarkets';
import type { Cached, TtlCache } from './ttlCache';

/**
 * Gamma market lists through the cache, keyed by request path: every strategy asking for the same
 * list within the TTL shares one request. Every answer carries `fetchedAt`/`ageMs`; a refresh that
 * fails serves the held list only while it is younger than maxStaleMs, else throws `StaleDataError`.
 */
export class MarketDataService implements UpDownSource {
  constructor(
    private readonly gamma: GammaClient,
    private readonly cache: TtlCache<MarketInfo[]>,
  ) {}

  markets(q: ListQuery): Promise<Cached<MarketInfo[]>> {
    return this.list(listPath('/markets', q));
  }

  events(q: ListQuery): Promise<Cached<MarketInfo[]>> {
    return this.list(listPath('/events', q));
  }

  /** The markets of one event; null when Gamma does not list the slug. */
  async eventBySlug(slug: string): Promise<Cached<MarketInfo[]> | null> {
    const got = await this.list(eventSlugPath(slug));
    return got.value.length > 0 ? got : null;
  }

  list(path: string): Promise<Cached<MarketInfo[]>> {
    return this.cache.get(path, () => this.gamma.get(path));
  }
}
