import Big from 'big.js';
import { assign, enqueueActions, not, raise, setup } from 'xstate';
import type { HandedOrderId } from '../domain/orderId';
import type { Decimal, FillEvent, RiskRejectionEvent } from '../events/types';
import {
  afterLateAnswer,
  allDone,
  allFilledInFull,
  anyFilled,
  answerLegs,
  floorShares,
  expireLegs,
  lateFillOf,
  lateAnswerIn,
  newLegs,
  orderFor,
  sharesReceived,
  type LateOrder,
  type Leg,
  type OrderIntentOutput,
} from './orderLegs';

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

export interface NegRiskParams {
  negRiskMarketId: string;
  strategy: string;
  /** Profit per $1 set after fees. */
  minEdge: number;
  /** 1 - sum of asks, before fees. */
  minDeviation: number;
  /** An apparent edge above this means outcomes are missing from the set: skip it. */
  maxEdge: number;
  minLegLiquidityUsd: Decimal;
  maxSetUsd: Decimal;
  cooldownMs: number;
  exitRetryMs: number;
  /** An order with no final answer (fill in full, partial fill, rejection) after this is given up. */
  orderTimeoutMs: number;
}

export interface NegRiskLegQuote {
  marketId: string;
  /** The YES token. */
  tokenId: string;
  outcome: string;
  /** groupItemTitle, else the question. */
  title: string;
  active: boolean;
  closed: boolean;
  acceptingOrders: boolean;
  augmented: boolean;
  stale: boolean;
  ask: Decimal | null;
  /** Shares at the best ask in the live book; null without a live book. */
  askSize: Decimal | null;
  bid: Decimal | null;
  /** Taker fee in USDC per share bought at `ask`; null when the market's fee schedule is unknown. */
  buyFeePerShare: Decimal | null;
  minSize: Decimal;
}

export interface NegRiskSetQuote {
  negRiskMarketId: string;
  legs: NegRiskLegQuote[];
}

/** Delivered by the strategy wrapper, which adds the id the next order gets (`nextOrder`). */
export type NegRiskEvent = (
  | { type: 'QUOTE'; ts: number; set: NegRiskSetQuote }
  | { type: 'TICK'; ts: number; set: NegRiskSetQuote | null }
  | { type: 'RESOLVED'; ts: number; marketId: string }
  | { type: 'FILL'; ts: number; fill: FillEvent }
  | { type: 'REJECTED'; ts: number; rejection: RiskRejectionEvent }
) &
  HandedOrderId;

export interface Opportunity {
  sumAsk: Decimal;
  /** Taker fees of one share of every leg. */
  feesPerSet: Decimal;
  /** 1 - sumAsk. */
  deviation: Decimal;
  /** 1 - sumAsk - feesPerSet: profit per set. */
  edge: Decimal;
  shares: Decimal;
  /** shares x (sumAsk + feesPerSet). */
  costUsd: Decimal;
  expectedProfitUsd: Decimal;
  legs: { marketId: string; tokenId: string; outcome: string; price: Decimal }[];
}

export type SetEvaluation = { ok: true; opportunity: Opportunity } | { ok: false; reason: string };

/** Placeholder outcomes of augmented events, and "Other": their YES does not complete the set. */
const PLACEHOLDER = /^(other|others|person [a-z0-9]+|player [a-z0-9]+|candidate [a-z0-9]+|team [a-z0-9]+)$/i;

export function isPlaceholder(title: string): boolean {
  return PLACEHOLDER.test(title.trim());
}

/** Whether the set can be bought whole now, and how much of it. Pure; the machine's guards use it. */
export function evaluateSet(p: NegRiskParams, set: NegRiskSetQuote | null): SetEvaluation {
  if (set === null || set.legs.length < 2) return { ok: false, reason: 'too_few_legs' };
  const legs = set.legs;
  if (legs.some((l) => l.augmented)) return { ok: false, reason: 'augmented' };
  if (legs.some((l) => isPlaceholder(l.title))) return { ok: false, reason: 'placeholder_outcome' };
  if (legs.some((l) => !l.active || l.closed || !l.acceptingOrders)) return { ok: false, reason: 'leg_not_tradable' };
  if (legs.some((l) => l.stale)) return { ok: false, reason: 'stale_book' };
  if (legs.some((l) => l.ask === null || !new Big(l.ask).gt(0) || !new Big(l.ask).lt(1))) return { ok: false, reason: 'missing_ask' };
  if (legs.some((l) => l.buyFeePerShare === null)) return { ok: false, reason: 'fee_unknown' };
  const sumAsk = legs.reduce((acc, l) => acc.plus(l.ask!), new Big(0));
  const fees = legs.reduce((acc, l) => acc.plus(l.buyFeePerShare!), new Big(0));
  const deviation = new Big(1).minus(sumAsk);
  const edge = deviation.minus(fees);
  if (deviation.lt(p.minDeviation)) return { ok: false, reason: 'deviation_below_min' };
  if (edge.lt(p.minEdge)) return { ok: false, reason: 'edge_below_min' };
  if (edge.gt(p.maxEdge)) return { ok: false, reason: 'implausible_edge' };
  if (legs.some((l) => l.askSize === null)) return { ok: false, reason: 'no_book_depth' };
  if (legs.some((l) => new Big(l.askSize!).times(l.ask!).lt(p.minLegLiquidityUsd))) return { ok: false, reason: 'thin_leg' };
  const perSet = sumAsk.plus(fees);
  let shares = floorShares(new Big(p.maxSetUsd).div(perSet));
  for (const l of legs) if (shares.gt(l.askSize!)) shares = floorShares(new Big(l.askSize!));
  const minSize = legs.reduce((acc, l) => (new Big(l.minSize).gt(acc) ? new Big(l.minSize) : acc), new Big(0));
  if (shares.lt(minSize) || shares.eq(0)) return { ok: false, reason: 'below_min_size' };
  return {
    ok: true,
    opportunity: {
      sumAsk: sumAsk.toFixed(),
      feesPerSet: fees.toFixed(),
      deviation: deviation.toFixed(),
      edge: edge.toFixed(),
      shares: shares.toFixed(),
      costUsd: shares.times(perSet).toFixed(),
      expectedProfitUsd: shares.times(edge).toFixed(),
      legs: legs.map((l) => ({ marketId: l.marketId, tokenId: l.tokenId, outcome: l.outcome, price: l.ask! })),
    },
  };
}

