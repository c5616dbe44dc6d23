import Big from 'big.js';
import type { Decimal, FillEvent, OrderIntentBody, OrderSide, RiskRejectionEvent } from '../events/types';

/**
 * The orders a strategy machine has out and what came back for each: the bookkeeping shared by the
 * 15-minute and negRisk machines. Plain JSON (decimal strings) so machine snapshots persist.
 *
 * An order's outcome is final when it is rejected, filled in full, or filled with `partial: true`
 * (the broker filled what the book had and the rest is gone). A machine also stops waiting for an
 * order with no final answer `orderTimeoutMs` after it was sent (event time): the leg ends as
 * `timedOut` and the order becomes a `LateOrder`, whose fills, if the venue still sends them, are
 * booked on their own.
 */
export interface Leg {
  /** The id the wrapper gives the order: `<strategy>:<key>:<n>`, n counting this instance's orders from 1. */
  orderId: string;
  marketId: string;
  tokenId: string;
  outcome: string;
  side: OrderSide;
  requested: Decimal;
  filled: Decimal;
  /** Sum of price x size of the fills. */
  notional: Decimal;
  /** Fees in USDC of the fills. */
  fees: Decimal;
  /** Event time the order was emitted. */
  sentAt: number;
  done: boolean;
  /** The risk rejection's reason, or null. */
  rejected: string | null;
  /** Given up with no final answer after the order timeout (`done` too). */
  timedOut: boolean;
}

type LegSpec = Pick<Leg, 'marketId' | 'tokenId' | 'outcome' | 'side' | 'requested'>;

export function newLeg(orderId: string, spec: LegSpec, sentAt: number): Leg {
  return { orderId, ...spec, filled: '0', notional: '0', fees: '0', sentAt, done: false, rejected: null, timedOut: false };
}

/** The wrapper numbers a key's orders 1, 2, ... in the order they are emitted. */
export function orderIdFor(prefix: string, n: number): string {
  return `${prefix}${n}`;
}

export function applyFill(legs: readonly Leg[], fill: FillEvent): Leg[] {
  return legs.map((leg) => {
    if (leg.orderId !== fill.orderId || leg.done) return leg;
    const filled = new Big(leg.filled).plus(fill.size);
    return {
      ...leg,
      filled: filled.toFixed(),
      notional: new Big(leg.notional).plus(new Big(fill.price).times(fill.size)).toFixed(),
      fees: new Big(leg.fees).plus(fill.fee).toFixed(),
      done: fill.partial || filled.gte(leg.requested),
    };
  });
}

export function applyRejection(legs: readonly Leg[], rejection: RiskRejectionEvent): Leg[] {
  return legs.map((leg) => (leg.orderId === rejection.orderId && !leg.done ? { ...leg, done: true, rejected: rejection.reason } : leg));
}

export function allDone(legs: readonly Leg[]): boolean {
  return legs.length > 0 && legs.every((l) => l.done);
}

export function anyFilled(legs: readonly Leg[]): boolean {
  return legs.some((l) => new Big(l.filled).gt(0));
}

export function allFilledInFull(legs: readonly Leg[]): boolean {
  return legs.length > 0 && legs.every((l) => new Big(l.filled).gte(l.requested));
}

/** An order the machine gave up on while the venue may still fill it. */
export interface LateOrder extends LegSpec {
  orderId: string;
  /** Shares that may still fill. */
  open: Decimal;
}

/**
 * Gives up the legs with no final answer `timeoutMs` after they were sent: they end `timedOut`
 * (done, with what filled so far) and come back as late orders for what they may still fill.
 */
export function giveUpStale(legs: readonly Leg[], now: number, timeoutMs: number): { legs: Leg[]; late: LateOrder[] } {
  const late: LateOrder[] = [];
  const out = legs.map((l) => {
    if (l.done || now - l.sentAt < timeoutMs) return l;
    const { orderId, marketId, tokenId, outcome, side, requested } = l;
    late.push({ orderId, marketId, tokenId, outcome, side, requested, open: new Big(requested).minus(l.filled).toFixed() });
    return { ...l, done: true, timedOut: true };
  });
  return { legs: out, late };
}

/** Whether any leg is still unanswered `timeoutMs` after it was sent. */
export function anyStale(legs: readonly Leg[], now: number, timeoutMs: number): boolean {
  return legs.some((l) => !l.done && now - l.sentAt >= timeoutMs);
}

export function isLate(late: readonly LateOrder[], orderId: string): boolean {
  return late.some((o) => o.orderId === orderId);
}

/** The late orders after an answer to one of them: a rejection, a partial fill or the last share ends it. */
export function afterLateAnswer<T extends LateOrder>(late: readonly T[], answer: FillEvent | RiskRejectionEvent): T[] {
  return late.flatMap((o) => {
    if (o.orderId !== answer.orderId) return [o];
    if (answer.type === 'risk_rejection' || answer.partial) return [];
    const open = new Big(o.open).minus(answer.size);
    return open.gt(0) ? [{ ...o, open: open.toFixed() }] : [];
  });
}

/** A late fill as a leg of its own, for its shares in hand (`sharesReceived`) and cost (`legCost`). */
export function lateFillLeg(order: LateOrder, fill: FillEvent): Leg {
  const { orderId, marketId, tokenId, outcome, side, requested } = order;
  return applyFill([newLeg(orderId, { marketId, tokenId, outcome, side, requested }, fill.ts)], fill)[0];
}

/** A fill of a late order: that order, the late orders after it, and the fill as a leg of its own. */
export function lateFillOf<T extends LateOrder>(late: readonly T[], fill: FillEvent): { order: T; late: T[]; leg: Leg } {
  const order = late.find((o) => o.orderId === fill.orderId)!;
  return { order, late: afterLateAnswer(late, fill), leg: lateFillLeg(order, fill) };
}

/** Cost in USDC of what a leg bought: notional plus fees. */
export function legCost(leg: Leg): Big {
  return new Big(leg.notional).plus(leg.fees);
}

/** Shares rounded down to 2 decimals (the venue's size precision). */
export function floorShares(x: Big): Big {
  return x.round(2, Big.roundDown);
}

/**
 * Shares a leg left in hand: a BUY pays its fee in shares (size - fee / price, docs/execution.md),
 * a SELL removes what it sold. Rounded down to 6 decimals (the token's precision).
 */
export function sharesReceived(leg: Leg): Big {
  const filled = new Big(leg.filled);
  if (leg.side === 'SELL' || filled.eq(0) || new Big(leg.fees).eq(0)) return filled;
  const feeShares = new Big(leg.fees).times(filled).div(leg.notional);
  return filled.minus(feeShares).round(6, Big.roundDown);
}

/** An order as a strategy machine emits it (the wrapper adds the order id and the strategy name). */
export type OrderIntentOutput = OrderIntentBody;

export function orderFor(leg: Leg, price: Decimal, orderType: OrderIntentOutput['orderType'], reason: string, groupId: string | null): OrderIntentOutput {
  return { type: 'order_intent', marketId: leg.marketId, tokenId: leg.tokenId, outcome: leg.outcome, side: leg.side, price, size: leg.requested, orderType, reason, groupId };
}
