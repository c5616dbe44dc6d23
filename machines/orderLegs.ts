import Big from 'big.js';
import { not } from 'xstate';
import { feeInShares } from '../domain/fees';
import { handedOrderIds, type OrderId } from '../domain/orderId';
import { isOverdue, isSettled, orderStep, type OrderStatus } from '../domain/orderLifecycle';
import { floorSize } from '../domain/precision';
import type { Decimal, FillEvent, OrderIntentBody, OrderSide, RiskRejectionEvent } from '../events/types';

/**
 * The orders a strategy machine has out and what came back for each: the bookkeeping shared by the
 * 15-minute and negRisk machines. Plain JSON (decimal strings) so machine snapshots persist.
 *
 * Each leg follows the one order lifecycle (domain/orderLifecycle.ts): its outcome is final when it is
 * rejected, filled in full, or filled with `partial: true` (the broker filled what the book had and
 * the rest is cancelled). A machine also stops waiting for an order with no final answer
 * `orderTimeoutMs` after it was sent (event time): the leg is `givenUp` and the order becomes a
 * `LateOrder`, whose fills, if the venue still sends them, are booked on their own.
 */
export interface Leg {
  /** The id the strategy wrapper handed over for the order (domain/orderId.ts). */
  orderId: string;
  marketId: string;
  tokenId: string;
  outcome: string;
  side: OrderSide;
  /** Where the order is in the lifecycle. */
  status: OrderStatus;
  requested: Decimal;
  filled: Decimal;
  /** Sum of price x size of the fills. */
  notional: Decimal;
  /** Fees in USDC of the fills. */
  fees: Decimal;
  /** Shares a BUY's fees withheld, per fill as the portfolio books them (domain/fees.ts `feeInShares`). */
  feeShares: Decimal;
  /** Event time the order was emitted. */
  sentAt: number;
  /** The risk rejection's reason, or null. */
  rejected: string | null;
}

type LegSpec = Pick<Leg, 'marketId' | 'tokenId' | 'outcome' | 'side' | 'requested'>;

export function newLeg(orderId: string, spec: LegSpec, sentAt: number): Leg {
  return { orderId, ...spec, status: 'sent', filled: '0', notional: '0', fees: '0', feeShares: '0', sentAt, rejected: null };
}

/** New legs for orders emitted together, under the ids the wrapper handed with the event. */
export function newLegs(event: { nextOrder?: OrderId }, specs: readonly LegSpec[], sentAt: number): Leg[] {
  const ids = handedOrderIds(event, specs.length);
  return specs.map((spec, i) => newLeg(ids[i], spec, sentAt));
}

/** Nobody waits for the leg's answer any more (final, or given up). */
export function legDone(leg: Leg): boolean {
  return isSettled(leg.status);
}

/** A leg after one more fill of its order. */
function withFill(leg: Leg, fill: FillEvent): Leg {
  const next = orderStep({ status: leg.status, size: leg.requested, filled: leg.filled }, { type: 'FILL', size: fill.size, restCancelled: fill.partial });
  return {
    ...leg,
    status: next.status,
    filled: new Big(leg.filled).plus(fill.size).toFixed(),
    notional: new Big(leg.notional).plus(new Big(fill.price).times(fill.size)).toFixed(),
    fees: new Big(leg.fees).plus(fill.fee).toFixed(),
    feeShares: fill.side === 'BUY' ? new Big(leg.feeShares).plus(feeInShares(new Big(fill.fee), new Big(fill.price))).toFixed() : leg.feeShares,
  };
}

export function applyFill(legs: readonly Leg[], fill: FillEvent): Leg[] {
  return legs.map((leg) => (leg.orderId !== fill.orderId || legDone(leg) ? leg : withFill(leg, fill)));
}

export function applyRejection(legs: readonly Leg[], rejection: RiskRejectionEvent): Leg[] {
  return legs.map((leg) => (leg.orderId === rejection.orderId && !legDone(leg) ? { ...leg, status: orderStep({ status: leg.status, size: leg.requested, filled: leg.filled }, { type: 'REJECT' }).status, rejected: rejection.reason } : leg));
}

/**
 * The legs a machine waits on (an entry, an exit, an unwind) after a machine event: a fill or a
 * rejection of one of them is booked; any other event leaves them as they are. Written once for
 * every machine with legs.
 */
export function answerLegs<T extends { legs: Leg[] }>(holder: T | null, e: { type: string; fill?: FillEvent; rejection?: RiskRejectionEvent }): T | null {
  if (holder === null) return null;
  if (e.type === 'FILL' && e.fill) return { ...holder, legs: applyFill(holder.legs, e.fill) };
  if (e.type === 'REJECTED' && e.rejection) return { ...holder, legs: applyRejection(holder.legs, e.rejection) };
  return holder;
}

