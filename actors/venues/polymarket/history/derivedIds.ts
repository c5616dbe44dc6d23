import type { MarketInfo } from '../../../../events/types';

/** What a collector recording names of an Up/Down market: its asset, window length and start. */
export interface UpDownWindow {
  /** Lower case, e.g. `btc`. */
  asset: string;
  minutes: number;
  /** Window start, seconds since the epoch (Polymarket's slug suffix). */
  startSec: number;
}

const ASSET_NAMES: Record<string, string> = { btc: 'Bitcoin', eth: 'Ethereum', sol: 'Solana', xrp: 'XRP' };

/** Polymarket's slug for the window: `btc-updown-15m-1765450800`. */
export function upDownSlug(w: UpDownWindow): string {
  return `${w.asset}-updown-${w.minutes}m-${w.startSec}`;
}

/**
 * The market of a window whose recording named no ids (no token, condition or Gamma id). Ids are
 * derived from what it does name and stable across imports: market and condition id
 * `derived:<slug>`, token ids `derived:<slug>:up` / `:down` (outcome order Up, Down as on Polymarket).
 *
 * Terms the recording does not hold are Polymarket's for these markets at the time and are listed in
 * `defaulted`: tick 0.01, minimum order 5 shares, no fees (taker fees on crypto Up/Down markets began
 * 2026-01-06; later windows need a listing or download that carries the fee schedule).
 */
export function derivedUpDownMarket(w: UpDownWindow): MarketInfo {
  const slug = upDownSlug(w);
  const id = `derived:${slug}`;
  const startMs = w.startSec * 1000;
  const name = ASSET_NAMES[w.asset] ?? w.asset.toUpperCase();
  return {
    id,
    conditionId: id,
    slug,
    question: `${name} Up or Down - ${new Date(startMs).toISOString()} (${w.minutes} minutes)`,
    outcomes: ['Up', 'Down'],
    outcomePrices: [],
    tokenIds: [derivedTokenId(w, 'up'), derivedTokenId(w, 'down')],
    negRisk: false,
    negRiskMarketId: null,
    negRiskAugmented: false,
    tickSize: '0.01',
    minSize: '5',
    feesEnabled: startMs >= FEES_FROM_MS,
    feeSchedule: startMs >= FEES_FROM_MS ? { rate: '0.07', exponent: 1, takerOnly: true } : null,
    endTs: startMs + w.minutes * 60_000,
    active: true,
    closed: false,
    acceptingOrders: true,
    bestBid: null,
    bestAsk: null,
    groupItemTitle: null,
    defaulted: ['tickSize', 'minSize', 'feesEnabled', 'feeSchedule', 'negRisk'],
  };
}

/** 2026-01-06 00:00 UTC: taker fees on crypto Up/Down markets (../shared/REFERENCE.md, Fees). */
const FEES_FROM_MS = Date.UTC(2026, 0, 6);

export function derivedTokenId(w: UpDownWindow, outcome: 'up' | 'down'): string {
  return `derived:${upDownSlug(w)}:${outcome}`;
}
