import Big from 'big.js';
import { assign, emit, setup } from 'xstate';
import type { Decimal, FillEvent, OrderIntentBody, OrderSide, RiskRejectionEvent } from '../events/types';
import { feeInShares } from '../domain/fees';
import { handedOrderIds, type HandedOrderId } from '../domain/orderId';
import { isSettled, orderStep, sentOrder, type OrderStatus } from '../domain/orderLifecycle';
import { ceilSize, floorSize, onTick } from '../domain/precision';
import { isCrash, pushSample, toMicros, windowHigh, type PriceSample } from './flashCrashWindow';

/**
 * Flash crash, one instance per outcome token: watch the price over a lookback; when it falls from
 * the window's high by the drop rule, buy the token at the best ask; sell on take-profit or
 * stop-loss (in price: ticks or a fraction of the entry price, measured at the best bid; or in
 * dollars of P&L at the mark, after the taker fee), after a maximum holding time, or
 * close to the market's end; then cool down.
 *
 * Pure: time is the `ts` of each event. Every event first updates the context (root handlers);
 * each state's decisions are eventless transitions over that context.
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

export interface OpenOrder {
  /** The id the wrapper handed over for it (domain/orderId.ts). */
  orderId: string;
  side: OrderSide;
  price: Decimal;
  size: Decimal;
  filled: Decimal;
  sentAt: number;
  /** Where the order is in the one lifecycle (domain/orderLifecycle.ts). */
  status: OrderStatus;
}

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

const ZERO = '0';

