import type { MarketContext } from '../../actors/execution/marketContext';
import type { Broker, BrokerResult } from '../../actors/execution/broker';
import type { CancelIntentEvent, OrderIntentEvent } from '../../events/types';

/**
 * The live broker's contract as the trading reactor sees it: it sends every order and answers none
 * now (`null`); the exchange's answers arrive later as `exchange_fill` / `order_update` inputs.
 */
export class AnswersLater implements Broker {
  readonly sendsToVenue = true;
  readonly sent: OrderIntentEvent[] = [];
  /** Cancels risk let through; answered later too (`order_update`). */
  readonly cancelled: CancelIntentEvent[] = [];
  execute(intent: OrderIntentEvent, _market: MarketContext | undefined): BrokerResult | null {
    this.sent.push(intent);
    return null;
  }
  executeGroup(intents: readonly OrderIntentEvent[]): BrokerResult[] {
    this.sent.push(...intents);
    return [];
  }
  cancel(cancels: readonly CancelIntentEvent[]): BrokerResult[] {
    this.cancelled.push(...cancels);
    return [];
  }
}
