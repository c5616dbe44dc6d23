import Big from 'big.js';
import { makeEvent, type BookLevel, type Decimal, type FillEvent, type OrderIntentEvent, type RiskRejectionEvent } from '../../events/types';
import type { OrderBook } from '../../domain/market/orderBook';
import { walkBook, type Match } from './bookWalk';
import { ZERO, dec, sum } from '../../domain/decimal';
import { feeScheduleProblem, fillFee } from '../../domain/fees';
import type { Broker, BrokerResult } from './broker';
import type { MarketContext } from './marketContext';

/**
 * The paper broker (the default): fills order intents as a taker against the token's book, walking
 * the levels from the best price to the limit price. Market and limit orders take what is there and
 * cancel the rest (`partial: true`; paper limit orders never rest); FOK orders fill whole or not at
 * all. Orders reach the book `arrivalDelayMs` after they are sent (the trading reactor holds them
 * until then). Shares taken stay taken until the venue's book shows them replenished (a later book
 * with more shares at that price), so two paper orders never take the same resting shares.
 * Deterministic: a pure function of its calls, in order (docs/execution.md).
 */

export const BROKER_REASONS = ['unknown_market', 'fee_schedule_invalid', 'no_book', 'no_liquidity', 'fok_unfilled', 'group_unfilled'] as const;
export type BrokerReason = (typeof BROKER_REASONS)[number];

/** Average prices are rounded to this many decimals, against the trader (BUY up, SELL down). */
export const PRICE_DP = 8;

export interface PaperBrokerOptions {
  /**
   * When a token has no book (only a Gamma snapshot), fill at the snapshot's best ask/bid as if this
   * many shares stood there. null (the default) rejects such orders with `no_book`: depth is unknown,
   * and inventing it would make paper results look better than the market allows.
   */
  assumeSnapshotDepth: Decimal | null;
  /** Event time from sending an order to its reaching the book, on every market (ms). */
  latencyMs: number;
  /** Added on crypto Up/Down markets: the venue's non-cancellable taker delay (ms; docs/backtest.md). */
  upDownTakerDelayMs: number;
}

export const DEFAULT_PAPER_OPTIONS: PaperBrokerOptions = { assumeSnapshotDepth: null, latencyMs: 0, upDownTakerDelayMs: 250 };

/** Crypto Up/Down markets (`btc-updown-15m-…`, `bitcoin-up-or-down-…`), where Polymarket delays taker orders. */
export function isUpDownMarket(slug: string): boolean {
  return /(^|-)(updown|up-or-down)(-|$)/.test(slug);
}

/** Shares taken from one version of a token's book (the same book object at the same update time). */
interface TakenFromBook {
  book: OrderBook | null;
  version: number | null;
  BUY: Map<string, Big>;
  SELL: Map<string, Big>;
  /** The level's size in the book version last seen (for a BUY the asks, a SELL the bids), by `dec(price)`. */
  seen: { BUY: Map<string, Big>; SELL: Map<string, Big> };
}

type Plan = { ok: true; intent: OrderIntentEvent; matches: Match[]; market: MarketContext } | { ok: false; intent: OrderIntentEvent; reason: BrokerReason; detail: string };

export class PaperBroker implements Broker {
  readonly sendsToVenue = false;
  private taken = new Map<string, TakenFromBook>();

  private readonly options: PaperBrokerOptions;

  constructor(options: Partial<PaperBrokerOptions> = {}) {
    this.options = { ...DEFAULT_PAPER_OPTIONS, ...options };
  }

  arrivalDelayMs(_intent: OrderIntentEvent, market: MarketContext | undefined): number {
    return this.options.latencyMs + (market && isUpDownMarket(market.info.slug) ? this.options.upDownTakerDelayMs : 0);
  }

  /** Fills one order, or rejects it with a reason. */
  execute(intent: OrderIntentEvent, market: MarketContext | undefined, ts: number): BrokerResult {
    const plan = this.plan(intent, market, this.taken);
    if (!plan.ok) return rejection(plan, ts);
    this.take(plan, this.taken);
    return fill(plan, ts);
  }

  /** Fills every leg of a group completely, or none: then each leg gets a rejection. */
  executeGroup(intents: readonly OrderIntentEvent[], market: (tokenId: string) => MarketContext | undefined, ts: number): BrokerResult[] {
    const scratch = cloneTaken(this.taken);
    const plans: Plan[] = [];
    for (const intent of intents) {
      let plan = this.plan(intent, market(intent.tokenId), scratch);
      if (plan.ok && sum(plan.matches.map((m) => m.size)).lt(intent.size)) {
        plan = { ok: false, intent, reason: 'group_unfilled', detail: `only ${dec(sum(plan.matches.map((m) => m.size)))} of ${intent.size} available within ${intent.price}` };
      }
      if (!plan.ok) {
        const failed = plan;
        return intents.map((i) => (i === failed.intent ? rejection(failed, ts) : rejection({ ok: false, intent: i, reason: 'group_unfilled', detail: `leg ${failed.intent.orderId} cannot fill: ${failed.reason}` }, ts)));
      }
      this.take(plan, scratch);
      plans.push(plan);
    }
    this.taken = scratch;
    return plans.map((p) => fill(p as Extract<Plan, { ok: true }>, ts));
  }

