import Big from 'big.js';
import { assign, enqueueActions, setup } from 'xstate';
import { onTick } from '../domain/precision';
import { computedOnce } from './computedOnce';
import { crashReason, entryPlan, exitReason, holds, newOrder, orderFinished, pnl, sellable, withFill, withRejection, ZERO } from './flashCrashPlan';
import type { FlashCrashContext, FlashCrashEvent, FlashCrashInput, FlashCrashOrder } from './flashCrashTypes';
import { afterPrice } from './flashCrashWindow';
import { orderFor } from './orderLegs';

export * from './flashCrashPlan';
export * from './flashCrashTypes';

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

/** The entry and the exit reason a guard asks for and the action after it carries out, each computed once (machines/computedOnce.ts). */
const planEntry = computedOnce(entryPlan);
const planExitReason = computedOnce(exitReason);

/** Read once: every use of an imported binding is a getter call under tsx's CommonJS (machines/quietStep.ts `nodesOf`); this one runs on every price. */
const windowAfter = afterPrice;

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
      const { window, crash } = windowAfter(context.window, event.ts, event.price, context.params);
      return { now: Math.max(context.now, event.ts), window, crash, quote: event.quote, mark: event.quote.mark ?? context.mark };
    }),
    observeTick: assign(({ context, event }) => {
      if (event.type !== 'TICK') return {};
      return { now: Math.max(context.now, event.ts), quote: event.quote, mark: event.quote.mark ?? context.mark };
    }),
    applyFill: assign(({ context, event }) => (event.type === 'FILL' ? withFill(context, event.ts, event.fill) : {})),
    applyRejection: assign(({ context, event }) => (event.type === 'REJECTED' ? withRejection(context, event.ts, event.rejection) : {})),
    noteMarketCooldown: assign(({ context, event }) => {
      if (event.type !== 'MARKET_COOLDOWN') return {};
      return { now: Math.max(context.now, event.ts), cooldownUntil: Math.max(context.cooldownUntil, event.until) };
    }),
    startCooldown: assign(({ context }) => ({ cooldownUntil: Math.max(context.cooldownUntil, context.now + context.params.cooldownMs) })),
    clearOrder: assign({ order: null }),
    noteEntryPnl: assign(({ context }) => ({ entryPnl: context.entryPnl ?? pnl(context).toString() })),
    delayRetry: assign(({ context }) => ({ order: null, exitRetryAt: context.now + context.params.exitRetryMs })),
    chooseExitReason: assign(({ context }) => ({ exitReason: planExitReason(context) })),
    abandonDust: assign(({ context }) => ({
      abandonedShares: new Big(context.abandonedShares).plus(context.shares).toString(),
      shares: ZERO,
      cost: ZERO,
      openedAt: null,
      entryPnl: null,
      entryValue: ZERO,
      entryShares: ZERO,
    })),
    sendEntry: enqueueActions(({ context, event, enqueue }) => {
      const { price, size } = planEntry(context)!;
      const order = newOrder(context, event, 'BUY', size);
      enqueue.assign({ order, exitReason: null });
      enqueue.emit(orderFor(order, price, 'market', crashReason(context), null) as FlashCrashOrder);
    }),
    sendExit: enqueueActions(({ context, event, enqueue }) => {
      const price = onTick(new Big(context.mark!.price), new Big(context.quote!.tickSize), 'down');
      const order = newOrder(context, event, 'SELL', sellable(context).toString());
      enqueue.assign({ order });
      enqueue.emit(orderFor(order, price, 'market', `${context.exitReason}: P&L ${pnl(context).toFixed(4)} USD at ${context.mark!.price}`, null) as FlashCrashOrder);
    }),
  },
  guards: {
    holdsPosition: ({ context }) => holds(context),
    nothingHeld: ({ context }) => !holds(context) && context.order === null,
    inCooldown: ({ context }) => context.now < context.cooldownUntil,
    cooldownOver: ({ context }) => context.now >= context.cooldownUntil,
    crashEntry: ({ context }) => context.crash !== null && context.crash.ts === context.now && planEntry(context) !== null,
    entryFailed: ({ context }) => orderFinished(context) && !holds(context),
    entryFinished: ({ context }) => orderFinished(context),
    exitDueOnDust: ({ context }) => planExitReason(context) !== null && (sellable(context).eq(0) || sellable(context).lt(context.quote!.minSize)),
    exitDue: ({ context }) => planExitReason(context) !== null,
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
      entry: 'sendEntry',
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
      entry: 'sendExit',
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
