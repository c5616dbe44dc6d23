/**
 * Discovery of the 15-minute crypto Up/Down markets by slug `{btc|eth|sol|xrp}-updown-15m-{start}`,
 * start = unix seconds of the window (divisible by 900). Outcomes are `Up`/`Down`; `clobTokenIds[0]`
 * is Up. They resolve on the Chainlink data stream (Up when the end price >= the start price), not on
 * Binance: a Binance move is only a proxy for the settlement price.
 */
import { InputError } from '../../../events/errors';
import type { MarketInfo } from '../../../events/types';
import type { Fetched, ListQuery } from './gammaClient';

export const UPDOWN_ASSETS = ['BTC', 'ETH', 'SOL', 'XRP'] as const;
export type UpDownAsset = (typeof UPDOWN_ASSETS)[number];
export const WINDOW_SEC = 900;

export interface FifteenMinMarket {
  asset: UpDownAsset;
  slug: string;
  /** Window start and end, ms. */
  startTs: number;
  endTs: number;
  upTokenId: string;
  downTokenId: string;
  market: MarketInfo;
  /** When Gamma's answer was read. */
  fetchedAt: number;
}

/** Start (unix seconds) of the 15-minute window holding `nowMs`. */
export function windowStartSec(nowMs: number): number {
  return Math.floor(nowMs / 1000 / WINDOW_SEC) * WINDOW_SEC;
}

export function fifteenMinSlug(asset: UpDownAsset, startSec: number): string {
  if (!Number.isSafeInteger(startSec) || startSec % WINDOW_SEC !== 0) throw new RangeError(`window start ${startSec} is not unix seconds divisible by ${WINDOW_SEC}`);
  return `${asset.toLowerCase()}-updown-15m-${startSec}`;
}

export function parseFifteenMinSlug(slug: string): { asset: UpDownAsset; startSec: number } | null {
  const m = /^(btc|eth|sol|xrp)-updown-15m-(\d+)$/.exec(slug);
  if (!m) return null;
  const startSec = Number(m[2]);
  if (startSec % WINDOW_SEC !== 0) return null;
  return { asset: m[1].toUpperCase() as UpDownAsset, startSec };
}

/** Checks a decoded market is a 15-minute Up/Down market and names its tokens. */
export function asFifteenMinMarket(market: MarketInfo, fetchedAt: number, where: string): FifteenMinMarket {
  const parsed = parseFifteenMinSlug(market.slug);
  if (!parsed) throw new InputError({ file: where }, 'slug', `expected {btc|eth|sol|xrp}-updown-15m-{start}, got ${JSON.stringify(market.slug)}`);
  if (market.outcomes.length !== 2 || market.outcomes[0] !== 'Up' || market.outcomes[1] !== 'Down') {
    throw new InputError({ file: where }, 'outcomes', `expected ["Up","Down"], got ${JSON.stringify(market.outcomes)}`);
  }
  if (market.tokenIds.length !== 2) throw new InputError({ file: where }, 'clobTokenIds', `expected 2 token ids, got ${market.tokenIds.length}`);
  return {
    asset: parsed.asset,
    slug: market.slug,
    startTs: parsed.startSec * 1000,
    endTs: (parsed.startSec + WINDOW_SEC) * 1000,
    upTokenId: market.tokenIds[0],
    downTokenId: market.tokenIds[1],
    market,
    fetchedAt,
  };
}

/** What discovery needs of Gamma (the client, or a cached view of it). */
export interface UpDownSource {
  eventBySlug(slug: string): Promise<Fetched<MarketInfo[]> | null>;
  markets(q: ListQuery): Promise<Fetched<MarketInfo[]>>;
}

/**
 * The market of `asset` for the window starting at `startSec`, by `/events/slug/{slug}`, falling
 * back to `/markets?slug=`; null when Gamma does not list it (not created yet).
 */
export async function findFifteenMin(source: UpDownSource, asset: UpDownAsset, startSec: number): Promise<FifteenMinMarket | null> {
  const slug = fifteenMinSlug(asset, startSec);
  const fetched = (await source.eventBySlug(slug)) ?? (await source.markets({ slug }));
  const market = fetched.value.find((m) => m.slug === slug);
  return market ? asFifteenMinMarket(market, fetched.fetchedAt, fetched.request) : null;
}

/** Each asset's market for the window holding `nowMs` and the `ahead` windows after it (found ones only). */
export async function discoverFifteenMin(source: UpDownSource, assets: readonly UpDownAsset[], nowMs: number, ahead = 0): Promise<FifteenMinMarket[]> {
  const start = windowStartSec(nowMs);
  const lookups: Promise<FifteenMinMarket | null>[] = [];
  for (const asset of assets) for (let k = 0; k <= ahead; k++) lookups.push(findFifteenMin(source, asset, start + k * WINDOW_SEC));
  return (await Promise.all(lookups)).filter((m): m is FifteenMinMarket => m !== null);
}
