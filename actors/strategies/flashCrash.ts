import Big from 'big.js';
import type { AnyEvent, Decimal, MarketInfo } from '../../events/types';
import { flashCrashMachine, type FlashCrashEvent, type FlashCrashInput, type FlashCrashParams, type PriceSource, type TokenQuote } from '../../machines/flashCrash';
import type { Config } from '../config/schema';
import { midpoint } from '../../domain/decimal';
import { feeProblemOf, perShare } from './marketQuotes';
import { KeyedMachineStrategy, type Delivery, type KeyedMachineSpec, type KeyedMachineOptions } from './keyedMachines';
import type { StrategyContext } from './types';

/**
 * The flash-crash strategy: one `flashCrashMachine` per outcome token (key = token id). This file
 * turns input events into machine events: price samples from CLOB trades (`last_trade`), book mids
 * (`book`, `book_delta`) and Gamma outcome prices (`market_snapshot`), each with the token's quote
 * (best ask, fee-adjusted mark, tick, minimum size, end time, open/stale); `TICK` on `timer` events;
 * `RESOLVED` on `market_resolved`; and `MARKET_COOLDOWN` to the other tokens of a market when one of
 * its tokens sells (the cooldown is per market). It reads `ctx.markets` after the event was applied.
 */

export const FLASH_CRASH = 'flashCrash';

export type FlashCrashConfig = Config['flashCrash'];
type Machine = typeof flashCrashMachine;

export function flashCrashParams(cfg: FlashCrashConfig): FlashCrashParams {
  return {
    lookbackMs: cfg.lookbackMs,
    dropRelative: cfg.dropRelative,
    dropAbsolute: cfg.dropAbsolute,
    tradeUsd: cfg.tradeUsd,
    takeProfitTicks: cfg.takeProfitTicks,
    stopLossTicks: cfg.stopLossTicks,
    takeProfitFraction: cfg.takeProfitFraction,
    stopLossFraction: cfg.stopLossFraction,
    takeProfitUsd: cfg.takeProfitUsd,
    stopLossUsd: cfg.stopLossUsd,
    maxHoldMs: cfg.maxHoldMs,
    exitBeforeEndMs: cfg.exitBeforeEndMs,
    cooldownMs: cfg.cooldownMs,
    orderTimeoutMs: cfg.orderTimeoutMs,
    exitRetryMs: cfg.exitRetryMs,
    forgetUnlistedMs: cfg.forgetUnlistedMs,
  };
}

export function flashCrashSpec(cfg: FlashCrashConfig, name = FLASH_CRASH): KeyedMachineSpec<Machine> {
  const params = flashCrashParams(cfg);
  const quotes = new QuoteCache();
  return {
    name,
    machine: flashCrashMachine,
    handles: ['market_snapshot', 'book', 'book_delta', 'last_trade', 'timer', 'market_resolved', 'fill'],
    orderTimeoutMs: cfg.orderTimeoutMs,
    route(event: AnyEvent, ctx: StrategyContext, keys: ReadonlySet<string>, hasOpenOrder: (key: string) => boolean): Delivery<Machine>[] {
      const out: Delivery<Machine>[] = [];
      switch (event.type) {
        case 'last_trade':
          priceSample(out, params, quotes, event.ts, ctx, keys, event.tokenId, event.price, 'last_trade', event.price);
          return out;
        case 'book':
          priceSample(out, params, quotes, event.ts, ctx, keys, event.tokenId, bookMid(ctx, event.tokenId), 'book', null);
          return out;
        case 'book_delta':
          for (const t of new Set(event.changes.map((c) => c.tokenId))) priceSample(out, params, quotes, event.ts, ctx, keys, t, bookMid(ctx, t), 'book', null);
          return out;
        case 'market_snapshot':
          for (const m of event.markets) m.tokenIds.forEach((t, i) => priceSample(out, params, quotes, event.ts, ctx, keys, t, m.outcomePrices[i] ?? null, 'snapshot', null));
          return out;
        case 'timer':
          for (const key of keys) {
            const ref = ctx.markets.token(key);
            if (!ref) continue;
            const listed = ctx.markets.lastListed(key);
            const unlisted = listed !== null && event.ts - listed >= params.forgetUnlistedMs && !hasOpenOrder(key) && !new Big(ctx.position(key)).gt(0);
            out.push({ key, event: unlisted ? { type: 'UNLISTED', ts: event.ts } : { type: 'TICK', ts: event.ts, quote: quotes.of(ctx, key, ref.market, null, null) } });
          }
          return out;
        case 'market_resolved':
          return [...keys]
            .filter((key) => sameMarket(ctx.markets.token(key)?.market, event.market))
            .map((key) => ({ key, event: { type: 'RESOLVED', ts: event.ts } }));
        case 'fill': {
          if (event.strategy !== name || event.side !== 'SELL') return [];
          const market = ctx.markets.token(event.tokenId)?.market;
          if (!market) return [];
          const until = event.ts + params.cooldownMs;
          return market.tokenIds
            .filter((t) => t !== event.tokenId && keys.has(t))
            .map((key) => ({ key, event: { type: 'MARKET_COOLDOWN', ts: event.ts, until } }));
        }
        default:
          return [];
      }
    },
    changesNothing: (_state, last, next) => last !== null && samePriceAgain(last, next),
  };
}

