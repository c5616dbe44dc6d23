import type Big from 'big.js';
import type { HandedOrderId } from '../domain/orderId';
import type { Decimal, FillEvent, LlmAction, LlmContext, LlmOpportunity, RiskRejectionEvent } from '../events/types';
import type { LateOrder, Leg, OrderIntentOutput } from './orderLegs';

/**
 * The 15-minute strategy's vocabulary: its parameters, the quotes it is sent, its positions, the
 * events it takes and emits and its context (machines/fifteenMin.ts is the machine,
 * machines/fifteenMinPlan.ts the arithmetic).
 */

export const WINDOW_MS = 900_000;

export interface FifteenMinParams {
  asset: string;
  strategy: string;
  tradeUsd: Decimal;
  takeProfitPct: number;
  stopLossPct: number;
  maxPositions: number;
  sumToOneMinEdge: number;
  minTimeLeftMs: number;
  maxHoldMs: number;
  exitBeforeEndMs: number;
  cooldownMs: number;
  useLlm: boolean;
  decisionTimeoutMs: number;
  exitRetryMs: number;
  /** An order with no final answer (fill in full, partial fill, rejection) after this is given up. */
  orderTimeoutMs: number;
}

export interface SideQuote {
  tokenId: string;
  outcome: string;
  ask: Decimal | null;
  /** Shares at the best ask in the live book; null when only the Gamma snapshot is known. */
  askSize: Decimal | null;
  bid: Decimal | null;
  /** Taker fee in USDC per share bought at `ask` ("0" when the market has fees off). */
  buyFeePerShare: Decimal;
  /** Taker fee in USDC per share sold at `bid`. */
  sellFeePerShare: Decimal;
  stale: boolean;
}

/** The asset's current window market as the route sees it. */
export interface WindowQuote {
  marketId: string;
  slug: string;
  question: string;
  windowStart: number;
  windowEnd: number;
  /** Active, not closed, accepting orders, fee schedule known. */
  tradable: boolean;
  minSize: Decimal;
  up: SideQuote;
  down: SideQuote;
}

export interface PortfolioSummary {
  balance: Decimal;
  dailyPnl: string;
}


export interface Holding {
  marketId: string;
  tokenId: string;
  outcome: string;
  /** Shares in hand (after buy fees taken in shares). */
  shares: Decimal;
  /** USDC paid for them, fees included. */
  cost: Decimal;
}

export interface Position {
  kind: 'directional' | 'pair';
  marketId: string;
  windowEnd: number;
  since: number;
  holdings: Holding[];
  /** Set once an exit is due and survives partial or rejected sells, so the rest is sold on retry. */
  exitReason: string | null;
  lastExitAttempt: number | null;
}

/** A given-up order, with what a late BUY fill of it becomes: part of a pair or a directional bet, in which window. */
export type LatePositionOrder = LateOrder & { kind: Position['kind']; windowEnd: number };

/** Shares bought by a late fill that no position holds yet. */
export interface Stray extends Holding {
  kind: Position['kind'];
  windowEnd: number;
  /** Event time of the (first) late fill. */
  since: number;
}

export type Plan = { ok: true; legs: { side: SideQuote; shares: Big; price: Decimal }[] } | { ok: false; reason: string };

export interface MarketFields {
  ts: number;
  quote: WindowQuote | null;
  /** Positions open in this strategy over all assets (instances entering, holding or exiting). */
  openPositions: number;
}

/** Delivered by the strategy wrapper, which adds the id the next order gets (`nextOrder`). */
export type FifteenMinEvent = (
  | ({ type: 'SIGNAL'; direction: 'bullish' | 'bearish'; confirmed: boolean; change: number; price: Decimal; portfolio?: PortfolioSummary } & MarketFields)
  | ({ type: 'QUOTE' } & MarketFields)
  | ({ type: 'TICK' } & MarketFields)
  | { type: 'DECISION'; ts: number; key: string; action: LlmAction; executed: boolean; reason: string; openPositions: number }
  | { type: 'ORACLE'; ts: number; value: Decimal }
  | { type: 'RESOLVED'; ts: number; marketId: string }
  | { type: 'FILL'; ts: number; fill: FillEvent }
  | { type: 'REJECTED'; ts: number; rejection: RiskRejectionEvent }
) &
  HandedOrderId;

export interface LlmRequestOutput {
  type: 'llm_request';
  key: string;
  opportunity: LlmOpportunity;
  context: LlmContext;
  ruleAction: LlmAction;
}

export type FifteenMinOutput = OrderIntentOutput | LlmRequestOutput;


/** An entry's orders out: a directional bet or both sides of a pair, in one window market. */
export interface Entry {
  kind: Position['kind'];
  since: number;
  marketId: string;
  windowEnd: number;
  legs: Leg[];
}

export interface FifteenMinContext {
  params: FifteenMinParams;
  quote: WindowQuote | null;
  pending: { requestKey: string; since: number; direction: 'bullish' | 'bearish' } | null;
  entry: Entry | null;
  position: Position | null;
  exit: { reason: string; legs: Leg[] } | null;
  /** Orders given up after `orderTimeoutMs` that the venue may still fill. */
  late: LatePositionOrder[];
  /** Late-bought shares of a market other than the position's, or that arrived while an entry was out. */
  strays: Stray[];
  cooldownUntil: number;
  lastSkip: string | null;
  lastExit: { ts: number; reason: string } | null;
  counts: { signalsSkipped: number; decisionsSkipped: number; entries: number; exits: number };
  /** The Chainlink feed: the last value, and the window start price (the last value at or before the window start). */
  oracle: { last: { ts: number; value: Decimal } | null; windowStart: number | null; startPrice: Decimal | null };
}