/** The legs given up `timeoutMs` after they were sent with no final answer, and the late orders that adds; null when none is stale. */
export function expireLegs<T extends { legs: Leg[] }>(holder: T | null, now: number, timeoutMs: number): { holder: T; late: LateOrder[] } | null {
  if (holder === null || !anyStale(holder.legs, now, timeoutMs)) return null;
  const given = giveUpStale(holder.legs, now, timeoutMs);
  return { holder: { ...holder, legs: given.legs }, late: given.late };
}

export function allDone(legs: readonly Leg[]): boolean {
  return legs.length > 0 && legs.every(legDone);
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
    if (legDone(l) || !isOverdue(l.sentAt, now, timeoutMs)) return l;
    const { orderId, marketId, tokenId, outcome, side, requested } = l;
    late.push({ orderId, marketId, tokenId, outcome, side, requested, open: new Big(requested).minus(l.filled).toFixed() });
    return { ...l, status: orderStep({ status: l.status, size: l.requested, filled: l.filled }, { type: 'GIVE_UP' }).status };
  });
  return { legs: out, late };
}

/** Whether any leg is still unanswered `timeoutMs` after it was sent. */
export function anyStale(legs: readonly Leg[], now: number, timeoutMs: number): boolean {
  return legs.some((l) => !legDone(l) && isOverdue(l.sentAt, now, timeoutMs));
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

/** Shares an order can carry (the venue's 0.01 size step). */
export const floorShares = floorSize;

/**
 * Shares a leg left in hand: a BUY pays its fee in shares, withheld per fill as the portfolio books
 * it (domain/fees.ts); a SELL removes what it sold.
 */
export function sharesReceived(leg: Leg): Big {
  const filled = new Big(leg.filled);
  return leg.side === 'SELL' ? filled : filled.minus(leg.feeShares);
}

/** An order as a strategy machine emits it: under the id the wrapper handed over (the wrapper adds the strategy name). */
export type OrderIntentOutput = OrderIntentBody & { orderId: string };

export function orderFor(leg: Leg, price: Decimal, orderType: OrderIntentOutput['orderType'], reason: string, groupId: string | null): OrderIntentOutput {
  return { type: 'order_intent', orderId: leg.orderId, marketId: leg.marketId, tokenId: leg.tokenId, outcome: leg.outcome, side: leg.side, price, size: leg.requested, orderType, reason, groupId };
}

/** The fill or rejection in a machine event when it answers one of the given-up orders, else null. */
export function lateAnswerIn(late: readonly LateOrder[], e: { type: string; fill?: FillEvent; rejection?: RiskRejectionEvent }): FillEvent | RiskRejectionEvent | null {
  const answer = e.type === 'FILL' ? e.fill : e.type === 'REJECTED' ? e.rejection : undefined;
  return answer !== undefined && isLate(late, answer.orderId) ? answer : null;
}

// ---------------------------------------------------------------- the transitions of a machine with legs

/** A machine event that may answer an order: a fill or a rejection. */
type AnswerEvent = { type: string; fill?: FillEvent; rejection?: RiskRejectionEvent };

/** The `lateAnswer` guard: the event answers one of the orders given up. */
export function answersLateOrder({ context, event }: { context: { late: readonly LateOrder[] }; event: AnswerEvent }): boolean {
  return lateAnswerIn(context.late, event) !== null;
}

/** The late orders after a rejection of one of them (the `dropLateOrder` action's update). */
export function droppingRejected<T extends LateOrder>(late: readonly T[], event: AnswerEvent): { late: T[] } | Record<string, never> {
  return event.type === 'REJECTED' && event.rejection ? { late: afterLateAnswer(late, event.rejection) } : {};
}

/**
 * The root transitions of a machine with legs: answers to given-up orders, in any state (the states
 * handle only the orders they wait for). The machine names `lateAnswer` (`answersLateOrder`),
 * `takeLateFill`, `dropLateOrder` and `expireOrders` (its legs past the timeout given up).
 */
export const LATE_ANSWERS = {
  FILL: { guard: 'lateAnswer', actions: ['takeLateFill', 'expireOrders'] },
  REJECTED: { guard: 'lateAnswer', actions: ['dropLateOrder', 'expireOrders'] },
} as const;

/** The FILL and REJECTED transitions of a state waiting on legs: `answer` books the answer to one of its orders, then legs past the timeout are given up. */
export function answersTo<A extends string>(answer: A) {
  return {
    FILL: { guard: not('lateAnswer'), actions: [answer, 'expireOrders'] },
    REJECTED: { guard: not('lateAnswer'), actions: [answer, 'expireOrders'] },
  } as const;
}
