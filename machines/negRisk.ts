import Big from 'big.js';
import { assign, enqueueActions, raise, setup } from 'xstate';
import type { HandedOrderId } from '../domain/orderId';
import type { Decimal, FillEvent, RiskRejectionEvent } from '../events/types';
import { computedOnce } from './computedOnce';
import { evaluateSet, leftToSell, unwindSells, withShares, type NegRiskParams, type NegRiskSetQuote, type Opportunity, type UnwindItem } from './negRiskPlan';
import { allDone, allFilledInFull, anyFilled, answerLegs, answersLateOrder, answersTo, droppingRejected, floorShares, expireLegs, lateFillOf, LATE_ANSWERS, newLegs, orderFor, sharesReceived, type LateOrder, type Leg, type OrderIntentOutput } from './orderLegs';

export * from './negRiskPlan';

/**
 * NegRisk arbitrage for one negRisk event (key = negRiskMarketId): when buying the YES of every
 * outcome costs, with taker fees, less than the $1 the one winner pays, buy them all (one groupId).
 *
 * watching -> entering -> holding -> settled
 *                 \-> unwinding <-> unwindRetry -> cooldown -> watching   (some legs filled, others not)
 *                 \-> cooldown                                             (nothing filled)
 *
 * All legs or none: if any leg is rejected, fills short or has no answer after `orderTimeoutMs`,
 * every share that did fill is sold back. Shares a given-up order buys later are sold back too.
 */

/** Delivered by the strategy wrapper, which adds the id the next order gets (`nextOrder`). */
export type NegRiskEvent = (
  | { type: 'QUOTE'; ts: number; set: NegRiskSetQuote }
  | { type: 'TICK'; ts: number; set: NegRiskSetQuote | null }
  | { type: 'RESOLVED'; ts: number; marketId: string }
  | { type: 'FILL'; ts: number; fill: FillEvent }
  | { type: 'REJECTED'; ts: number; rejection: RiskRejectionEvent }
) &
  HandedOrderId;

export interface NegRiskContext {
  params: NegRiskParams;
  set: NegRiskSetQuote | null;
  lastSkip: string | null;
  entry: { since: number; groupId: string; legs: Leg[]; opportunity: Opportunity } | null;
  /** Shares bought in a set that did not complete, still to sell back. */
  unwind: { legs: Leg[]; toSell: UnwindItem[]; lastAttempt: number | null } | null;
  held: { marketId: string; tokenId: string; shares: Decimal }[];
  /** Orders given up after `orderTimeoutMs` that the venue may still fill. */
  late: LateOrder[];
  /** Late-bought shares waiting for the machine to unwind them (they arrived while a new set was out). */
  strays: UnwindItem[];
  cooldownUntil: number;
  counts: { sets: number; unwinds: number };
}

/** The plans a guard asks for and the action after it carries out, each computed once (machines/computedOnce.ts). */
const planSet = computedOnce(evaluateSet);
const planUnwind = computedOnce(unwindSells);

function quoteOf(e: NegRiskEvent): NegRiskSetQuote | null {
  return e.type === 'QUOTE' || e.type === 'TICK' ? e.set : null;
}

