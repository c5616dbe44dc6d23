import Big from 'big.js';
import { makeEvent, type MarketInfo, type OrderIntentEvent, type RiskRejectionEvent } from '../../../events/types';
import { isTickSize } from '../../venues/polymarket/tickSizes';
import { onSizeStep } from '../../../domain/precision';
import type { MarketContext } from '../marketContext';

export const LIVE_BROKER_REASONS = ['unknown_market', 'market_data_incomplete', 'tick_size_unsupported', 'off_tick', 'below_min_size', 'size_precision', 'live_broker_closed', 'group_unsent'] as const;
export type LiveBrokerReason = (typeof LIVE_BROKER_REASONS)[number];

/** Market fields the signed order depends on: never sent on a default (Gamma omitted them). */
const ORDER_FIELDS = ['tickSize', 'minSize', 'negRisk'] as const;

export type MarketVerdict = { ok: true; info: MarketInfo } | { ok: false; reason: LiveBrokerReason; detail: string };

/**
 * What the live broker needs of the market before it signs anything: the token's market, its
 * tick size (one the CLOB knows), minimum size and negRisk flag as Gamma reported them, and a price
 * and size on that grid. The risk checks ran before; these guard the order's own fields.
 */
export function liveMarketCheck(intent: OrderIntentEvent, market: MarketContext | undefined): MarketVerdict {
  if (!market || !market.info.tokenIds.includes(intent.tokenId)) return { ok: false, reason: 'unknown_market', detail: `no market snapshot names token ${intent.tokenId}` };
  const info = market.info;
  const guessed = ORDER_FIELDS.filter((f) => info.defaulted?.includes(f));
  if (guessed.length > 0) return { ok: false, reason: 'market_data_incomplete', detail: `market ${info.id}: Gamma did not give ${guessed.join(', ')}; a live order is never signed on a default` };
  if (!isTickSize(info.tickSize)) return { ok: false, reason: 'tick_size_unsupported', detail: `market ${info.id}: tick size ${info.tickSize} is not one the CLOB client signs for` };
  const tick = new Big(info.tickSize);
  const price = new Big(intent.price);
  if (!price.mod(tick).eq(0) || price.lt(tick) || price.gt(new Big(1).minus(tick))) return { ok: false, reason: 'off_tick', detail: `price ${intent.price} is not a tick (${info.tickSize}) inside (0, 1)` };
  const size = new Big(intent.size);
  if (size.lt(info.minSize)) return { ok: false, reason: 'below_min_size', detail: `size ${intent.size} below the market minimum ${info.minSize}` };
  if (!onSizeStep(size)) return { ok: false, reason: 'size_precision', detail: `size ${intent.size} has more than 2 decimals` };
  return { ok: true, info };
}

/**
 * The live broker's refusals, which need no venue: for an order, its own; for a group, every leg
 * when one is refused (`group_unsent` for the others). Empty when everything may be sent. Pure, so
 * the service's rebuild derives the same refusals again without a broker.
 */
export function liveRefusals(intents: readonly OrderIntentEvent[], market: (tokenId: string) => MarketContext | undefined, ts: number): RiskRejectionEvent[] {
  for (const intent of intents) {
    const verdict = liveMarketCheck(intent, market(intent.tokenId));
    if (!verdict.ok) return intents.map((i) => (i === intent ? liveRejection(i, verdict.reason, verdict.detail, ts) : liveRejection(i, 'group_unsent', `leg ${intent.orderId} refused: ${verdict.reason}`, ts)));
  }
  return [];
}

export function liveRejection(intent: OrderIntentEvent, reason: LiveBrokerReason, detail: string, ts: number): RiskRejectionEvent {
  return makeEvent('risk_rejection', ts, { orderId: intent.orderId, strategy: intent.strategy, reason, detail });
}