export interface UnwindItem {
  marketId: string;
  tokenId: string;
  outcome: string;
  shares: Decimal;
}

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

function quoteOf(e: NegRiskEvent): NegRiskSetQuote | null {
  return e.type === 'QUOTE' || e.type === 'TICK' ? e.set : null;
}

/** Sells for what is left to unwind, at each leg's best bid; null while a bid is missing or a book stale. */
function unwindSells(ctx: NegRiskContext): { marketId: string; tokenId: string; outcome: string; shares: Big; price: Decimal }[] | null {
  if (ctx.unwind === null || ctx.set === null) return null;
  const out = [];
  for (const s of ctx.unwind.toSell) {
    const shares = floorShares(new Big(s.shares));
    if (shares.eq(0)) continue;
    const leg = ctx.set.legs.find((l) => l.tokenId === s.tokenId);
    if (!leg || leg.stale || leg.bid === null || !new Big(leg.bid).gt(0)) return null;
    out.push({ ...s, shares, price: leg.bid });
  }
  return out;
}

/** What is still to sell after the unwind sells came back. */
function leftToSell(toSell: readonly UnwindItem[], legs: readonly Leg[]): UnwindItem[] {
  return toSell
    .map((s) => {
      const sold = legs.filter((l) => l.tokenId === s.tokenId).reduce((acc, l) => acc.plus(l.filled), new Big(0));
      return { ...s, shares: new Big(s.shares).minus(sold).toFixed() };
    })
    .filter((s) => floorShares(new Big(s.shares)).gt(0));
}

/** `items` with `shares` more (or fewer, when negative) of a token; what is left under 0.01 share is dropped. */
function withShares<T extends { tokenId: string; shares: Decimal }>(items: readonly T[], item: T, shares: Big): T[] {
  const i = items.findIndex((x) => x.tokenId === item.tokenId);
  const out = i < 0 ? [...items, { ...item, shares: shares.toFixed() }] : items.map((x, j) => (j === i ? { ...x, shares: new Big(x.shares).plus(shares).toFixed() } : x));
  return out.filter((x) => floorShares(new Big(x.shares)).gt(0));
}

export const negRiskMachine = setup({
  types: {
    context: {} as NegRiskContext,
    events: {} as NegRiskEvent,
    input: {} as NegRiskParams,
    emitted: {} as OrderIntentOutput,
  },
  guards: {
    opportunity: ({ context, event }) => evaluateSet(context.params, quoteOf(event)).ok,
    setFilled: ({ context }) => context.entry !== null && allDone(context.entry.legs) && allFilledInFull(context.entry.legs),
    setEmpty: ({ context }) => context.entry !== null && allDone(context.entry.legs) && !anyFilled(context.entry.legs),
    setBroken: ({ context }) => context.entry !== null && allDone(context.entry.legs) && anyFilled(context.entry.legs),
    resolvedOurs: ({ context, event }) => event.type === 'RESOLVED' && context.held.some((h) => h.marketId === event.marketId),
    unwindSettled: ({ context }) => context.unwind !== null && allDone(context.unwind.legs),
    nothingLeft: ({ context }) => context.unwind !== null && context.unwind.toSell.length === 0,
    canRetryUnwind: ({ context, event }) => {
      const u = context.unwind;
      if (u === null || (u.lastAttempt !== null && event.ts - u.lastAttempt < context.params.exitRetryMs)) return false;
      const ctx = { ...context, set: quoteOf(event) ?? context.set };
      return unwindSells(ctx) !== null;
    },
    cooledDown: ({ context, event }) => event.ts >= context.cooldownUntil,
    lateAnswer: ({ context, event }) => lateAnswerIn(context.late, event) !== null,
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
      const ev = evaluateSet(context.params, set);
      return { lastSkip: ev.ok ? null : ev.reason };
    }),
    enterSet: enqueueActions(({ context, event, enqueue }) => {
      const set = quoteOf(event);
      const ev = evaluateSet(context.params, set);
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
    dropLateOrder: assign(({ context, event }) => (event.type === 'REJECTED' ? { late: afterLateAnswer(context.late, event.rejection) } : {})),
    sendUnwind: enqueueActions(({ context, event, enqueue }) => {
      const set = quoteOf(event) ?? context.set;
      const sells = unwindSells({ ...context, set });
      if (sells === null || context.unwind === null) return;
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
    FILL: { guard: 'lateAnswer', actions: ['takeLateFill', 'expireOrders'] },
    REJECTED: { guard: 'lateAnswer', actions: ['dropLateOrder', 'expireOrders'] },
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
        FILL: { guard: not('lateAnswer'), actions: ['entryAnswer', 'expireOrders'] },
        REJECTED: { guard: not('lateAnswer'), actions: ['entryAnswer', 'expireOrders'] },
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
        FILL: { guard: not('lateAnswer'), actions: ['unwindAnswer', 'expireOrders'] },
        REJECTED: { guard: not('lateAnswer'), actions: ['unwindAnswer', 'expireOrders'] },
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