export const negRiskMachine = setup({
  types: {
    context: {} as NegRiskContext,
    events: {} as NegRiskEvent,
    input: {} as NegRiskParams,
    emitted: {} as OrderIntentOutput,
  },
  guards: {
    opportunity: ({ context, event }) => planSet(context.params, quoteOf(event)).ok,
    setFilled: ({ context }) => context.entry !== null && allDone(context.entry.legs) && allFilledInFull(context.entry.legs),
    setEmpty: ({ context }) => context.entry !== null && allDone(context.entry.legs) && !anyFilled(context.entry.legs),
    setBroken: ({ context }) => context.entry !== null && allDone(context.entry.legs) && anyFilled(context.entry.legs),
    resolvedOurs: ({ context, event }) => event.type === 'RESOLVED' && context.held.some((h) => h.marketId === event.marketId),
    unwindSettled: ({ context }) => context.unwind !== null && allDone(context.unwind.legs),
    nothingLeft: ({ context }) => context.unwind !== null && context.unwind.toSell.length === 0,
    canRetryUnwind: ({ context, event }) => {
      const u = context.unwind;
      if (u === null || (u.lastAttempt !== null && event.ts - u.lastAttempt < context.params.exitRetryMs)) return false;
      return planUnwind(u.toSell, quoteOf(event) ?? context.set) !== null;
    },
    cooledDown: ({ context, event }) => event.ts >= context.cooldownUntil,
    lateAnswer: answersLateOrder,
    hasStrays: ({ context }) => context.strays.length > 0,
  },
  actions: {
    storeSet: assign(({ context, event }) => {
      const set = quoteOf(event) ?? context.set;
      return { set };
    }),
    noteSkip: assign(({ context, event }) => {
      const set = quoteOf(event);
      if (set === null) return {};
      const ev = planSet(context.params, set);
      return { lastSkip: ev.ok ? null : ev.reason };
    }),
    enterSet: enqueueActions(({ context, event, enqueue }) => {
      const set = quoteOf(event);
      const ev = planSet(context.params, set);
      if (!ev.ok) return;
      const p = context.params;
      const o = ev.opportunity;
      const groupId = `${p.strategy}:${p.negRiskMarketId}:${event.ts}`;
      const legs = newLegs(event, o.legs.map((l) => ({ marketId: l.marketId, tokenId: l.tokenId, outcome: l.outcome, side: 'BUY' as const, requested: o.shares })), event.ts);
      enqueue.assign({ set, lastSkip: null, entry: { since: event.ts, groupId, legs, opportunity: o }, counts: { ...context.counts, sets: context.counts.sets + 1 } });
      const reason = `negRisk set: sum ${o.sumAsk} + fees ${o.feesPerSet}, edge ${o.edge}`;
      legs.forEach((leg, i) => enqueue.emit(orderFor(leg, o.legs[i].price, 'fok', reason, groupId)));
    }),
    entryAnswer: assign({ entry: ({ context, event }) => answerLegs(context.entry, event) }),
    /** Strays (late shares of an earlier set) are held with the set: they settle at resolution. */
    hold: assign(({ context }) => ({
      held: context.strays.reduce(
        (held, s) => withShares(held, { marketId: s.marketId, tokenId: s.tokenId, shares: '0' }, new Big(s.shares)),
        context.entry!.legs.map((l) => ({ marketId: l.marketId, tokenId: l.tokenId, shares: sharesReceived(l).toFixed() })),
      ),
      strays: [],
      entry: null,
    })),
    beginUnwind: assign(({ context }) => ({
      unwind: {
        legs: [],
        lastAttempt: null,
        toSell: context.strays.reduce(
          (toSell, s) => withShares(toSell, { ...s, shares: '0' }, new Big(s.shares)),
          context
            .entry!.legs.filter((l) => new Big(l.filled).gt(0))
            .map((l) => ({ marketId: l.marketId, tokenId: l.tokenId, outcome: l.outcome, shares: sharesReceived(l).toFixed() }))
            .filter((s) => floorShares(new Big(s.shares)).gt(0)),
        ),
      },
      strays: [],
      entry: null,
      counts: { ...context.counts, unwinds: context.counts.unwinds + 1 },
    })),
    /** Late shares with no set out: unwound as an incomplete set is. */
    adoptStrays: assign(({ context }) => ({
      unwind: { legs: [], lastAttempt: null, toSell: context.strays },
      strays: [],
      counts: { ...context.counts, unwinds: context.counts.unwinds + 1 },
    })),
    /** Gives up the entry or unwind orders still unanswered `orderTimeoutMs` after they were sent. */
    expireOrders: assign(({ context, event }) => {
      const timeout = context.params.orderTimeoutMs;
      const entry = expireLegs(context.entry, event.ts, timeout);
      const unwind = expireLegs(context.unwind, event.ts, timeout);
      if (entry === null && unwind === null) return {};
      const late = [...context.late, ...(entry?.late ?? []), ...(unwind?.late ?? [])];
      return { ...(entry ? { entry: entry.holder } : {}), ...(unwind ? { unwind: unwind.holder } : {}), late };
    }),
    /**
     * A late BUY fill is sold back: added to the unwind under way, held with a complete set, or kept
     * as a stray until the machine is free to unwind it. A late SELL fill is taken off what is to sell.
     */
    takeLateFill: assign(({ context, event }) => {
      if (event.type !== 'FILL') return {};
      const { order, late, leg } = lateFillOf(context.late, event.fill);
      const shares = order.side === 'BUY' ? sharesReceived(leg) : sharesReceived(leg).neg();
      const item: UnwindItem = { marketId: order.marketId, tokenId: order.tokenId, outcome: order.outcome, shares: '0' };
      if (context.unwind !== null) return { late, unwind: { ...context.unwind, toSell: withShares(context.unwind.toSell, item, shares) } };
      if (order.side === 'BUY' && context.entry === null && context.held.length > 0) {
        return { late, held: withShares(context.held, { marketId: order.marketId, tokenId: order.tokenId, shares: '0' }, shares) };
      }
      return { late, strays: withShares(context.strays, item, shares) };
    }),
    dropLateOrder: assign(({ context, event }) => droppingRejected(context.late, event)),
    sendUnwind: enqueueActions(({ context, event, enqueue }) => {
      const set = quoteOf(event) ?? context.set;
      if (context.unwind === null) return;
      const sells = planUnwind(context.unwind.toSell, set);
      if (sells === null) return;
      const legs = newLegs(event, sells.map((s) => ({ marketId: s.marketId, tokenId: s.tokenId, outcome: s.outcome, side: 'SELL' as const, requested: s.shares.toFixed() })), event.ts);
      enqueue.assign({ set, unwind: { ...context.unwind, legs, lastAttempt: event.ts } });
      legs.forEach((leg, i) => enqueue.emit(orderFor(leg, sells[i].price, 'market', 'negRisk unwind: set incomplete', null)));
    }),
    unwindAnswer: assign({ unwind: ({ context, event }) => answerLegs(context.unwind, event) }),
    settleUnwind: assign({ unwind: ({ context }) => (context.unwind ? { ...context.unwind, toSell: leftToSell(context.unwind.toSell, context.unwind.legs), legs: [] } : null) }),
    startCooldown: assign(({ context, event }) => ({ entry: null, unwind: null, cooldownUntil: event.ts + context.params.cooldownMs })),
    replay: raise(({ event }) => event),
  },
}).createMachine({
  id: 'negRisk',
  context: ({ input }) => ({ params: input, set: null, lastSkip: null, entry: null, unwind: null, held: [], late: [], strays: [], cooldownUntil: 0, counts: { sets: 0, unwinds: 0 } }),
  // Answers to given-up orders, in any state (the states handle only the orders they wait for).
  on: {
    ...LATE_ANSWERS,
  },
  initial: 'watching',
  states: {
    watching: {
      always: { guard: 'hasStrays', target: 'unwindRetry', actions: 'adoptStrays' },
      on: {
        QUOTE: [{ guard: 'opportunity', target: 'entering', actions: 'enterSet' }, { actions: ['storeSet', 'noteSkip'] }],
        TICK: [{ guard: 'opportunity', target: 'entering', actions: 'enterSet' }, { actions: ['storeSet', 'noteSkip'] }],
      },
    },
    entering: {
      always: [
        { guard: 'setFilled', target: 'holding', actions: 'hold' },
        { guard: 'setEmpty', target: 'cooldown', actions: 'startCooldown' },
        { guard: 'setBroken', target: 'unwindRetry', actions: 'beginUnwind' },
      ],
      on: {
        ...answersTo('entryAnswer'),
        QUOTE: { actions: ['storeSet', 'expireOrders'] },
        TICK: { actions: ['storeSet', 'expireOrders'] },
      },
    },
    /** Every leg filled: the set pays $1 whichever outcome wins. Held to resolution. */
    holding: {
      on: {
        RESOLVED: { guard: 'resolvedOurs', target: 'settled' },
        QUOTE: { actions: 'storeSet' },
        TICK: { actions: 'storeSet' },
      },
    },
    settled: { type: 'final' },
    /** Sells out; waiting for their fills. */
    unwinding: {
      always: [{ guard: 'unwindSettled', target: 'unwindRetry', actions: 'settleUnwind' }],
      on: {
        ...answersTo('unwindAnswer'),
        QUOTE: { actions: ['storeSet', 'expireOrders'] },
        TICK: { actions: ['storeSet', 'expireOrders'] },
      },
    },
    /** Shares left to sell: sold at the next quote with bids (not sooner than exitRetryMs after the last try). */
    unwindRetry: {
      always: [
        { guard: 'nothingLeft', target: 'cooldown', actions: 'startCooldown' },
        { guard: 'canRetryUnwind', target: 'unwinding', actions: 'sendUnwind' },
      ],
      on: {
        QUOTE: [{ guard: 'canRetryUnwind', target: 'unwinding', actions: 'sendUnwind' }, { actions: 'storeSet' }],
        TICK: [{ guard: 'canRetryUnwind', target: 'unwinding', actions: 'sendUnwind' }, { actions: 'storeSet' }],
      },
    },
    cooldown: {
      always: { guard: 'hasStrays', target: 'unwindRetry', actions: 'adoptStrays' },
      on: {
        QUOTE: [{ guard: 'cooledDown', target: 'watching', actions: 'replay' }, { actions: 'storeSet' }],
        TICK: [{ guard: 'cooledDown', target: 'watching', actions: 'replay' }, { actions: 'storeSet' }],
      },
    },
  },
});
