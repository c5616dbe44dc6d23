import type { MarketInfo } from '../../../events/types';
import { decodeGammaEvent, decodeGammaEvents, decodeGammaMarkets } from './gammaParse';
import type { HttpClient } from './http';

/** A decoded answer with the request that produced it and when its body was read (clock ms). */
export interface Fetched<T> {
  value: T;
  request: string;
  fetchedAt: number;
}

export interface ListQuery {
  closed?: boolean;
  limit?: number;
  offset?: number;
  slug?: string;
}

/** `/markets?closed=false&limit=100&offset=0`: parameters in a fixed order, so equal queries are equal cache keys. */
export function listPath(endpoint: '/markets' | '/events', q: ListQuery): string {
  const params: string[] = [];
  if (q.slug !== undefined) params.push(`slug=${encodeURIComponent(q.slug)}`);
  if (q.closed !== undefined) params.push(`closed=${q.closed}`);
  if (q.limit !== undefined) params.push(`limit=${q.limit}`);
  if (q.offset !== undefined) params.push(`offset=${q.offset}`);
  return params.length > 0 ? `${endpoint}?${params.join('&')}` : endpoint;
}

export function eventSlugPath(slug: string): string {
  return `/events/slug/${encodeURIComponent(slug)}`;
}

/** Gamma REST (no auth): market lists and events, decoded into `MarketInfo`. */
export class GammaClient {
  constructor(private readonly http: HttpClient) {}

  markets(q: ListQuery): Promise<Fetched<MarketInfo[]>> {
    return this.get(listPath('/markets', q));
  }

  events(q: ListQuery): Promise<Fetched<MarketInfo[]>> {
    return this.get(listPath('/events', q));
  }

  /** The markets of one event, or null when Gamma knows no such slug (404). */
  async eventBySlug(slug: string): Promise<Fetched<MarketInfo[]> | null> {
    const path = eventSlugPath(slug);
    const res = await this.http.request({ method: 'GET', path, endpoint: '/events' });
    if (res.status === 404) return null;
    return { value: decodeGammaEvent(res.body, { file: res.url }), request: path, fetchedAt: res.fetchedAt };
  }

  /** Any of the list paths above (`/markets?…`, `/events?…`, `/events/slug/…`); a 404 is an empty list. */
  async get(path: string): Promise<Fetched<MarketInfo[]>> {
    const endpoint = path.startsWith('/markets') ? '/markets' : path.startsWith('/events') ? '/events' : path.split('?')[0];
    const res = await this.http.request({ method: 'GET', path, endpoint });
    const where = { file: res.url };
    let value: MarketInfo[];
    if (res.status === 404) value = [];
    else if (path.startsWith('/events/slug/')) value = decodeGammaEvent(res.body, where);
    else if (endpoint === '/events') value = decodeGammaEvents(res.body, where);
    else value = decodeGammaMarkets(res.body, where);
    return { value, request: path, fetchedAt: res.fetchedAt };
  }
}
