import { rmSync } from 'node:fs';
import { InputError } from '../../../../events/errors';
import type { Clock } from '../../../../events/clock';
import { EventLogWriter } from '../../../../events/log';
import { makeEvent, type InputEvent, type MarketDefinitionEvent, type MarketInfo } from '../../../../events/types';
import { jsonObject, type Obj } from '../../../../events/validate';
import { decodeGammaMarkets } from '../gammaParse';
import { HttpClient } from '../http';
import { POLYMARKET_LIMITS, RateLimiter } from '../rateLimiter';
import { RequestCounter } from '../requestCounter';
import { decidedOutcome, decodeDataTrades, decodePriceHistory, startOf } from './decode';
import { slugMatcher, upDownSlugs, upDownStartSec } from './slugs';
import { UnitStore } from './unitStore';

export const DEFAULT_URLS = { gamma: 'https://gamma-api.polymarket.com', clob: 'https://clob.polymarket.com', data: 'https://data-api.polymarket.com' };

/** Published limits (docs.polymarket.com, Rate Limits) of the endpoints a download uses, besides Gamma's. */
export const DOWNLOAD_LIMITS = { ...POLYMARKET_LIMITS, clob: { limit: 9_000, windowMs: 10_000 }, 'clob:/prices-history': { limit: 1_000, windowMs: 10_000 }, data: { limit: 1_000, windowMs: 10_000 }, 'data:/trades': { limit: 200, windowMs: 10_000 } };

export interface DownloadOptions {
  out: string;
  /** Exact market slugs. */
  slugs: string[];
  /** A slug pattern (`btc-updown-15m-*`, or any glob listed from Gamma's closed markets) with `fromMs`..`toMs`. */
  pattern?: string;
  fromMs?: number;
  toMs?: number;
  /** CLOB `/prices-history` fidelity in minutes; null skips price history. */
  fidelityMin: number | null;
  trades: boolean;
  /** Where each answer is kept for resuming (default `<out>.parts`). */
  cacheDir: string;
  urls: { gamma: string; clob: string; data: string };
  clock: Clock;
  random: () => number;
  retries?: number;
  retryBaseMs?: number;
  timeoutMs?: number;
  /** Rows per Data API `/trades` page (the API allows up to 500 per request). */
  pageSize?: number;
  onProgress?: (done: number, planned: number) => void;
}

export interface DownloadSummary {
  out: string;
  markets: string[];
  notFound: string[];
  /** Requests sent in this run (answers read from the cache are not requests). */
  requests: number;
  /** Answers taken from the cache of an earlier run. */
  cached: number;
  eventsByType: Record<string, number>;
  eventsWritten: number;
}

interface Sourced {
  event: InputEvent;
  rank: number;
  order: number;
}

/**
 * `pma download`: Polymarket history from the public endpoints into a tick file (docs/download.md):
 * Gamma markets by slug or pattern, CLOB price history per token, Data API trades per market, each
 * answer kept in the cache so an interrupted download resumes where it stopped, then written as
 * market definitions, prices, trades and recorded outcomes in time order.
 */
export async function downloadHistory(o: DownloadOptions): Promise<DownloadSummary> {
  const limiter = new RateLimiter(o.clock, DOWNLOAD_LIMITS);
  const counter = new RequestCounter();
  const client = (baseUrl: string, venue: 'gamma' | 'clob' | 'data') => new HttpClient({ baseUrl, venue, clock: o.clock, random: o.random, limiter, counter, timeoutMs: o.timeoutMs ?? 20_000, retries: o.retries ?? 5, retryBaseMs: o.retryBaseMs ?? 500 });
  const http = { gamma: client(o.urls.gamma, 'gamma'), clob: client(o.urls.clob, 'clob'), data: client(o.urls.data, 'data') };
  const store = new UnitStore(o.cacheDir);
  const summary: DownloadSummary = { out: o.out, markets: [], notFound: [], requests: 0, cached: 0, eventsByType: {}, eventsWritten: 0 };

  /** One answer: from the cache, or fetched, checked by `check` (throws on a bad shape) and cached. */
  const unit = async (key: string, api: HttpClient, path: string, endpoint: string, check: (body: unknown, url: string) => void): Promise<unknown> => {
    const kept = store.get(key);
    if (kept !== undefined) {
      summary.cached++;
      return kept;
    }
    const res = await api.request({ method: 'GET', path, endpoint });
    summary.requests += res.attempts;
    const body = res.status === 404 ? null : res.body;
    if (body !== null) check(body, res.url);
    store.put(key, body);
    return body;
  };

  const slugs = [...o.slugs, ...(o.pattern ? await patternSlugs(o, unit, http.gamma) : [])];
  let done = 0;
  const events: Sourced[] = [];
  for (const slug of slugs) {
    const body = await unit(`gamma-${slug}`, http.gamma, `/markets?slug=${encodeURIComponent(slug)}`, '/markets', (b, url) => void decodeGammaMarkets(b, { file: url }));
    const where = { file: `${o.urls.gamma}/markets?slug=${slug}` };
    const found = body === null ? [] : decodeGammaMarkets(body, where);
    if (found.length === 0) {
      summary.notFound.push(slug);
      o.onProgress?.(++done, slugs.length);
      continue;
    }
    const market = found[0];
    const raw = jsonObject((body as unknown[])[0], where);
    const out: InputEvent[] = [];
    if (o.fidelityMin !== null) {
      const start = windowStart(slug, raw, where);
      const range = `${start !== null ? `&startTs=${Math.floor(start / 1000)}` : ''}${market.endTs !== null ? `&endTs=${Math.floor(market.endTs / 1000)}` : ''}`;
      for (const tokenId of market.tokenIds) {
        const path = `/prices-history?market=${tokenId}${range}&fidelity=${o.fidelityMin}`;
        const history = await unit(`prices-${tokenId}-${o.fidelityMin}`, http.clob, path, '/prices-history', (b, url) => void decodePriceHistory(b, tokenId, { file: url }));
        if (history !== null) out.push(...decodePriceHistory(history, tokenId, { file: `${o.urls.clob}${path}` }));
      }
    }
    if (o.trades) out.push(...decodeDataTrades(await tradePages(o, unit, http.data, market), { file: `${o.urls.data}/trades?market=${market.conditionId}` }));
    const before = events.length;
    events.push(...marketEvents(slug, market, raw, where, out).map((event, i) => ({ event, rank: event.type === 'market_definition' ? 0 : event.type === 'market_resolved' ? 2 : 1, order: before + i })));
    summary.markets.push(slug);
    o.onProgress?.(++done, slugs.length);
  }
  events.sort((a, b) => a.event.ts - b.event.ts || a.rank - b.rank || a.order - b.order);
  write(events, o.out, summary);
  return summary;
}