export const flashCrashMachine = setup({
  types: {
    input: {} as FlashCrashInput,
    context: {} as FlashCrashContext,
    events: {} as FlashCrashEvent,
    emitted: {} as FlashCrashOrder,
  },
  actions: {
    observePrice: assign(({ context, event }) => {
      if (event.type !== 'PRICE') return {};
      const sample = { ts: event.ts, micros: toMicros(event.price) };
      const window = pushSample(context.window, sample, context.params.lookbackMs);
      const high = windowHigh(window)!;
      const crash = isCrash(high, sample.micros, context.params) ? { ts: event.ts, high, price: sample.micros } : null;
      return { now: Math.max(context.now, event.ts), window, crash, quote: event.quote, mark: event.quote.mark ?? context.mark };
    }),
    observeTick: assign(({ context, event }) => {
      if (event.type !== 'TICK') return {};
      return { now: Math.max(context.now, event.ts), quote: event.quote, mark: event.quote.mark ?? context.mark };
    }),
    applyFill: assign(({ context, event }) => (event.type === 'FILL' ? withFill(context, event.ts, event.fill) : {})),
    applyRejection: assign(({ context, event }) => {
      if (event.type !== 'REJECTED') return {};
      const order = context.order?.orderId === event.rejection.orderId ? { ...context.order, status: orderStep(progressOf(context.order), { type: 'REJECT' }).status } : context.order;
      return { now: Math.max(context.now, event.ts), order, lastRejection: `${event.rejection.reason}: ${event.rejection.detail}` };
    }),
    noteMarketCooldown: assign(({ context, event }) => {
      if (event.type !== 'MARKET_COOLDOWN') return {};
      return { now: Math.max(context.now, event.ts), cooldownUntil: Math.max(context.cooldownUntil, event.until) };
    }),
    startCooldown: assign(({ context }) => ({ cooldownUntil: Math.max(context.cooldownUntil, context.now + context.params.cooldownMs) })),
    clearOrder: assign({ order: null }),
    noteEntryPnl: assign(({ context }) => ({ entryPnl: context.entryPnl ?? pnl(context).toString() })),
    delayRetry: assign(({ context }) => ({ order: null, exitRetryAt: context.now + context.params.exitRetryMs })),
    chooseExitReason: assign(({ context }) => ({ exitReason: exitReason(context) })),
    abandonDust: assign(({ context }) => ({
      abandonedShares: new Big(context.abandonedShares).plus(context.shares).toString(),
      shares: ZERO,
      cost: ZERO,
      openedAt: null,
      entryPnl: null,
      entryValue: ZERO,
      entryShares: ZERO,
    })),
    prepareEntry: assign(({ context, event }) => {
      const { price, size } = entryOrder(context);
      return { order: newOrder(context, event, 'BUY', price, size), exitReason: null };
    }),
    emitEntry: emit(({ context }) => orderIntent(context, crashReason(context))),
    prepareExit: assign(({ context, event }) => {
      const q = context.quote!;
      const price = onTick(new Big(context.mark!.price), new Big(q.tickSize), 'down');
      const size = sellable(context).toString();
      return { order: newOrder(context, event, 'SELL', price, size) };
    }),
    emitExit: emit(({ context }) => orderIntent(context, `${context.exitReason}: P&L ${pnl(context).toFixed(4)} USD at ${context.mark!.price}`)),
  },
  guards: {
    holdsPosition: ({ context }) => new Big(context.shares).gt(0),
    nothingHeld: ({ context }) => !new Big(context.shares).gt(0) && context.order === null,
    inCooldown: ({ context }) => context.now < context.cooldownUntil,
    cooldownOver: ({ context }) => context.now >= context.cooldownUntil,
    crashEntry: ({ context }) => context.crash !== null && context.crash.ts === context.now && canEnter(context),
    entryFailed: ({ context }) => orderFinished(context) && !new Big(context.shares).gt(0),
    entryFinished: ({ context }) => orderFinished(context),
    exitDueOnDust: ({ context }) => exitReason(context) !== null && (sellable(context).eq(0) || sellable(context).lt(context.quote!.minSize)),
    exitDue: ({ context }) => exitReason(context) !== null,
    nothingSellableLeft: ({ context }) => {
      const left = sellable(context);
      return left.eq(0) || (orderFinished(context) && left.lt(context.quote?.minSize ?? '0'));
    },
    exitFinished: ({ context }) => orderFinished(context),
  },
}).createMachine({
  id: 'flashCrash',
  context: ({ input }) => ({
    params: input,
    now: 0,
    window: [],
    crash: null,
    quote: null,
    mark: null,
    order: null,
    shares: ZERO,
    cost: ZERO,
    openedAt: null,
    entryPnl: null,
    entryValue: ZERO,
    entryShares: ZERO,
    realisedPnl: ZERO,
    abandonedShares: ZERO,
    exitReason: null,
    exitRetryAt: 0,
    cooldownUntil: 0,
    lastRejection: null,
  }),
  initial: 'watching',
  on: {
    PRICE: { actions: 'observePrice' },
    TICK: { actions: 'observeTick' },
    FILL: { actions: 'applyFill' },
    REJECTED: { actions: 'applyRejection' },
    MARKET_COOLDOWN: { actions: 'noteMarketCooldown' },
    RESOLVED: { target: '.resolved' },
  },
  states: {
    watching: {
      on: { UNLISTED: { guard: 'nothingHeld', target: 'forgotten' } },
      always: [
        // a fill that arrived after its order was given up
        { guard: 'holdsPosition', target: 'holding' },
        { guard: 'inCooldown', target: 'cooldown' },
        { guard: 'crashEntry', target: 'entering' },
      ],
    },
    entering: {
      entry: ['prepareEntry', 'emitEntry'],
      always: [
        { guard: 'entryFailed', target: 'cooldown', actions: ['clearOrder', 'startCooldown'] },
        { guard: 'entryFinished', target: 'holding', actions: ['clearOrder', 'noteEntryPnl'] },
      ],
    },
    holding: {
      always: [
        { guard: 'exitDueOnDust', target: 'cooldown', actions: ['chooseExitReason', 'abandonDust', 'startCooldown'] },
        { guard: 'exitDue', target: 'exiting', actions: 'chooseExitReason' },
      ],
    },
    exiting: {
      entry: ['prepareExit', 'emitExit'],
      always: [
        // sold out, or what is left is under the minimum order size: the round trip is over
        { guard: 'nothingSellableLeft', target: 'cooldown', actions: ['abandonDust', 'clearOrder', 'startCooldown'] },
        { guard: 'exitFinished', target: 'holding', actions: 'delayRetry' },
      ],
    },
    cooldown: {
      on: { UNLISTED: { guard: 'nothingHeld', target: 'forgotten' } },
      always: [
        { guard: 'holdsPosition', target: 'holding' },
        { guard: 'cooldownOver', target: 'watching' },
      ],
    },
    /** The market resolved: the portfolio settles what is held; nothing more to do. */
    resolved: { type: 'final' },
    /** The market left the scan long ago with nothing held or open here: the instance ends (a new one starts if it returns). */
    forgotten: { type: 'final' },
  },
});

