import Big from 'big.js';
import type { Decimal } from '../events/types';
import { floorShares, type Leg } from './orderLegs';

/**
 * The negRisk strategy's arithmetic, apart from its machine (machines/negRisk.ts): whether a set of
 * YES legs can be bought whole and how much of it, what an incomplete set sells back, and share counts
 * after fills. Pure functions of their arguments.
 */

export interface NegRiskParams {
  negRiskMarketId: string;
  strategy: string;
  /** Profit per $1 set after fees. */
  minEdge: number;
  /** 1 - sum of asks, before fees. */
  minDeviation: number;
  /** An apparent edge above this means outcomes are missing from the set: skip it. */
  maxEdge: number;
  minLegLiquidityUsd: Decimal;
  maxSetUsd: Decimal;
  cooldownMs: number;
  exitRetryMs: number;
  /** An order with no final answer (fill in full, partial fill, rejection) after this is given up. */
  orderTimeoutMs: number;
}

export interface NegRiskLegQuote {
  marketId: string;
  /** The YES token. */
  tokenId: string;
  outcome: string;
  /** groupItemTitle, else the question. */
  title: string;
  active: boolean;
  closed: boolean;
  acceptingOrders: boolean;
  augmented: boolean;
  stale: boolean;
  ask: Decimal | null;
  /** Shares at the best ask in the live book; null without a live book. */
  askSize: Decimal | null;
  bid: Decimal | null;
  /** Taker fee in USDC per share bought at `ask`; null when the market's fee schedule is unknown. */
  buyFeePerShare: Decimal | null;
  minSize: Decimal;
}

export interface NegRiskSetQuote {
  negRiskMarketId: string;
  legs: NegRiskLegQuote[];
}


export interface Opportunity {
  sumAsk: Decimal;
  /** Taker fees of one share of every leg. */
  feesPerSet: Decimal;
  /** 1 - sumAsk. */
  deviation: Decimal;
  /** 1 - sumAsk - feesPerSet: profit per set. */
  edge: Decimal;
  shares: Decimal;
  /** shares x (sumAsk + feesPerSet). */
  costUsd: Decimal;
  expectedProfitUsd: Decimal;
  legs: { marketId: string; tokenId: string; outcome: string; price: Decimal }[];
}

export type SetEvaluation = { ok: true; opportunity: Opportunity } | { ok: false; reason: string };

/** Placeholder outcomes of augmented events, and "Other": their YES does not complete the set. */
const PLACEHOLDER = /^(other|others|person [a-z0-9]+|player [a-z0-9]+|candidate [a-z0-9]+|team [a-z0-9]+)$/i;

export function isPlaceholder(title: string): boolean {
  return PLACEHOLDER.test(title.trim());
}

/** Whether the set can be bought whole now, and how much of it. Pure; the machine's guards use it. */
export function evaluateSet(p: NegRiskParams, set: NegRiskSetQuote | null): SetEvaluation {
  if (set === null || set.legs.length < 2) return { ok: false, reason: 'too_few_legs' };
  const legs = set.legs;
  if (legs.some((l) => l.augmented)) return { ok: false, reason: 'augmented' };
  if (legs.some((l) => isPlaceholder(l.title))) return { ok: false, reason: 'placeholder_outcome' };
  if (legs.some((l) => !l.active || l.closed || !l.acceptingOrders)) return { ok: false, reason: 'leg_not_tradable' };
  if (legs.some((l) => l.stale)) return { ok: false, reason: 'stale_book' };
  if (legs.some((l) => l.ask === null || !new Big(l.ask).gt(0) || !new Big(l.ask).lt(1))) return { ok: false, reason: 'missing_ask' };
  if (legs.some((l) => l.buyFeePerShare === null)) return { ok: false, reason: 'fee_unknown' };
  const sumAsk = legs.reduce((acc, l) => acc.plus(l.ask!), new Big(0));
  const fees = legs.reduce((acc, l) => acc.plus(l.buyFeePerShare!), new Big(0));
  const deviation = new Big(1).minus(sumAsk);
  const edge = deviation.minus(fees);
  if (deviation.lt(p.minDeviation)) return { ok: false, reason: 'deviation_below_min' };
  if (edge.lt(p.minEdge)) return { ok: false, reason: 'edge_below_min' };
  if (edge.gt(p.maxEdge)) return { ok: false, reason: 'implausible_edge' };
  if (legs.some((l) => l.askSize === null)) return { ok: false, reason: 'no_book_depth' };
  if (legs.some((l) => new Big(l.askSize!).times(l.ask!).lt(p.minLegLiquidityUsd))) return { ok: false, reason: 'thin_leg' };
  const perSet = sumAsk.plus(fees);
  let shares = floorShares(new Big(p.maxSetUsd).div(perSet));
  for (const l of legs) if (shares.gt(l.askSize!)) shares = floorShares(new Big(l.askSize!));
  const minSize = legs.reduce((acc, l) => (new Big(l.minSize).gt(acc) ? new Big(l.minSize) : acc), new Big(0));
  if (shares.lt(minSize) || shares.eq(0)) return { ok: false, reason: 'below_min_size' };
  return {
    ok: true,
    opportunity: {
      sumAsk: sumAsk.toFixed(),
      feesPerSet: fees.toFixed(),
      deviation: deviation.toFixed(),
      edge: edge.toFixed(),
      shares: shares.toFixed(),
      costUsd: shares.times(perSet).toFixed(),
      expectedProfitUsd: shares.times(edge).toFixed(),
      legs: legs.map((l) => ({ marketId: l.marketId, tokenId: l.tokenId, outcome: l.outcome, price: l.ask! })),
    },
  };
}

export interface UnwindItem {
  marketId: string;
  tokenId: string;
  outcome: string;
  shares: Decimal;
}

/** Sells for what is left to unwind, at each leg's best bid; null while a bid is missing or a book stale. */
export function unwindSells(toSell: readonly UnwindItem[], set: NegRiskSetQuote | null): { marketId: string; tokenId: string; outcome: string; shares: Big; price: Decimal }[] | null {
  if (set === null) return null;
  const out = [];
  for (const s of toSell) {
    const shares = floorShares(new Big(s.shares));
    if (shares.eq(0)) continue;
    const leg = set.legs.find((l) => l.tokenId === s.tokenId);
    if (!leg || leg.stale || leg.bid === null || !new Big(leg.bid).gt(0)) return null;
    out.push({ ...s, shares, price: leg.bid });
  }
  return out;
}

/** What is still to sell after the unwind sells came back. */
export function leftToSell(toSell: readonly UnwindItem[], legs: readonly Leg[]): UnwindItem[] {
  return toSell
    .map((s) => {
      const sold = legs.filter((l) => l.tokenId === s.tokenId).reduce((acc, l) => acc.plus(l.filled), new Big(0));
      return { ...s, shares: new Big(s.shares).minus(sold).toFixed() };
    })
    .filter((s) => floorShares(new Big(s.shares)).gt(0));
}

/** `items` with `shares` more (or fewer, when negative) of a token; what is left under 0.01 share is dropped. */
export function withShares<T extends { tokenId: string; shares: Decimal }>(items: readonly T[], item: T, shares: Big): T[] {
  const i = items.findIndex((x) => x.tokenId === item.tokenId);
  const out = i < 0 ? [...items, { ...item, shares: shares.toFixed() }] : items.map((x, j) => (j === i ? { ...x, shares: new Big(x.shares).plus(shares).toFixed() } : x));
  return out.filter((x) => floorShares(new Big(x.shares)).gt(0));
}