type Unit = (key: string, api: HttpClient, path: string, endpoint: string, check: (body: unknown, url: string) => void) => Promise<unknown>;

/** Every Data API `/trades` page of the market, `pageSize` rows each, until a short page. */
async function tradePages(o: DownloadOptions, unit: Unit, data: HttpClient, market: MarketInfo): Promise<unknown[]> {
  const size = o.pageSize ?? 500;
  const pages: unknown[] = [];
  for (let offset = 0; ; offset += size) {
    const path = `/trades?market=${market.conditionId}&limit=${size}&offset=${offset}`;
    const page = await unit(`trades-${market.conditionId}-${size}-${offset}`, data, path, '/trades', (b, url) => void decodeDataTrades([b], { file: url }));
    if (page === null) break;
    pages.push(page);
    if ((page as unknown[]).length < size) break;
  }
  return pages;
}

/** The slugs a pattern names: Up/Down windows counted from the range, others listed from Gamma's closed markets by page. */
async function patternSlugs(o: DownloadOptions, unit: Unit, gamma: HttpClient): Promise<string[]> {
  if (o.fromMs === undefined || o.toMs === undefined) throw new InputError({ file: '(command line)' }, '--from/--to', `a slug pattern (${o.pattern}) needs a date range`);
  const windows = upDownSlugs(o.pattern!, o.fromMs, o.toMs);
  if (windows) return windows;
  const matches = slugMatcher(o.pattern!);
  const out: string[] = [];
  const range = `end_date_min=${new Date(o.fromMs).toISOString()}&end_date_max=${new Date(o.toMs).toISOString()}`;
  for (let offset = 0; ; offset += 100) {
    const path = `/markets?closed=true&limit=100&offset=${offset}&${range}`;
    const page = await unit(`gamma-list-${o.pattern}-${o.fromMs}-${o.toMs}-${offset}`, gamma, path, '/markets', (b, url) => void decodeGammaMarkets(b, { file: url }));
    const markets = page === null ? [] : decodeGammaMarkets(page, { file: path });
    out.push(...markets.map((m) => m.slug).filter(matches));
    if (markets.length < 100) break;
  }
  return out;
}

function windowStart(slug: string, raw: Obj, where: { file: string }): number | null {
  const s = upDownStartSec(slug);
  return s !== null ? s * 1000 : startOf(raw, where);
}

/** The market's definition (as it traded: open, no outcome prices), its prices and trades, and its outcome at its end. */
function marketEvents(slug: string, market: MarketInfo, raw: Obj, where: { file: string }, prices: InputEvent[]): InputEvent[] {
  const start = windowStart(slug, raw, where);
  const first = prices.reduce((m, e) => Math.min(m, e.ts), Infinity);
  const ts = Math.min(start ?? Infinity, first, market.endTs ?? Infinity);
  const asUpDown = /^([a-z]+)-updown-/.exec(slug);
  const trades = prices.some((e) => e.type === 'last_trade');
  const definition: MarketDefinitionEvent = makeEvent('market_definition', Number.isFinite(ts) ? ts : 0, {
    source: 'gamma',
    market: { ...market, outcomePrices: [], active: true, closed: false, acceptingOrders: true, bestBid: null, bestAsk: null },
    derivedIds: false,
    prices: trades ? 'trades' : 'none',
    windowStartTs: upDownStartSec(slug) !== null ? start : null,
    asset: asUpDown ? asUpDown[1] : null,
    strike: null,
  });
  const winner = decidedOutcome(market);
  const resolved = winner !== null && market.endTs !== null ? [makeEvent('market_resolved', market.endTs, { market: market.conditionId, winningTokenId: market.tokenIds[winner], winningOutcome: market.outcomes[winner] })] : [];
  return [definition, ...prices, ...resolved];
}

function write(events: Sourced[], out: string, summary: DownloadSummary): void {
  const writer = EventLogWriter.open(out, { durability: 'batched', truncate: true });
  let ok = false;
  try {
    for (const { event } of events) {
      writer.append(event);
      summary.eventsByType[event.type] = (summary.eventsByType[event.type] ?? 0) + 1;
    }
    writer.close();
    summary.eventsWritten = writer.lastSeq;
    ok = true;
  } finally {
    writer.close();
    if (!ok) rmSync(out, { force: true });
  }
}