// ---------------------------------------------------------------- pure helpers

function withFill(c: FlashCrashContext, ts: number, fill: FillEvent): Partial<FlashCrashContext> {
  const size = new Big(fill.size);
  const value = new Big(fill.price).times(size);
  const shares = new Big(c.shares);
  let order = c.order;
  // A late fill of an order given up on moves the position only.
  if (order && order.orderId === fill.orderId) {
    const filled = new Big(order.filled).plus(size);
    order = { ...order, filled: filled.toString(), status: orderStep(progressOf(order), { type: 'FILL', size: fill.size, restCancelled: fill.partial }).status };
  }
  if (fill.side === 'BUY') {
    // As the portfolio books it: the buy fee is taken in shares (domain/fees.ts).
    const feeShares = feeInShares(new Big(fill.fee), new Big(fill.price));
    return {
      now: Math.max(c.now, ts),
      order,
      shares: shares.plus(size).minus(feeShares).toString(),
      cost: new Big(c.cost).plus(value).toString(),
      entryValue: new Big(c.entryValue ?? ZERO).plus(value).toString(),
      entryShares: new Big(c.entryShares ?? ZERO).plus(size).toString(),
      openedAt: c.openedAt ?? ts,
    };
  }
  // A sell releases its share of the average cost.
  const sold = size.gt(shares) ? shares : size;
  const released = shares.gt(0) ? new Big(c.cost).times(sold).div(shares) : new Big(0);
  const left = shares.minus(sold);
  return {
    now: Math.max(c.now, ts),
    order,
    shares: left.toString(),
    cost: left.gt(0) ? new Big(c.cost).minus(released).toString() : ZERO,
    openedAt: left.gt(0) ? c.openedAt : null,
    entryPnl: left.gt(0) ? c.entryPnl : null,
    entryValue: left.gt(0) ? c.entryValue : ZERO,
    entryShares: left.gt(0) ? c.entryShares : ZERO,
    realisedPnl: new Big(c.realisedPnl).plus(value).minus(fill.fee).minus(released).toString(),
  };
}

/** The order about to be emitted, under the id the wrapper handed with the event. */
function newOrder(c: FlashCrashContext, event: FlashCrashEvent, side: OrderSide, price: Decimal, size: Decimal): OpenOrder {
  return { orderId: handedOrderIds(event, 1)[0], side, price, size, filled: ZERO, sentAt: c.now, status: sentOrder(size).status };
}

function progressOf(o: OpenOrder) {
  return { status: o.status, size: o.size, filled: o.filled };
}

/** Shares a sell order can carry: whole hundredths. */
function sellable(c: FlashCrashContext): Big {
  return floorSize(new Big(c.shares));
}

/** The machine waits no more: the order's answer is final, or none came within `orderTimeoutMs` (given up). */
function orderFinished(c: FlashCrashContext): boolean {
  return c.order !== null && (isSettled(c.order.status) || c.now - c.order.sentAt >= c.params.orderTimeoutMs);
}

function tradable(q: TokenQuote | null): q is TokenQuote {
  return q !== null && q.open && !q.stale;
}

function tooCloseToEnd(c: FlashCrashContext, q: TokenQuote): boolean {
  return q.endTs !== null && c.now >= q.endTs - c.params.exitBeforeEndMs;
}

