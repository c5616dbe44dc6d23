import Big from 'big.js';
import type { Decimal, MarketInfo } from '../../events/types';
import { feePerShare as feeOfOneShare, feeScheduleProblem } from '../../domain/fees';
import type { StrategyContext } from './types';

/**
 * What the 15-minute and negRisk routes read of one outcome token, as plain data for their machines:
 * best ask (and its size when a live book has it), best bid, staleness, and taker fees per share.
 */
export interface TokenQuote {
  ask: Decimal | null;
  /** Shares at the best ask, from the live book; null when only the Gamma snapshot is known. */
  askSize: Decimal | null;
  bid: Decimal | null;
  stale: boolean;
  /** Taker fee in USDC per share bought at the ask / sold at the bid; null when the fee cannot be computed. */
  buyFeePerShare: Decimal | null;
  sellFeePerShare: Decimal | null;
}

interface PerShare {
  fee: Decimal;
  /** What one share sold at the price yields after the fee. */
  net: Decimal;
}

/**
 * Per-share fees of a market (object) by price: the same exact big.js results, computed once per
 * price seen instead of on every book, tick and quote. A new snapshot brings a new market object
 * (and maybe a new schedule), so entries never outlive the terms they were computed from.
 */
const perShareMemo = new WeakMap<MarketInfo, { problem: string | null; byPrice: Map<Decimal, PerShare> }>();
const MAX_PRICES_PER_MARKET = 4096;

function termsOf(market: MarketInfo): { problem: string | null; byPrice: Map<Decimal, PerShare> } {
  let terms = perShareMemo.get(market);
  if (terms === undefined) {
    terms = { problem: feeScheduleProblem(market), byPrice: new Map() };
    perShareMemo.set(market, terms);
  }
  return terms;
}

/** Taker fee per share at `price` and the net of a share sold there; null when the schedule is unusable. */
export function perShare(market: MarketInfo, price: Decimal): PerShare | null {
  const terms = termsOf(market);
  if (terms.problem !== null) return null;
  let out = terms.byPrice.get(price);
  if (out === undefined) {
    const p = new Big(price);
    const fee = feeOfOneShare(market, p);
    out = { fee: fee.toFixed(), net: p.minus(fee).toString() };
    if (terms.byPrice.size >= MAX_PRICES_PER_MARKET) terms.byPrice.clear();
    terms.byPrice.set(price, out);
  }
  return out;
}

/** `feeScheduleProblem`, once per market object. */
export function feeProblemOf(market: MarketInfo): string | null {
  return termsOf(market).problem;
}

/** Taker fee per share at `price` from the market's own schedule; "0" when fees are off; null when the schedule is unusable. */
export function feePerShare(market: MarketInfo, price: Decimal | null): Decimal | null {
  if (feeProblemOf(market) !== null) return null;
  if (price === null) return '0';
  return perShare(market, price)!.fee;
}

export function tokenQuote(ctx: StrategyContext, market: MarketInfo, tokenId: string): TokenQuote {
  const stale = ctx.markets.isStale(tokenId);
  const ask = ctx.markets.bestAsk(tokenId);
  const bid = ctx.markets.bestBid(tokenId);
  const bookAsk = ctx.markets.book(tokenId)?.bestAsk() ?? null;
  const askSize = bookAsk !== null && ask !== null && (bookAsk.price === ask || new Big(bookAsk.price).eq(ask)) ? bookAsk.size : null;
  return { ask, askSize, bid, stale, buyFeePerShare: feePerShare(market, ask), sellFeePerShare: feePerShare(market, bid) };
}

/** The market an outside id names: Gamma id or condition id (CLOB messages carry the latter). */
export function findMarket(ctx: StrategyContext, id: string): MarketInfo | undefined {
  return ctx.markets.market(id) ?? ctx.markets.markets().find((m) => m.conditionId === id);
}

/** The token index of an outcome by name (case-insensitive), else the fallback index. */
export function outcomeIndex(market: MarketInfo, name: string, fallback: number): number {
  const i = market.outcomes.findIndex((o) => o.toLowerCase() === name.toLowerCase());
  return i >= 0 ? i : fallback;
}
