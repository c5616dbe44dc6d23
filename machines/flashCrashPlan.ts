import Big from 'big.js';
import { feeInShares } from '../domain/fees';
import { ceilSize, floorSize, onTick } from '../domain/precision';
import type { Decimal, FillEvent, OrderSide, RiskRejectionEvent } from '../events/types';
import type { ExitReason, FlashCrashContext, FlashCrashEvent, OpenOrder, TokenQuote } from './flashCrashTypes';
import { anyStale, applyFill, applyRejection, legDone, newLegs } from './orderLegs';

/**
 * The flash-crash strategy's arithmetic, apart from its machine (machines/flashCrash.ts): what an
 * entry buys and at what price, when a position exits and why, and what fills do to the position.
 * Pure functions of the context; decimals as strings in what the machine keeps.
 */

export const ZERO = '0';

/** The context after a fill: the order it answers (orderLegs.ts), and the position, which a late fill of an order given up on moves too. */
export function withFill(c: FlashCrashContext, ts: number, fill: FillEvent): Partial<FlashCrashContext> {
  const size = new Big(fill.size);
  const value = new Big(fill.price).times(size);
  const shares = new Big(c.shares);
  const order = c.order === null ? null : applyFill([c.order], fill)[0];
  if (fill.side === 'BUY') {
    // As the portfolio books it: the buy fee is taken in shares (domain/fees.ts).
    const feeShares = feeInShares(new Big(fill.fee), new Big(fill.price));
    return {
      now: Math.max(c.now, ts),
      order,
      shares: shares.plus(size).minus(feeShares).toString(),
      cost: new Big(c.cost).plus(value).toString(),
      entryValue: new Big(c.entryValue ?? ZERO).plus(value).toString(),
      entryShares: new Big(c.entryShares ?? ZERO).plus(size).toString(),
      openedAt: c.openedAt ?? ts,
    };
  }
  // A sell releases its share of the average cost.
  const sold = size.gt(shares) ? shares : size;
  const released = shares.gt(0) ? new Big(c.cost).times(sold).div(shares) : new Big(0);
  const left = shares.minus(sold);
  return {
    now: Math.max(c.now, ts),
    order,
    shares: left.toString(),
    cost: left.gt(0) ? new Big(c.cost).minus(released).toString() : ZERO,
    openedAt: left.gt(0) ? c.openedAt : null,
    entryPnl: left.gt(0) ? c.entryPnl : null,
    entryValue: left.gt(0) ? c.entryValue : ZERO,
    entryShares: left.gt(0) ? c.entryShares : ZERO,
    realisedPnl: new Big(c.realisedPnl).plus(value).minus(fill.fee).minus(released).toString(),
  };
}

/** The context after a rejection: the order it answers (orderLegs.ts) and why. */
export function withRejection(c: FlashCrashContext, ts: number, rejection: RiskRejectionEvent): Partial<FlashCrashContext> {
  const order = c.order === null ? null : applyRejection([c.order], rejection)[0];
  return { now: Math.max(c.now, ts), order, lastRejection: `${rejection.reason}: ${rejection.detail}` };
}

/** The order about to be emitted, under the id the wrapper handed with the event. */
export function newOrder(c: FlashCrashContext, event: FlashCrashEvent, side: OrderSide, size: Decimal): OpenOrder {
  const { marketId, tokenId, outcome } = c.params;
  return newLegs(event, [{ marketId, tokenId, outcome, side, requested: size }], c.now)[0];
}

/** Whether the instance holds shares (read on every event: "0", the usual answer, without parsing). */
export function holds(c: FlashCrashContext): boolean {
  return c.shares !== ZERO && new Big(c.shares).gt(0);
}

/** Shares a sell order can carry: whole hundredths. */
export function sellable(c: FlashCrashContext): Big {
  return floorSize(new Big(c.shares));
}

/** The machine waits no more: the order's answer is final, or none came within `orderTimeoutMs` (given up). */
export function orderFinished(c: FlashCrashContext): boolean {
  return c.order !== null && (legDone(c.order) || anyStale([c.order], c.now, c.params.orderTimeoutMs));
}

