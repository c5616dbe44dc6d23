import type { HandedOrderId } from '../domain/orderId';
import type { Decimal, FillEvent, OrderIntentBody, RiskRejectionEvent } from '../events/types';
import type { PriceSample } from './flashCrashWindow';
import type { Leg } from './orderLegs';

/**
 * The flash-crash strategy's vocabulary: its parameters, the quote it is sent, the events it takes
 * and emits and its context (machines/flashCrash.ts is the machine, machines/flashCrashPlan.ts the
 * arithmetic).
 */

export interface FlashCrashParams {
  lookbackMs: number;
  dropRelative: number;
  dropAbsolute: number | null;
  tradeUsd: Decimal;
  /** Exit rules; each null one is off, the first that holds exits. Ticks and fractions compare the best bid with the entry's average price. */
  takeProfitTicks: number | null;
  stopLossTicks: number | null;
  takeProfitFraction: number | null;
  stopLossFraction: number | null;
  takeProfitUsd: Decimal | null;
  stopLossUsd: Decimal | null;
  maxHoldMs: number;
  exitBeforeEndMs: number;
  cooldownMs: number;
  /** An order with no final answer (fill in full, partial fill, rejection) after this is given up. */
  orderTimeoutMs: number;
  /** After an exit that left shares (rejected, partly filled, timed out), wait this long before selling again. */
  exitRetryMs: number;
  /** A watching instance whose market has not been listed for this long is ended (memory stays flat). */
  forgetUnlistedMs: number;
}

export interface FlashCrashInput extends FlashCrashParams {
  tokenId: string;
  marketId: string;
  outcome: string;
}

/** A sell price now and what it yields per share after the taker fee (computed by the caller). */
export interface Mark {
  price: Decimal;
  net: Decimal;
}

/** The token's market as the caller sees it at the event. */
export interface TokenQuote {
  /** Best ask to buy at, or null when unknown. */
  ask: Decimal | null;
  /** Where a sell would go now, or null when this event says nothing about it (the last mark stays). */
  mark: Mark | null;
  tickSize: Decimal;
  minSize: Decimal;
  endTs: number | null;
  /** Active, not closed, accepting orders and not resolved. */
  open: boolean;
  /** The token's book feed is stale: no orders at all. */
  stale: boolean;
}

export type PriceSource = 'last_trade' | 'book' | 'snapshot';

/** Delivered by the strategy wrapper, which adds the id the next order gets (`nextOrder`). */
export type FlashCrashEvent = (
  | { type: 'PRICE'; ts: number; price: number; source: PriceSource; quote: TokenQuote }
  | { type: 'TICK'; ts: number; quote: TokenQuote }
  | { type: 'FILL'; ts: number; fill: FillEvent }
  | { type: 'REJECTED'; ts: number; rejection: RiskRejectionEvent }
  /** Another token of the same market exited: no entry here before `until`. */
  | { type: 'MARKET_COOLDOWN'; ts: number; until: number }
  | { type: 'RESOLVED'; ts: number }
  /** The token's market left the scan `forgetUnlistedMs` ago and nothing of this instance is open. */
  | { type: 'UNLISTED'; ts: number }
) &
  HandedOrderId;

/** What the machine emits: an order intent body (the wrapper adds order id, strategy, ts); always a market order. */
export type FlashCrashOrder = OrderIntentBody & { orderId: string; orderType: 'market' };

export type ExitReason = 'end_of_market' | 'max_hold' | 'stop_loss' | 'take_profit';

export interface CrashSeen {
  ts: number;
  /** Window high and crash price, in millionths. */
  high: number;
  price: number;
}

/** The order the machine waits for: a leg of the one order-legs bookkeeping (machines/orderLegs.ts). */
export type OpenOrder = Leg;
export interface FlashCrashContext {
  params: FlashCrashInput;
  now: number;
  window: PriceSample[];
  /** The last price sample that was a crash, or null when the last sample was not. */
  crash: CrashSeen | null;
  quote: TokenQuote | null;
  mark: Mark | null;
  /** The order the machine waits for; fills and rejections of any other order (given up) do not answer it. */
  order: OpenOrder | null;
  shares: Decimal;
  /** What the held shares cost, fees included. */
  cost: Decimal;
  openedAt: number | null;
  /**
   * Unrealised P&L at the mark when the entry filled: what crossing the spread and the fees cost.
   * The stop-loss counts from it, so a stop fires on a move against the position, not on the
   * spread the entry paid; the take-profit is real net profit.
   */
  entryPnl: Decimal | null;
  /** Value and shares of the entry's buy fills (before fees): the entry's average price. */
  entryValue: Decimal;
  entryShares: Decimal;
  realisedPnl: Decimal;
  /** Shares left to resolution because they are under the market's minimum order size. */
  abandonedShares: Decimal;
  exitReason: ExitReason | null;
  exitRetryAt: number;
  cooldownUntil: number;
  lastRejection: string | null;
}