/** A price sample of a token as a PRICE to its instance, which a token that can be traded now starts; none for an unknown token or a price <= 0. */
function priceSample(out: Delivery<Machine>[], params: FlashCrashParams, quotes: QuoteCache, ts: number, ctx: StrategyContext, keys: ReadonlySet<string>, tokenId: string, value: Decimal | null, source: PriceSource, tradePrice: Decimal | null): void {
  const ref = ctx.markets.token(tokenId);
  if (!ref || value === null || !(Number(value) > 0)) return;
  const quote = quotes.of(ctx, tokenId, ref.market, source, tradePrice);
  // New instances only for tokens that can be traded now; existing ones hear every price.
  if (!keys.has(tokenId) && !quote.open) return;
  const machineEvent: FlashCrashEvent = { type: 'PRICE', ts, price: Number(value), source, quote };
  if (keys.has(tokenId)) out.push({ key: tokenId, event: machineEvent });
  else out.push({ key: tokenId, event: machineEvent, input: { ...params, tokenId, marketId: ref.market.id, outcome: ref.outcome } satisfies FlashCrashInput });
}

/**
 * A PRICE or TICK that says what the instance's last PRICE or TICK of the same ms said (the snapshot
 * and the book of one instant often give the same price): the sample window, the time, the quote and
 * the mark stay as they are, so no guard can answer differently.
 */
export function samePriceAgain(last: FlashCrashEvent, next: FlashCrashEvent): boolean {
  if ((last.type !== 'PRICE' && last.type !== 'TICK') || last.ts !== next.ts) return false;
  if (next.type === 'PRICE') return last.type === 'PRICE' && last.price === next.price && sameQuote(last.quote, next.quote);
  return next.type === 'TICK' && sameQuote(last.quote, next.quote);
}

function sameQuote(a: TokenQuote, b: TokenQuote): boolean {
  return a === b || a.ask === b.ask && a.tickSize === b.tickSize && a.minSize === b.minSize && a.endTs === b.endTs && a.open === b.open && a.stale === b.stale &&
    (a.mark === b.mark || (a.mark !== null && b.mark !== null && a.mark.price === b.mark.price && a.mark.net === b.mark.net));
}

export function createFlashCrashStrategy(cfg: FlashCrashConfig, name = FLASH_CRASH, options: KeyedMachineOptions = {}): KeyedMachineStrategy<Machine> {
  return new KeyedMachineStrategy(flashCrashSpec(cfg, name), options);
}

/**
 * Each token's quote, built once while the markets stay the same (their `version`): the snapshot, the
 * book and the timer of one instant then carry one object, which `samePriceAgain` knows at once. Without
 * a live book the quote also depends on what the event says (`quoteBasis`), so that is kept too. When the
 * markets change, a quote whose inputs (the market object, the ask and bid it reads, resolution and
 * staleness) are all the same as the kept one's is the kept object again: the model re-quotes every
 * second, mostly at the same touch.
 */
class QuoteCache {
  private readonly byToken = new Map<string, KeptQuote>();

