import type { Clock } from '../../events/clock';
import { makeEvent, type MarketSnapshotEvent } from '../../events/types';
import type { ListQuery } from '../venues/polymarket/gammaClient';
import type { MarketDataService } from './marketDataService';

/**
 * One market scan: the (cached) Gamma market list as a `market_snapshot` input event stamped with
 * `clock.now()`, carrying `fetchedAt` so consumers can see how old the data is. Throws
 * `StaleDataError` when no list younger than maxStaleMs can be had: then there is no snapshot to trade on.
 */
export async function scanMarkets(service: MarketDataService, clock: Clock, q: ListQuery): Promise<MarketSnapshotEvent> {
  const got = await service.markets(q);
  return makeEvent('market_snapshot', clock.now(), { source: 'gamma', request: got.request, markets: got.value, fetchedAt: got.fetchedAt });
}
