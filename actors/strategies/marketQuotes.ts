import Big from 'big.js';
import type { Decimal, MarketInfo } from '../../events/types';
import { feePerShare as feeOfOneShare, feeScheduleProblem } from '../../domain/fees';
import { BoundedMemo } from '../../domain/memo';
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
 * A value derived from a market object alone (market objects are immutable), kept for the latest
 * object of each market id: every snapshot brings new objects for the same markets (the model's: one
 * a second). A new object whose fields the value reads are the same (`sameInputs`) gets the value kept.
 * A Map by id rather than a WeakMap by object: a new object costs one write, not one more weak entry
 * for the collector to trace.
 */
export class PerMarket<V> {
  private readonly byId = new Map<string, { market: MarketInfo; value: V }>();

  constructor(
    private readonly derive: (market: MarketInfo) => V,
    private readonly sameInputs: (a: MarketInfo, b: MarketInfo) => boolean,
  ) {}

  get(market: MarketInfo): V {
    const kept = this.byId.get(market.id);
    if (kept !== undefined) {
      if (kept.market === market) return kept.value;
      if (this.sameInputs(kept.market, market)) {
        kept.market = market;
        return kept.value;
      }
    } else if (this.byId.size >= MAX_MARKETS) {
      this.byId.clear();
    }
    const value = this.derive(market);
    this.byId.set(market.id, { market, value });
    return value;
  }
}
const MAX_MARKETS = 4096;

/**
 * Per-share fees by fee terms and price: the same exact big.js results, computed once per price seen
 * under one schedule instead of on every book, tick and quote. The results are kept per schedule
 * content (`feesEnabled`, rate, exponent, takerOnly: all that domain/fees.ts reads), and a market
 * only remembers which terms it has.
 */
interface Terms {
  problem: string | null;
  byPrice: BoundedMemo<Decimal, PerShare>;
  /** The fee of one share at a price and its net, under these terms (read from the first market that had them). */
  atPrice: (price: Decimal) => PerShare;
}
const termsBySchedule = new BoundedMemo<string, Terms>(256);
const MAX_PRICES_PER_SCHEDULE = 4096;

/** All that domain/fees.ts reads of a market, as text: markets with the same key have the same fees. */
function feeTermsKey(market: MarketInfo): string {
  const s = market.feeSchedule;
  return market.feesEnabled ? (s === null ? 'on|none' : `on|${s.rate}|${s.exponent}|${s.takerOnly}`) : 'off';
}

const terms = new PerMarket<Terms>(
  (market) =>
    termsBySchedule.get(feeTermsKey(market), () => ({
      problem: feeScheduleProblem(market),
      byPrice: new BoundedMemo<Decimal, PerShare>(MAX_PRICES_PER_SCHEDULE),
      atPrice: (price) => {
        const p = new Big(price);
        const fee = feeOfOneShare(market, p);
        return { fee: fee.toFixed(), net: p.minus(fee).toString() };
      },
    })),
  (a, b) => feeTermsKey(a) === feeTermsKey(b),
);

function termsOf(market: MarketInfo): Terms {
  return terms.get(market);
}

/** Taker fee per share at `price` and the net of a share sold there; null when the schedule is unusable. */
export function perShare(market: MarketInfo, price: Decimal): PerShare | null {
  const terms = termsOf(market);
  if (terms.problem !== null) return null;
  return terms.byPrice.get(price, terms.atPrice);
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