  of(ctx: StrategyContext, tokenId: string, market: MarketInfo, source: PriceSource | null, tradePrice: Decimal | null): TokenQuote {
    const basis = quoteBasis(ctx, tokenId, source);
    const price = basis === 'last_trade' ? tradePrice : null;
    const kept = this.byToken.get(tokenId);
    const same = kept !== undefined && kept.market === market && kept.basis === basis && kept.tradePrice === price;
    if (same && kept.markets === ctx.markets && kept.version === ctx.markets.version) return kept.quote;
    const inputs = quoteInputs(ctx, tokenId, market, basis, price);
    if (same && sameInputs(kept.inputs, inputs)) {
      kept.markets = ctx.markets;
      kept.version = ctx.markets.version;
      return kept.quote;
    }
    if (this.byToken.size >= MAX_TOKENS && kept === undefined) this.byToken.clear();
    const quote = quoteOf(market, inputs);
    this.byToken.set(tokenId, { market, basis, tradePrice: price, inputs, markets: ctx.markets, version: ctx.markets.version, quote });
    return quote;
  }
}

/** Tokens whose last quote is kept; past it, the table starts again (a long run sees thousands of windows' tokens). */
const MAX_TOKENS = 4096;

/** What a token's quote is made of besides its market: the ask and bid it reads, and whether the market is resolved or the book stale. */
interface QuoteInputs {
  ask: Decimal | null;
  bid: Decimal | null;
  resolved: boolean;
  stale: boolean;
}

interface KeptQuote {
  market: MarketInfo;
  basis: QuoteBasis;
  tradePrice: Decimal | null;
  inputs: QuoteInputs;
  /** The markets and their version the quote was last known right at. */
  markets: StrategyContext['markets'];
  version: number;
  quote: TokenQuote;
}

function sameInputs(a: QuoteInputs, b: QuoteInputs): boolean {
  return a.ask === b.ask && a.bid === b.bid && a.resolved === b.resolved && a.stale === b.stale;
}

/**
 * Where a token's ask and mark come from: the live book when there is one; otherwise what this event
 * itself says (the trade price of a `last_trade`, the snapshot's best bid/ask), never an older
 * snapshot: a `TICK` without a book (`none`) leaves the machine's last mark in place.
 */
type QuoteBasis = 'book' | 'last_trade' | 'snapshot' | 'none';

function quoteBasis(ctx: StrategyContext, tokenId: string, source: PriceSource | null): QuoteBasis {
  if (ctx.markets.book(tokenId) !== undefined) return 'book';
  return source === 'last_trade' || source === 'snapshot' ? source : 'none';
}

/** What the token's quote reads, from its basis (`tradePrice`: the trade's price, for `last_trade`). */
function quoteInputs(ctx: StrategyContext, tokenId: string, market: MarketInfo, basis: QuoteBasis, tradePrice: Decimal | null): QuoteInputs {
  let ask: Decimal | null = null;
  let bid: Decimal | null = null;
  if (basis === 'book') {
    const book = ctx.markets.book(tokenId)!;
    ask = book.bestAsk()?.price ?? null;
    bid = book.bestBid()?.price ?? null;
  } else if (basis === 'last_trade') {
    ask = tradePrice;
    bid = tradePrice;
  } else if (basis === 'snapshot') {
    ask = ctx.markets.bestAsk(tokenId);
    bid = ctx.markets.bestBid(tokenId);
  }
  const resolved = ctx.markets.resolution(market.id) !== undefined || ctx.markets.resolution(market.conditionId) !== undefined;
  return { ask, bid, resolved, stale: ctx.markets.isStale(tokenId) };
}

/** The token's quote from its market and inputs. */
function quoteOf(market: MarketInfo, { ask, bid, resolved, stale }: QuoteInputs): TokenQuote {
  const feeProblem = feeProblemOf(market);
  return {
    ask,
    mark: bid !== null && feeProblem === null ? { price: bid, net: netOfFee(market, bid) } : null,
    tickSize: market.tickSize,
    minSize: market.minSize,
    endTs: market.endTs,
    open: market.active && !market.closed && market.acceptingOrders && !resolved && feeProblem === null,
    stale,
  };
}

/** What one share sold at `price` yields after the market's taker fee. */
function netOfFee(market: MarketInfo, price: Decimal): Decimal {
  return perShare(market, price)!.net;
}

/** Mid of the live book's best bid and ask; null for a one-sided, empty or stale book. */
function bookMid(ctx: StrategyContext, tokenId: string): Decimal | null {
  const book = ctx.markets.book(tokenId);
  const bid = book?.bestBid();
  const ask = book?.bestAsk();
  if (!bid || !ask) return null;
  return midpoint(bid.price, ask.price);
}

function sameMarket(market: MarketInfo | undefined, id: string): boolean {
  return market !== undefined && (market.id === id || market.conditionId === id);
}