function entryPrice(c: FlashCrashContext): Big | null {
  const q = c.quote!;
  const raw = q.ask !== null ? new Big(q.ask) : c.crash ? new Big(c.crash.price).div(1_000_000) : null;
  if (raw === null) return null;
  return new Big(onTick(raw, new Big(q.tickSize), 'up'));
}

function canEnter(c: FlashCrashContext): boolean {
  const q = c.quote;
  if (!tradable(q) || tooCloseToEnd(c, q) || c.now < c.cooldownUntil) return false;
  const price = entryPrice(c);
  return price !== null && price.gt(0) && price.lt(1);
}

/** Shares for `tradeUsd` at the entry price, 2 decimals, at least the market's minimum size. */
function entryOrder(c: FlashCrashContext): { price: Decimal; size: Decimal } {
  const price = entryPrice(c)!;
  let size = floorSize(new Big(c.params.tradeUsd).div(price));
  const min = new Big(c.quote!.minSize);
  if (size.lt(min)) size = ceilSize(min);
  return { price: price.toString(), size: size.toString() };
}

/** Unrealised P&L in USD at the mark, after the exit fee (mark.net), minus what the shares cost. */
export function pnl(c: FlashCrashContext): Big {
  if (c.mark === null) return new Big(0);
  return new Big(c.shares).times(c.mark.net).minus(c.cost);
}

function exitReason(c: FlashCrashContext): ExitReason | null {
  const q = c.quote;
  if (!new Big(c.shares).gt(0) || !tradable(q) || c.mark === null || !new Big(c.mark.price).gt(0) || c.now < c.exitRetryAt) return null;
  if (tooCloseToEnd(c, q)) return 'end_of_market';
  if (c.openedAt !== null && c.now - c.openedAt >= c.params.maxHoldMs) return 'max_hold';
  const { params } = c;
  const entry = entryAverage(c);
  if (entry !== null) {
    const bid = new Big(c.mark.price);
    const tick = new Big(q.tickSize);
    if (params.stopLossTicks !== null && bid.lte(entry.minus(tick.times(params.stopLossTicks)))) return 'stop_loss';
    if (params.stopLossFraction !== null && bid.lte(entry.times(1 - params.stopLossFraction))) return 'stop_loss';
    if (params.takeProfitTicks !== null && bid.gte(entry.plus(tick.times(params.takeProfitTicks)))) return 'take_profit';
    if (params.takeProfitFraction !== null && bid.gte(entry.times(1 + params.takeProfitFraction))) return 'take_profit';
  }
  const p = pnl(c);
  const base = c.entryPnl !== null ? new Big(c.entryPnl) : new Big(0);
  if (params.stopLossUsd !== null && p.lte(base.minus(params.stopLossUsd))) return 'stop_loss';
  if (params.takeProfitUsd !== null && p.gte(params.takeProfitUsd)) return 'take_profit';
  return null;
}

/** The entry's average fill price (before fees), or null when unknown (a restored snapshot of an older version). */
function entryAverage(c: FlashCrashContext): Big | null {
  const shares = new Big(c.entryShares ?? ZERO);
  return shares.gt(0) ? new Big(c.entryValue).div(shares) : null;
}

function crashReason(c: FlashCrashContext): string {
  const crash = c.crash!;
  const pct = ((crash.high - crash.price) / crash.high) * 100;
  return `flash crash: ${crash.high / 1_000_000} -> ${crash.price / 1_000_000} (-${pct.toFixed(1)}%) within ${c.params.lookbackMs} ms`;
}

function orderIntent(c: FlashCrashContext, reason: string): FlashCrashOrder {
  const order = c.order!;
  return {
    type: 'order_intent',
    orderId: order.orderId,
    marketId: c.params.marketId,
    tokenId: c.params.tokenId,
    outcome: c.params.outcome,
    side: order.side,
    price: order.price,
    size: order.size,
    orderType: 'market',
    reason,
    groupId: null,
  };
}