function tradable(q: TokenQuote | null): q is TokenQuote {
  return q !== null && q.open && !q.stale;
}

function tooCloseToEnd(c: FlashCrashContext, q: TokenQuote): boolean {
  return q.endTs !== null && c.now >= q.endTs - c.params.exitBeforeEndMs;
}

function entryPrice(c: FlashCrashContext): Big | null {
  const q = c.quote!;
  const raw = q.ask !== null ? new Big(q.ask) : c.crash ? new Big(c.crash.price).div(1_000_000) : null;
  if (raw === null) return null;
  return new Big(onTick(raw, new Big(q.tickSize), 'up'));
}

/**
 * The entry to send now, or null when none can be: tradable, not too close to the end, out of
 * cooldown, an entry price in (0, 1). Shares for `tradeUsd` at that price, 2 decimals, at least the
 * market's minimum size.
 */
export function entryPlan(c: FlashCrashContext): { price: Decimal; size: Decimal } | null {
  const q = c.quote;
  if (!tradable(q) || tooCloseToEnd(c, q) || c.now < c.cooldownUntil) return null;
  const price = entryPrice(c);
  if (price === null || !price.gt(0) || !price.lt(1)) return null;
  let size = floorSize(new Big(c.params.tradeUsd).div(price));
  const min = new Big(c.quote!.minSize);
  if (size.lt(min)) size = ceilSize(min);
  return { price: price.toString(), size: size.toString() };
}

/** Unrealised P&L in USD at the mark, after the exit fee (mark.net), minus what the shares cost. */
export function pnl(c: FlashCrashContext): Big {
  if (c.mark === null) return new Big(0);
  return new Big(c.shares).times(c.mark.net).minus(c.cost);
}

export function exitReason(c: FlashCrashContext): ExitReason | null {
  const q = c.quote;
  if (!holds(c) || !tradable(q) || c.mark === null || !new Big(c.mark.price).gt(0) || c.now < c.exitRetryAt) return null;
  if (tooCloseToEnd(c, q)) return 'end_of_market';
  if (c.openedAt !== null && c.now - c.openedAt >= c.params.maxHoldMs) return 'max_hold';
  const { params } = c;
  const entry = entryAverage(c);
  if (entry !== null) {
    const bid = new Big(c.mark.price);
    const tick = new Big(q.tickSize);
    if (params.stopLossTicks !== null && bid.lte(entry.minus(tick.times(params.stopLossTicks)))) return 'stop_loss';
    if (params.stopLossFraction !== null && bid.lte(entry.times(1 - params.stopLossFraction))) return 'stop_loss';
    if (params.takeProfitTicks !== null && bid.gte(entry.plus(tick.times(params.takeProfitTicks)))) return 'take_profit';
    if (params.takeProfitFraction !== null && bid.gte(entry.times(1 + params.takeProfitFraction))) return 'take_profit';
  }
  if (params.stopLossUsd === null && params.takeProfitUsd === null) return null;
  const p = pnl(c);
  const base = c.entryPnl !== null ? new Big(c.entryPnl) : new Big(0);
  if (params.stopLossUsd !== null && p.lte(base.minus(params.stopLossUsd))) return 'stop_loss';
  if (params.takeProfitUsd !== null && p.gte(params.takeProfitUsd)) return 'take_profit';
  return null;
}

/** The entry's average fill price (before fees), or null when unknown (a restored snapshot of an older version). */
function entryAverage(c: FlashCrashContext): Big | null {
  const shares = new Big(c.entryShares ?? ZERO);
  return shares.gt(0) ? new Big(c.entryValue).div(shares) : null;
}

export function crashReason(c: FlashCrashContext): string {
  const crash = c.crash!;
  const pct = ((crash.high - crash.price) / crash.high) * 100;
  return `flash crash: ${crash.high / 1_000_000} -> ${crash.price / 1_000_000} (-${pct.toFixed(1)}%) within ${c.params.lookbackMs} ms`;
}
