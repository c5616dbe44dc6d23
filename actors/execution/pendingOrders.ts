import Big from 'big.js';
import type { AnyEvent, Decimal, OrderIntentEvent } from '../../events/types';
import { ZERO, dec, sortKeys } from '../../domain/decimal';
import { isFinal, isSettled, lifecycleEventOfUpdate, openShares, orderStep, sentOrder, type OrderLifecycleEvent, type OrderProgress } from '../../domain/orderLifecycle';
import type { RiskState, SentOrders } from './risk';

/**
 * Orders sent and not ended: a fold over the log's `order_intent`, `risk_rejection`, `fill`,
 * `order_update` and `exchange_fill` events, so a replay or a restart rebuilds it exactly. Each
 * order follows the one lifecycle (domain/orderLifecycle.ts).
 *
 * An intent is pending from its `order_intent` (risk checks it before it is logged) until it is
 * settled: a `risk_rejection` (risk or the broker refused it, nothing was sent), a paper `fill` (final,
 * the rest of a partial paper fill is cancelled), `exchange_fill`s adding up to its size, or an
 * `order_update` that ends it or gives it up. Each exchange fill moves its shares from the order to
 * the position. Paper orders therefore end in the same reaction that sent them, and only live orders stay.
 *
 * A pending BUY counts at limit price x unfilled shares in its market's exposure; a pending SELL
 * reserves its unfilled shares of (strategy, token), so a second exit cannot sell them again.
 */

/** Given-up orders remembered for a late `accepted` or late fills (oldest forgotten first). */
const MAX_GIVEN_UP = 1_000;

interface Order {
  side: OrderIntentEvent['side'];
  strategy: string;
  marketId: string;
  tokenId: string;
  price: Big;
  progress: OrderProgress;
}

export interface PendingOrderView {
  side: OrderIntentEvent['side'];
  strategy: string;
  marketId: string;
  tokenId: string;
  price: Decimal;
  /** Shares not yet filled. */
  size: Decimal;
}

const unfilled = (o: Order): Big => openShares(o.progress);

export class PendingOrders implements SentOrders {
  private readonly open = new Map<string, Order>();
  /** Given up by the live broker: one the venue later acknowledges (`accepted: late_answer`) is pending again. */
  private readonly givenUp = new Map<string, Order>();

  static fromEvents(events: Iterable<AnyEvent>): PendingOrders {
    const p = new PendingOrders();
    for (const e of events) p.apply(e);
    return p;
  }

  apply(event: AnyEvent): void {
    switch (event.type) {
      case 'order_intent':
        this.open.set(event.orderId, { side: event.side, strategy: event.strategy, marketId: event.marketId, tokenId: event.tokenId, price: new Big(event.price), progress: sentOrder(event.size) });
        break;
      case 'risk_rejection':
        this.step(event.orderId, { type: 'REJECT' });
        break;
      case 'fill':
        // A book fill is final (what the book had, the rest cancelled); a tape fill is one of possibly several
        // (actors/execution/tapeFills.ts).
        this.step(event.orderId, { type: 'FILL', size: event.size, restCancelled: event.model !== 'tape' });
        break;
      case 'exchange_fill':
        this.step(event.orderId, { type: 'FILL', size: event.size, restCancelled: false });
        break;
      case 'order_update': {
        const e = lifecycleEventOfUpdate(event);
        if (e !== null) this.step(event.orderId, e);
        break;
      }
      default:
        break;
    }
  }

  /** Moves an order on in its lifecycle: pending while unsettled, remembered a while when given up, forgotten when final. */
  private step(orderId: string, e: OrderLifecycleEvent): void {
    const order = this.open.get(orderId) ?? this.givenUp.get(orderId);
    if (!order) return;
    order.progress = orderStep(order.progress, e);
    const status = order.progress.status;
    const to = isFinal(status) ? null : isSettled(status) ? this.givenUp : this.open;
    if (to !== this.open) this.open.delete(orderId);
    if (to !== this.givenUp) this.givenUp.delete(orderId);
    if (to === null || to.has(orderId)) return;
    to.set(orderId, order);
    if (this.givenUp.size > MAX_GIVEN_UP) this.givenUp.delete(this.givenUp.keys().next().value as string);
  }

  private *buys(marketId?: string): Iterable<Order> {
    for (const o of this.open.values()) if (o.side === 'BUY' && (marketId === undefined || o.marketId === marketId)) yield o;
  }

  private *sells(strategy: string, tokenId: string): Iterable<Order> {
    for (const o of this.open.values()) if (o.side === 'SELL' && o.strategy === strategy && o.tokenId === tokenId) yield o;
  }

  /** Limit price x unfilled shares of the pending BUYs, in one market or (no id) in all. */
  value(marketId?: string): Big {
    let total = ZERO;
    for (const o of this.buys(marketId)) total = total.plus(o.price.times(unfilled(o)));
    return total;
  }

  /** Pending BUYs, in one market or (no id) in all. */
  count(marketId?: string): number {
    let n = 0;
    for (const _ of this.buys(marketId)) n++;
    return n;
  }

  /** Unfilled shares of the pending SELLs of a strategy's position in a token, and how many orders hold them. */
  reserved(strategy: string, tokenId: string): { shares: Big; orders: number } {
    let shares = ZERO;
    let orders = 0;
    for (const o of this.sells(strategy, tokenId)) {
      shares = shares.plus(unfilled(o));
      orders++;
    }
    return { shares, orders };
  }

  ownerOf(orderId: string): string | null {
    return (this.open.get(orderId) ?? this.givenUp.get(orderId))?.strategy ?? null;
  }

  /** Sorted by order id, so two folds compare byte for byte. */
  toJSON(): Record<string, PendingOrderView> {
    const out: Record<string, PendingOrderView> = {};
    for (const [id, o] of this.open) out[id] = { side: o.side, strategy: o.strategy, marketId: o.marketId, tokenId: o.tokenId, price: dec(o.price), size: dec(unfilled(o)) };
    return sortKeys(out);
  }
}

/**
 * The portfolio as the risk checks see it with orders pending: each BUY counts in its market's exposure
 * and in the heat at its limit price and is taken from cash; capital is unchanged. Shares are the
 * portfolio's: risk reads the SELLs' reservations through `sent`.
 */
export function withPendingOrders(portfolio: RiskState, pending: PendingOrders): RiskState {
  return {
    cash: () => portfolio.cash().minus(pending.value()),
    capital: () => portfolio.capital(),
    heat: () => portfolio.heat().plus(pending.value()),
    marketExposure: (marketId) => portfolio.marketExposure(marketId).plus(pending.value(marketId)),
    shares: (strategy, tokenId) => portfolio.shares(strategy, tokenId),
    dayPnl: (day) => portfolio.dayPnl(day),
    capitalAtDayStart: (day) => portfolio.capitalAtDayStart(day),
    get lossStreak() {
      return portfolio.lossStreak;
    },
    get lossDay() {
      return portfolio.lossDay;
    },
    get killed() {
      return portfolio.killed;
    },
    sent: pending,
  };
}
