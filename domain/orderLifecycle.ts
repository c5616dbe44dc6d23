import Big from 'big.js';
import { assign, setup, transition, type SnapshotFrom } from 'xstate';
import type { Decimal } from '../events/types';

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

/** The order after an event, by the statechart (a pure step: no actor is started). */
export function orderStep(order: OrderProgress, event: OrderLifecycleEvent): OrderProgress {
  if (FINAL.has(order.status)) return order;
  const snapshot = orderLifecycleMachine.resolveState({ value: order.status, context: { size: order.size, filled: order.filled } });
  const [next] = transition(orderLifecycleMachine, snapshot, event);
  const status = next.value as OrderStatus;
  if (status === order.status && next.context.filled === order.filled) return order;
  return { status, size: order.size, filled: next.context.filled };
}

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
