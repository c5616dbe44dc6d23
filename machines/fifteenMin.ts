import Big from 'big.js';
import { and, assign, enqueueActions, raise, setup } from 'xstate';
import { computedOnce } from './computedOnce';
import { adoptedStrays, afterSells, directionalLlmRequest, directionalPlan, exitPlan, openedPosition, oracleAfter, outcomeOf, pairPlan, sellable, withHoldings } from './fifteenMinPlan';
import type { FifteenMinContext, FifteenMinEvent, FifteenMinOutput, FifteenMinParams, Holding, MarketFields, Plan, Position } from './fifteenMinTypes';
import { llmCacheKey } from './llmCache';
import { allDone, allFilledInFull, anyFilled, answerLegs, answersLateOrder, answersTo, droppingRejected, floorShares, expireLegs, lateFillOf, legCost, LATE_ANSWERS, newLegs, orderFor, sharesReceived } from './orderLegs';

export * from './fifteenMinPlan';
export * from './fifteenMinTypes';

/**
 * The 15-minute crypto strategy for one asset (BTC, ETH, SOL, XRP): trades the asset's current
 * `{asset}-updown-15m-{start}` market on confirmed Binance momentum signals (or on the LLM's decision
 * about them) and buys both sides when their asks plus fees sum under 1 - minEdge.
 *
 * watching -> [deciding] -> entering -> holding -> exiting -> cooldown -> watching
 *
 * An order with no final answer after `orderTimeoutMs` is given up (its leg ends with what it
 * filled). If the venue fills it later, the shares join the position of their market, or are held
 * as strays until the machine is free to take them as a position of their own (see `adoptStrays`).
 *
 * These markets resolve on Chainlink (Up when the end price >= the window's start price), not on
 * Binance: the machine keeps the oracle's window start price in context but never treats the
 * Binance price as the resolution price. Time comes only from event `ts`.
 */

/** The plans a guard asks for and the action after it carries out, each computed once (machines/computedOnce.ts). */
const planDirectional = computedOnce(directionalPlan);
const planPair = computedOnce(pairPlan);
const planExit = computedOnce(exitPlan);

function marketFields(e: FifteenMinEvent): MarketFields | null {
  return e.type === 'SIGNAL' || e.type === 'QUOTE' || e.type === 'TICK' ? e : null;
}

/** The quote the context keeps after `e`: the event's when it carries market fields, else the one kept. */
function quoteAfter(context: FifteenMinContext, e: FifteenMinEvent): FifteenMinContext['quote'] {
  return marketFields(e)?.quote ?? context.quote;
}

type Counts = FifteenMinContext['counts'];
const initialCounts: Counts = { signalsSkipped: 0, decisionsSkipped: 0, entries: 0, exits: 0 };

/**
 * The counts with one more of `key`, copied by a literal: V8 copies a spread of an object that was itself
 * made by a spread on its slow path.
 */
function countedOne(c: Counts, key: keyof Counts): Counts {
  const next: Counts = { signalsSkipped: c.signalsSkipped, decisionsSkipped: c.decisionsSkipped, entries: c.entries, exits: c.exits };
  next[key]++;
  return next;
}