  private plan(intent: OrderIntentEvent, market: MarketContext | undefined, taken: Map<string, TakenFromBook>): Plan {
    if (!market) return { ok: false, intent, reason: 'unknown_market', detail: `no market snapshot names token ${intent.tokenId}` };
    const feeProblem = feeScheduleProblem(market.info);
    if (feeProblem !== null) return { ok: false, intent, reason: 'fee_schedule_invalid', detail: `market ${market.info.id}: ${feeProblem}` };
    const levels = this.levels(intent, market);
    if (levels === null) return { ok: false, intent, reason: 'no_book', detail: `no order book for ${intent.tokenId} and snapshot depth is unknown (assumeSnapshotDepth is off)` };
    const want = new Big(intent.size);
    const matches = walkBook(levels, intent.side, new Big(intent.price), want, takenFor(taken, intent.tokenId, market)[intent.side]);
    const filled = sum(matches.map((m) => m.size));
    const other = intent.side === 'BUY' ? 'ask at or below' : 'bid at or above';
    if (filled.eq(0)) return { ok: false, intent, reason: 'no_liquidity', detail: `no ${other} ${intent.price} for ${intent.tokenId}` };
    if (intent.orderType === 'fok' && filled.lt(want)) return { ok: false, intent, reason: 'fok_unfilled', detail: `only ${dec(filled)} of ${intent.size} shares at an ${other} ${intent.price}` };
    return { ok: true, intent, matches, market };
  }

  /** The opposite side of the book, or the snapshot price with the assumed depth, or null (no book). */
  private levels(intent: OrderIntentEvent, market: MarketContext): readonly BookLevel[] | null {
    if (market.book) return intent.side === 'BUY' ? market.book.asks() : market.book.bids();
    const depth = this.options.assumeSnapshotDepth;
    if (depth === null) return null;
    const price = intent.side === 'BUY' ? market.quote.ask : market.quote.bid;
    return price === null ? [] : [{ price, size: depth }];
  }

  private take(plan: Extract<Plan, { ok: true }>, taken: Map<string, TakenFromBook>): void {
    const side = takenFor(taken, plan.intent.tokenId, plan.market)[plan.intent.side];
    for (const m of plan.matches) side.set(dec(m.price), (side.get(dec(m.price)) ?? ZERO).plus(m.size));
  }
}

/** Size by `dec(price)` of one side of a book. */
function sizes(levels: readonly BookLevel[]): Map<string, Big> {
  return new Map(levels.map((l) => [dec(new Big(l.price)), new Big(l.size)]));
}

/**
 * What paper orders took and the venue's book does not yet show replenished. On a new version of
 * the token's book, a level's taken shares shrink by what the level grew (the venue refilled it),
 * never exceed what the level now holds, and are forgotten when the level is gone. Without a book
 * (assumed snapshot depth) each new snapshot starts afresh.
 */
function takenFor(taken: Map<string, TakenFromBook>, tokenId: string, market: MarketContext): TakenFromBook {
  const version = market.book ? market.book.updatedTs : market.dataTs;
  const current = taken.get(tokenId);
  if (current && current.book === market.book && current.version === version) return current;
  const book = market.book;
  const seen = { BUY: sizes(book?.asks() ?? []), SELL: sizes(book?.bids() ?? []) };
  const next: TakenFromBook = { book, version, BUY: new Map(), SELL: new Map(), seen };
  if (current && book && current.book !== null) {
    for (const side of ['BUY', 'SELL'] as const) {
      for (const [price, took] of current[side]) {
        const now = seen[side].get(price) ?? ZERO;
        const before = current.seen[side].get(price) ?? ZERO;
        const refilled = now.gt(before) ? now.minus(before) : ZERO;
        let left = took.minus(refilled);
        if (left.gt(now)) left = now;
        if (left.gt(0)) next[side].set(price, left);
      }
    }
  }
  taken.set(tokenId, next);
  return next;
}

function cloneTaken(taken: Map<string, TakenFromBook>): Map<string, TakenFromBook> {
  const copy = new Map<string, TakenFromBook>();
  for (const [k, t] of taken) copy.set(k, { ...t, BUY: new Map(t.BUY), SELL: new Map(t.SELL) });
  return copy;
}

function fill(plan: Extract<Plan, { ok: true }>, ts: number): FillEvent {
  const { intent, matches, market } = plan;
  const size = sum(matches.map((m) => m.size));
  const notional = sum(matches.map((m) => m.price.times(m.size)));
  const average = averagePrice(notional, size, intent.side === 'BUY' ? 'up' : 'down');
  return makeEvent('fill', ts, {
    orderId: intent.orderId,
    strategy: intent.strategy,
    marketId: intent.marketId,
    tokenId: intent.tokenId,
    side: intent.side,
    price: dec(average),
    size: dec(size),
    fee: dec(fillFee(market.info, matches)),
    partial: size.lt(intent.size),
  });
}

/** notional / size rounded to PRICE_DP decimals, exactly (big.js division alone rounds twice). */
export function averagePrice(notional: Big, size: Big, direction: 'up' | 'down'): Big {
  const step = new Big(1).div(new Big(10).pow(PRICE_DP));
  let average = notional.div(size).round(PRICE_DP, Big.roundDown);
  if (average.times(size).gt(notional)) average = average.minus(step);
  if (direction === 'up' && average.times(size).lt(notional)) average = average.plus(step);
  return average;
}

function rejection(plan: Extract<Plan, { ok: false }>, ts: number): RiskRejectionEvent {
  return makeEvent('risk_rejection', ts, { orderId: plan.intent.orderId, strategy: plan.intent.strategy, reason: plan.reason, detail: plan.detail });
}
