import type { AnyEvent, CancelIntentEvent, FillEvent, OrderIntentEvent, RiskRejectionEvent } from '../../events/types';
import type { MarketContext } from './marketContext';

/** What a broker answers for an order: a fill, or a rejection (nothing was sent). */
export type BrokerResult = FillEvent | RiskRejectionEvent;

/**
 * Paper or live: fills an order (or a group, all legs or none) or rejects it. A live broker cannot
 * answer at once: for an order it has sent it returns null (a group: no result for that leg), and the
 * exchange's answer arrives later as `order_update` / `exchange_fill` input events (docs/live-orders.md).
 * Implemented by `PaperBroker` and `LiveBroker`.
 */
export interface Broker {
  /**
   * Whether orders go to a venue. Such a broker must send nothing while the service replays its own
   * log (what the venue said is in the log as inputs); a paper broker's fills are derived again.
   */
  readonly sendsToVenue: boolean;
  /**
   * How long after it is sent an order reaches the book (network, the venue's taker delay), in event
   * time; the order fills against the book as it stands then. Absent or 0: at once (the live broker,
   * whose answers arrive as inputs anyway).
   */
  arrivalDelayMs?(intent: OrderIntentEvent, market: MarketContext | undefined): number;
  execute(intent: OrderIntentEvent, market: MarketContext | undefined, ts: number): BrokerResult | null;
  executeGroup(intents: readonly OrderIntentEvent[], market: (tokenId: string) => MarketContext | undefined, ts: number): BrokerResult[];
  /**
   * Cancels orders risk let through (several at once go out as one batch where the venue allows). Answers
   * now what it can (a resting paper order ends with a `risk_rejection` `cancelled`); a live broker answers
   * later with `order_update` input events. Absent: nothing rests, there is nothing to cancel.
   */
  cancel?(cancels: readonly CancelIntentEvent[], ts: number): BrokerResult[];
  /** Answers to earlier orders that an input event brings (paper tape fills: actors/execution/tapeFills.ts). */
  onInput?(event: AnyEvent): BrokerResult[];
}