export const fifteenMinMachine = setup({
  types: {
    context: {} as FifteenMinContext,
    events: {} as FifteenMinEvent,
    input: {} as FifteenMinParams,
    emitted: {} as FifteenMinOutput,
  },
  guards: {
    unconfirmed: ({ event }) => event.type === 'SIGNAL' && !event.confirmed,
    signalTradable: ({ context, event }) => {
      if (event.type !== 'SIGNAL') return false;
      const outcome = outcomeOf(event.direction)!;
      return planDirectional(context.params, event.quote, outcome, event.ts, event.openPositions).ok;
    },
    askLlm: ({ context }) => context.params.useLlm,
    pairTradable: ({ context, event }) => {
      const m = marketFields(event);
      return m !== null && planPair(context.params, m.quote, m.ts, m.openPositions).ok;
    },
    decisionForUs: ({ context, event }) => event.type === 'DECISION' && context.pending !== null && event.key === context.pending.requestKey,
    decisionTradable: ({ context, event }) => {
      if (event.type !== 'DECISION' || !event.executed || context.pending === null || event.key !== context.pending.requestKey) return false;
      const outcome = outcomeOf(event.action);
      return outcome !== null && planDirectional(context.params, context.quote, outcome, event.ts, event.openPositions).ok;
    },
    decisionTimedOut: ({ context, event }) => context.pending !== null && event.ts - context.pending.since >= context.params.decisionTimeoutMs,
    entryHeld: ({ context }) => {
      const e = context.entry;
      if (e === null || !allDone(e.legs)) return false;
      return e.kind === 'pair' ? allFilledInFull(e.legs) : anyFilled(e.legs);
    },
    entryEmpty: ({ context }) => context.entry !== null && allDone(context.entry.legs) && !anyFilled(context.entry.legs),
    entryBroken: ({ context }) => context.entry !== null && allDone(context.entry.legs) && anyFilled(context.entry.legs),
    windowOver: ({ context, event }) => context.position !== null && event.ts >= context.position.windowEnd,
    resolvedOurs: ({ context, event }) => event.type === 'RESOLVED' && context.position !== null && event.marketId === context.position.marketId,
    exitNow: ({ context, event }) => {
      const m = marketFields(event);
      const pos = context.position;
      if (m === null || pos === null) return false;
      if (pos.lastExitAttempt !== null && m.ts - pos.lastExitAttempt < context.params.exitRetryMs) return false;
      return planExit(context.params, pos, m.quote, m.ts) !== null;
    },
    exitSettled: ({ context }) => context.exit !== null && allDone(context.exit.legs),
    positionClosed: ({ context }) => context.position === null || !sellable(context.position),
    cooledDown: ({ context, event }) => event.ts >= context.cooldownUntil,
    lateAnswer: answersLateOrder,
    hasStrays: ({ context }) => context.strays.some((s) => floorShares(new Big(s.shares)).gt(0)),
  },
  actions: {
    storeQuote: assign(({ context, event }) => ({ quote: quoteAfter(context, event) })),
    storeOracle: assign({ oracle: ({ context, event }) => (event.type === 'ORACLE' ? oracleAfter(context.oracle, event.ts, event.value) : context.oracle) }),
    noteSignalSkip: assign(({ context, event }) => {
      if (event.type !== 'SIGNAL') return {};
      const plan = planDirectional(context.params, event.quote, outcomeOf(event.direction)!, event.ts, event.openPositions);
      return { lastSkip: plan.ok ? null : `signal: ${plan.reason}`, counts: countedOne(context.counts, 'signalsSkipped') };
    }),
    requestDecision: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SIGNAL' || event.quote === null) return;
      const q = event.quote;
      const p = context.params;
      const key = llmCacheKey(p.asset, 'directional_trend', q.up.ask!, q.down.ask!);
      enqueue.assign({ pending: { requestKey: key, since: event.ts, direction: event.direction } });
      enqueue.emit(directionalLlmRequest(p, event, q, key));
    }),
    noteDecisionSkip: assign(({ context, event }) => ({
      pending: null,
      lastSkip: event.type === 'DECISION' ? `decision: ${event.action}${event.executed ? '' : ' (not executed)'}: ${event.reason}` : 'decision: timed out',
      counts: countedOne(context.counts, 'decisionsSkipped'),
    })),
    enter: enqueueActions(({ context, event, enqueue }) => {
      const p = context.params;
      let plan: Plan;
      let kind: Position['kind'] = 'directional';
      let reason: string;
      let quote = context.quote;
      if (event.type === 'SIGNAL') {
        quote = event.quote;
        plan = planDirectional(p, quote, outcomeOf(event.direction)!, event.ts, event.openPositions);
        reason = `${event.direction} signal ${event.change.toFixed(5)}`;
      } else if (event.type === 'DECISION') {
        plan = planDirectional(p, quote, outcomeOf(event.action)!, event.ts, event.openPositions);
        reason = `llm ${event.action}: ${event.reason}`;
      } else {
        const m = marketFields(event)!;
        quote = m.quote;
        plan = planPair(p, quote, m.ts, m.openPositions);
        kind = 'pair';
        reason = 'sum-to-one';
      }
      if (!plan.ok || quote === null) return;
      const groupId = kind === 'pair' ? `${p.strategy}:${p.asset}:${quote.marketId}:${event.ts}` : null;
      const legs = newLegs(event, plan.legs.map((l) => ({ marketId: quote!.marketId, tokenId: l.side.tokenId, outcome: l.side.outcome, side: 'BUY' as const, requested: l.shares.toFixed() })), event.ts);
      enqueue.assign({
        quote,
        pending: null,
        lastSkip: null,
        entry: { kind, since: event.ts, marketId: quote.marketId, windowEnd: quote.windowEnd, legs },
        counts: countedOne(context.counts, 'entries'),
      });
      legs.forEach((leg, i) => enqueue.emit(orderFor(leg, plan.legs[i].price, kind === 'pair' ? 'fok' : 'market', reason, groupId)));
    }),
    entryAnswer: assign({ entry: ({ context, event }) => answerLegs(context.entry, event) }),
    openPosition: assign(({ context }) => openedPosition(context.entry!, context.strays, null)),
    /** A pair with one side missing is not hedged: sell what filled. */
    openBrokenPair: assign(({ context }) => openedPosition(context.entry!, context.strays, 'unwind_incomplete_pair')),
    startExit: enqueueActions(({ context, event, enqueue }) => {
      const m = marketFields(event);
      const pos = context.position;
      if (m === null || pos === null) return;
      const exit = planExit(context.params, pos, m.quote, m.ts);
      if (exit === null) return;
      const { reason, sells } = exit;
      const legs = newLegs(event, sells.map((s) => ({ marketId: s.holding.marketId, tokenId: s.holding.tokenId, outcome: s.holding.outcome, side: 'SELL' as const, requested: s.shares.toFixed() })), m.ts);
      enqueue.assign({ quote: m.quote, exit: { reason, legs }, position: { ...pos, exitReason: reason, lastExitAttempt: m.ts } });
      legs.forEach((leg, i) => enqueue.emit(orderFor(leg, sells[i].price, 'market', reason, null)));
    }),
    exitAnswer: assign({ exit: ({ context, event }) => answerLegs(context.exit, event) }),
    settleExit: assign(({ context }) => {
      const pos = context.position!;
      const holdings = afterSells(pos.holdings, context.exit!.legs);
      return { exit: null, position: { ...pos, holdings } };
    }),
    closePosition: assign(({ context, event }) => ({
      position: null,
      exit: null,
      entry: null,
      lastExit: { ts: event.ts, reason: context.position?.exitReason ?? (event.type === 'RESOLVED' ? 'resolved' : event.ts >= (context.position?.windowEnd ?? 0) ? 'window_ended' : 'nothing_left') },
      cooldownUntil: event.ts + context.params.cooldownMs,
      counts: countedOne(context.counts, 'exits'),
    })),
    startCooldown: assign(({ context, event }) => ({ entry: null, cooldownUntil: event.ts + context.params.cooldownMs })),
    replay: raise(({ event }) => event),
    /** Gives up the entry or exit orders still unanswered `orderTimeoutMs` after they were sent. */
    expireOrders: assign(({ context, event }) => {
      const timeout = context.params.orderTimeoutMs;
      const { position } = context;
      const entry = expireLegs(context.entry, event.ts, timeout);
      const exit = position === null ? null : expireLegs(context.exit, event.ts, timeout);
      if (entry === null && exit === null) return {};
      const late = [
        ...context.late,
        ...(entry?.late.map((o) => ({ ...o, kind: entry.holder.kind, windowEnd: entry.holder.windowEnd })) ?? []),
        ...(exit?.late.map((o) => ({ ...o, kind: position!.kind, windowEnd: position!.windowEnd })) ?? []),
      ];
      return { ...(entry ? { entry: entry.holder } : {}), ...(exit ? { exit: exit.holder } : {}), late };
    }),
    /**
     * A late BUY fill joins the position when it is in the same market, else it is a stray; a late
     * SELL fill takes its shares from the position (or the strays) of its market.
     */
    takeLateFill: assign(({ context, event }) => {
      if (event.type !== 'FILL') return {};
      const { order, late, leg } = lateFillOf(context.late, event.fill);
      const pos = context.position !== null && context.position.marketId === order.marketId ? context.position : null;
      if (order.side === 'SELL') {
        return pos !== null ? { late, position: { ...pos, holdings: afterSells(pos.holdings, [leg]) } } : { late, strays: afterSells(context.strays, [leg]) };
      }
      const bought: Holding = { marketId: order.marketId, tokenId: order.tokenId, outcome: order.outcome, shares: sharesReceived(leg).toFixed(), cost: legCost(leg).toFixed() };
      if (pos !== null) return { late, position: { ...pos, holdings: withHoldings(pos.holdings, [bought]) } };
      return { late, strays: withHoldings(context.strays, [{ ...bought, kind: order.kind, windowEnd: order.windowEnd, since: event.ts }]) };
    }),
    dropLateOrder: assign(({ context, event }) => droppingRejected(context.late, event)),
    /** Strays of one market become the position (fifteenMinPlan.ts `adoptedStrays`). */
    adoptStrays: assign(({ context }) => adoptedStrays(context.strays)),
  },
}).createMachine({
  id: 'fifteenMin',
  context: ({ input }) => ({
    params: input,
    quote: null,
    pending: null,
    entry: null,
    position: null,
    exit: null,
    late: [],
    strays: [],
    cooldownUntil: 0,
    lastSkip: null,
    lastExit: null,
    counts: { ...initialCounts },
    oracle: { last: null, windowStart: null, startPrice: null },
  }),
  on: {
    ORACLE: { actions: 'storeOracle' },
    // Answers to given-up orders, in any state (the states handle only the orders they wait for).
    ...LATE_ANSWERS,
  },
  initial: 'watching',
  states: {
    watching: {
      always: { guard: 'hasStrays', target: 'holding', actions: 'adoptStrays' },
      on: {
        SIGNAL: [
          // Unconfirmed signals are counted once, by the engine (the report's `signals`); here they only bring the quote.
          { guard: 'unconfirmed', actions: 'storeQuote' },
          { guard: and(['signalTradable', 'askLlm']), target: 'deciding', actions: ['storeQuote', 'requestDecision'] },
          { guard: 'signalTradable', target: 'entering', actions: 'enter' },
          { actions: ['storeQuote', 'noteSignalSkip'] },
        ],
        QUOTE: [{ guard: 'pairTradable', target: 'entering', actions: 'enter' }, { actions: 'storeQuote' }],
        TICK: [{ guard: 'pairTradable', target: 'entering', actions: 'enter' }, { actions: 'storeQuote' }],
      },
    },
    deciding: {
      on: {
        DECISION: [
          { guard: 'decisionTradable', target: 'entering', actions: 'enter' },
          { guard: 'decisionForUs', target: 'watching', actions: 'noteDecisionSkip' },
        ],
        SIGNAL: [{ guard: 'decisionTimedOut', target: 'watching', actions: ['noteDecisionSkip', 'replay'] }, { actions: 'storeQuote' }],
        QUOTE: [{ guard: 'decisionTimedOut', target: 'watching', actions: ['noteDecisionSkip', 'replay'] }, { actions: 'storeQuote' }],
        TICK: [{ guard: 'decisionTimedOut', target: 'watching', actions: ['noteDecisionSkip', 'replay'] }, { actions: 'storeQuote' }],
      },
    },
    entering: {
      always: [
        { guard: 'entryHeld', target: 'holding', actions: 'openPosition' },
        { guard: 'entryEmpty', target: 'cooldown', actions: 'startCooldown' },
        { guard: 'entryBroken', target: 'holding', actions: 'openBrokenPair' },
      ],
      on: {
        ...answersTo('entryAnswer'),
        SIGNAL: { actions: ['storeQuote', 'expireOrders'] },
        QUOTE: { actions: ['storeQuote', 'expireOrders'] },
        TICK: { actions: ['storeQuote', 'expireOrders'] },
      },
    },
    holding: {
      // Late sells can leave nothing to sell.
      always: { guard: 'positionClosed', target: 'cooldown', actions: 'closePosition' },
      on: {
        RESOLVED: { guard: 'resolvedOurs', target: 'cooldown', actions: 'closePosition' },
        SIGNAL: holdingReaction(),
        QUOTE: holdingReaction(),
        TICK: holdingReaction(),
      },
    },
    exiting: {
      always: [
        { guard: 'exitSettled', target: 'afterExit', actions: 'settleExit' },
      ],
      on: {
        ...answersTo('exitAnswer'),
        SIGNAL: { actions: ['storeQuote', 'expireOrders'] },
        QUOTE: { actions: ['storeQuote', 'expireOrders'] },
        TICK: { actions: ['storeQuote', 'expireOrders'] },
      },
    },
    /** Transient: everything sold -> cooldown; shares left (partial fill, rejection) -> holding, retried. */
    afterExit: {
      always: [{ guard: 'positionClosed', target: 'cooldown', actions: 'closePosition' }, { target: 'holding' }],
    },
    cooldown: {
      always: { guard: 'hasStrays', target: 'holding', actions: 'adoptStrays' },
      on: {
        SIGNAL: [{ guard: 'cooledDown', target: 'watching', actions: 'replay' }, { actions: 'storeQuote' }],
        QUOTE: [{ guard: 'cooledDown', target: 'watching', actions: 'replay' }, { actions: 'storeQuote' }],
        TICK: [{ guard: 'cooledDown', target: 'watching', actions: 'replay' }, { actions: 'storeQuote' }],
      },
    },
  },
});

function holdingReaction() {
  return [
    { guard: 'windowOver' as const, target: 'cooldown', actions: 'closePosition' as const },
    { guard: 'exitNow' as const, target: 'exiting', actions: 'startExit' as const },
    { actions: 'storeQuote' as const },
  ];
}
