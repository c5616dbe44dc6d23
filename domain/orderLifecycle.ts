import Big from 'big.js';
import { assign, setup, transition, type SnapshotFrom } from 'xstate';
import type { Decimal, OrderUpdateEvent } from '../events/types';

/**
 * THE order lifecycle: one statechart for every order, whoever follows it (a strategy machine's
 * legs, pending-order accounting, the live broker, the backtest report).
 *
 *   sent ──ACK──► acknowledged ──FILL──► partiallyFilled ──FILL (last share)──► filled
 *     │                 │                      │
 *     ├─FILL (all)──► filled                   ├─FILL rest cancelled──► cancelled
 *     ├─REJECT──► rejected   CANCEL──► cancelled   EXPIRE──► expired   (from any open state)
 *     └─GIVE_UP──► givenUp: nobody waits for an answer any more, but the venue may still give one:
 *                  late fills count (the last share ends it filled), ACK revives it, REJECT /
 *                  CANCEL / EXPIRE end it.
 *
 * `filled`, `rejected`, `cancelled` and `expired` are final: nothing moves the order after them
 * (a fill of a final order is ignored here; who books money books it from the fill itself). A FILL
 * with `restCancelled` is a paper broker's partial fill: what the book had, the rest cancelled.
 */

export const ORDER_STATUSES = ['sent', 'acknowledged', 'partiallyFilled', 'filled', 'rejected', 'cancelled', 'expired', 'givenUp'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type OrderLifecycleEvent =
  | { type: 'ACK' }
  | { type: 'FILL'; size: Decimal; restCancelled: boolean }
  | { type: 'REJECT' }
  | { type: 'CANCEL' }
  | { type: 'EXPIRE' }
  | { type: 'GIVE_UP' };

/** An order's place in the lifecycle, as plain JSON (machine contexts and folds keep it). */
export interface OrderProgress {
  status: OrderStatus;
  /** Shares ordered. */
  size: Decimal;
  /** Shares filled so far. */
  filled: Decimal;
}

const FINAL: ReadonlySet<OrderStatus> = new Set(['filled', 'rejected', 'cancelled', 'expired']);

const completes = (c: OrderProgress, e: OrderLifecycleEvent) => e.type === 'FILL' && new Big(c.filled).plus(e.size).gte(c.size);
const restCancelled = (e: OrderLifecycleEvent) => e.type === 'FILL' && e.restCancelled;

const ENDINGS = { REJECT: { target: 'rejected' }, CANCEL: { target: 'cancelled' }, EXPIRE: { target: 'expired' } } as const;
const FILLS = [
  { guard: 'completes', target: 'filled', actions: 'addFill' },
  { guard: 'restCancelled', target: 'cancelled', actions: 'addFill' },
  { target: 'partiallyFilled', actions: 'addFill' },
] as const;

export const orderLifecycleMachine = setup({
  types: {
    context: {} as Omit<OrderProgress, 'status'>,
    events: {} as OrderLifecycleEvent,
    input: {} as { size: Decimal; filled?: Decimal },
  },
  guards: {
    completes: ({ context, event }) => completes({ ...context, status: 'sent' }, event),
    restCancelled: ({ event }) => restCancelled(event),
    hasFills: ({ context }) => new Big(context.filled).gt(0),
  },
  actions: {
    addFill: assign({ filled: ({ context, event }) => (event.type === 'FILL' ? new Big(context.filled).plus(event.size).toFixed() : context.filled) }),
  },
}).createMachine({
  id: 'orderLifecycle',
  context: ({ input }) => ({ size: input.size, filled: input.filled ?? '0' }),
  initial: 'sent',
  states: {
    sent: { on: { ACK: 'acknowledged', FILL: [...FILLS], GIVE_UP: 'givenUp', ...ENDINGS } },
    acknowledged: { on: { FILL: [...FILLS], GIVE_UP: 'givenUp', ...ENDINGS } },
    partiallyFilled: { on: { FILL: [...FILLS], GIVE_UP: 'givenUp', ...ENDINGS } },
    givenUp: {
      on: {
        ACK: [{ guard: 'hasFills', target: 'partiallyFilled' }, { target: 'acknowledged' }],
        FILL: [
          { guard: 'completes', target: 'filled', actions: 'addFill' },
          { guard: 'restCancelled', target: 'cancelled', actions: 'addFill' },
          { actions: 'addFill' },
        ],
        ...ENDINGS,
      },
    },
    filled: { type: 'final' },
    rejected: { type: 'final' },
    cancelled: { type: 'final' },
    expired: { type: 'final' },
  },
});

export type OrderLifecycleSnapshot = SnapshotFrom<typeof orderLifecycleMachine>;

/** A new order, just sent. */
export function sentOrder(size: Decimal): OrderProgress {
  return { status: 'sent', size, filled: '0' };
}

/**
 * The order after an event, by the statechart (a pure step: no actor is started). Which status
 * follows depends only on the status, the event's type and the guards' answers, so the statechart is
 * asked once per such case and the answer kept (folds step every order of a backtest).
 */
export function orderStep(order: OrderProgress, event: OrderLifecycleEvent): OrderProgress {
  if (FINAL.has(order.status)) return order;
  const case_ = `${order.status}|${event.type}|${completes(order, event)}|${restCancelled(event)}|${new Big(order.filled).gt(0)}`;
  let status = NEXT.get(case_);
  if (status === undefined) {
    const snapshot = orderLifecycleMachine.resolveState({ value: order.status, context: { size: order.size, filled: order.filled } });
    status = transition(orderLifecycleMachine, snapshot, event)[0].value as OrderStatus;
    NEXT.set(case_, status);
  }
  // Every FILL of an order that is not final counts its shares (the statechart's `addFill`).
  if (event.type === 'FILL') return { status, size: order.size, filled: new Big(order.filled).plus(event.size).toFixed() };
  return status === order.status ? order : { status, size: order.size, filled: order.filled };
}

/** The statechart's answers so far: the status after (status, event type, guards' answers). */
const NEXT = new Map<string, OrderStatus>();

/** Final: the order can neither fill nor change any more. */
export function isFinal(status: OrderStatus): boolean {
  return FINAL.has(status);
}

/** Nobody waits for it any more: final, or given up. */
export function isSettled(status: OrderStatus): boolean {
  return FINAL.has(status) || status === 'givenUp';
}

/** The venue may still fill it (not final; a given-up order included). */
export function canStillFill(status: OrderStatus): boolean {
  return !FINAL.has(status);
}

/** Shares that may still fill: none once the order is final. */
export function openShares(order: OrderProgress): Big {
  if (FINAL.has(order.status)) return new Big(0);
  const left = new Big(order.size).minus(order.filled);
  return left.gt(0) ? left : new Big(0);
}

/** Whether an order sent at `sentAt` and still unanswered is given up at `now` (a strategy's `orderTimeoutMs`, event time). */
export function isOverdue(sentAt: number, now: number, timeoutMs: number): boolean {
  return now - sentAt >= timeoutMs;
}

/** Why the live broker stops waiting for a venue that never answered (it may still answer: `givenUp`). */
export const NOT_FOUND_AFTER_TIMEOUT = 'not_found_after_timeout';

/**
 * What a live order's `order_update` means in the lifecycle, or null (`submitted`: sent, no answer
 * yet). The venue's `filled` ends the order: every trade is booked, so an order short of its size
 * has the rest cancelled (a FAK that took what the book had).
 */
export function lifecycleEventOfUpdate(update: Pick<OrderUpdateEvent, 'status' | 'reason'>): OrderLifecycleEvent | null {
  switch (update.status) {
    case 'submitted':
    case 'cancel_submitted':
    case 'not_cancelled':
      return null;
    case 'accepted':
      return { type: 'ACK' };
    case 'rejected':
      return update.reason === NOT_FOUND_AFTER_TIMEOUT ? { type: 'GIVE_UP' } : { type: 'REJECT' };
    case 'cancelled':
    case 'filled':
      return { type: 'CANCEL' };
    case 'expired':
      return { type: 'EXPIRE' };
  }
}
