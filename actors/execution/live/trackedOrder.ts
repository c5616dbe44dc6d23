import type { MarketInfo, OrderIntentEvent, OrderUpdateEvent } from '../../../events/types';
import { lifecycleEventOfUpdate, orderStep, sentOrder, type OrderProgress } from '../../../domain/orderLifecycle';
import type { ClobOrderType } from '../../venues/polymarket/clobOrders';

/** A live order as the broker follows it (actors/execution/liveBroker.ts): the lifecycle, the POST, the venue's word, the trades. */

/**
 * Where the POST is while the venue has not answered: `unsent` (logged as handed to the broker, but no
 * `submitted` followed: the process stopped before the POST), `signing`, `sending`, `uncertain` (no answer:
 * being looked up). null once answered (or given up).
 */
export type Wire = 'unsent' | 'signing' | 'sending' | 'uncertain' | null;

export interface Tracked {
  intent: OrderIntentEvent;
  info: MarketInfo | null;
  orderType: ClobOrderType;
  hash: string;
  /**
   * Where the order is in the one lifecycle (domain/orderLifecycle.ts), stepped by every `order_update` and
   * `exchange_fill` this broker writes, as the pending-order fold and the strategies step it: `givenUp` when
   * reported not placed after the lookups (a late answer from the venue can still revive it).
   */
  order: OrderProgress;
  wire: Wire;
  /** The venue's (or our) last word is written: `filled`, `cancelled`, `expired` or `rejected`. Late trades are still booked. */
  closed: boolean;
  /** Lookups that found nothing after the order was accepted. */
  misses: number;
  /** Trades seen, by id: booked as `exchange_fill` or not (seen only as FAILED), and the last status recorded. */
  trades: Map<string, { booked: boolean; status: string }>;
  /** Trades are searched from this unix second on. */
  sinceSec: number;
  /** The venue's last word on the order from the user channel: a final status waits for its trades. */
  venue: { status: string; sizeMatched: string } | null;
  /** Asked to be cancelled (`cancel_intent`, the kill switch); `sent` once the DELETE went out. */
  cancel: { reason: string; detail: string; sent: boolean } | null;
}

/** A new order, about to be signed; trades are searched from `sinceSec`. */
export function newTracked(intent: OrderIntentEvent, info: MarketInfo | null, orderType: ClobOrderType, sinceSec: number): Tracked {
  return { intent, info, orderType, hash: '', order: sentOrder(intent.size), wire: 'signing', closed: false, misses: 0, trades: new Map(), sinceSec, venue: null, cancel: null };
}

/** Answered, not closed, not given up: the venue may fill it and will end it (a fully filled order waits for the venue's `filled`). */
export function isOpen(t: Tracked): boolean {
  return t.wire === null && !t.closed && t.order.status !== 'givenUp' && t.order.status !== 'sent';
}

/** An `order_update` of the order as the lifecycle reads it (the mapping pending orders and the report use); an ending one closes it. */
export function record(t: Tracked, update: Pick<OrderUpdateEvent, 'status' | 'reason'>): void {
  const e = lifecycleEventOfUpdate(update);
  if (e === null) return;
  t.order = orderStep(t.order, e);
  if (e.type === 'REJECT' || e.type === 'CANCEL' || e.type === 'EXPIRE') t.closed = true;
}

/** How the venue's order status ends the order, or null while it may still fill (`LIVE`, `DELAYED`, ...). */
export function venueEnd(venueStatus: string): 'cancelled' | 'expired' | 'matched' | null {
  const status = venueStatus.toUpperCase();
  return status.includes('CANCEL') || status === 'INVALID' ? 'cancelled' : status.includes('EXPIRE') ? 'expired' : status === 'MATCHED' ? 'matched' : null;
}

export function resting(t: Tracked): boolean {
  return t.orderType === 'GTC' || t.orderType === 'GTD';
}

