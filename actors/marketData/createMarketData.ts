import type { Registry } from 'prom-client';
import type { Clock } from '../../events/clock';
import type { MarketInfo, MarketSnapshotEvent } from '../../events/types';
import type { Config } from '../config/schema';
import { ClobClient } from '../venues/polymarket/clobClient';
import { GammaClient } from '../venues/polymarket/gammaClient';
import { HttpClient } from '../venues/polymarket/http';
import { POLYMARKET_LIMITS, RateLimiter, type RateRule } from '../venues/polymarket/rateLimiter';
import { RequestCounter } from '../venues/polymarket/requestCounter';
import { MarketDataService } from './marketDataService';
import { scanMarkets } from './scanMarkets';
import { TtlCache } from './ttlCache';

export interface MarketDataDeps {
  clock: Clock;
  /** Jitter for retry backoff, in [0, 1). */
  random: () => number;
  /** Where `pma_polymarket_requests_total` is exported, if anywhere. */
  registry?: Registry;
  /** Override the published limits (tests, or a stricter budget). */
  limits?: Readonly<Record<string, RateRule>>;
}

export interface MarketData {
  gamma: GammaClient;
  clob: ClobClient;
  /** Cached Gamma lists: what strategies and discovery should use. */
  service: MarketDataService;
  counter: RequestCounter;
  limiter: RateLimiter;
  /** One scan of `/markets?closed=false&limit={marketsLimit}&offset=0` as a `market_snapshot` input event. */
  scan(): Promise<MarketSnapshotEvent>;
}

/** Wires the Gamma and CLOB adapters, one limiter and one counter shared by both, and the cache, from config. */
export function createMarketData(config: Pick<Config, 'feeds' | 'marketData'>, deps: MarketDataDeps): MarketData {
  const { clock, random } = deps;
  const md = config.marketData;
  const limiter = new RateLimiter(clock, deps.limits ?? POLYMARKET_LIMITS);
  const counter = new RequestCounter({ registry: deps.registry });
  const http = (venue: 'gamma' | 'clob', baseUrl: string) =>
    new HttpClient({ baseUrl, venue, clock, random, limiter, counter, timeoutMs: config.feeds.httpTimeoutMs, retries: md.retries, retryBaseMs: md.retryBaseMs });
  const gamma = new GammaClient(http('gamma', config.feeds.gammaUrl));
  const clob = new ClobClient(http('clob', config.feeds.clobUrl));
  const service = new MarketDataService(gamma, new TtlCache<MarketInfo[]>({ clock, ttlMs: md.cacheTtlMs, maxStaleMs: md.maxStaleMs }));
  const query = { closed: false, limit: md.marketsLimit, offset: 0 };
  return { gamma, clob, service, counter, limiter, scan: () => scanMarkets(service, clock, query) };
}
