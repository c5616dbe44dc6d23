import Big from 'big.js';
import { and, assign, enqueueActions, not, raise, setup } from 'xstate';
import type { HandedOrderId } from '../domain/orderId';
import type { Decimal, FillEvent, LlmAction, LlmContext, LlmOpportunity, RiskRejectionEvent } from '../events/types';
import { llmCacheKey } from './llmCache';
import {
  afterLateAnswer,
  allDone,
  allFilledInFull,
  anyFilled,
  answerLegs,
  floorShares,
  expireLegs,
  lateFillOf,
  legCost,
  lateAnswerIn,
  newLegs,
  orderFor,
  sharesReceived,
  type LateOrder,
  type Leg,
  type OrderIntentOutput,
} from './orderLegs';

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

interface MarketFields {
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

export interface FifteenMinContext {
  params: FifteenMinParams;
  quote: WindowQuote | null;
  pending: { requestKey: string; since: number; direction: 'bullish' | 'bearish' } | null;
  entry: { kind: Position['kind']; since: number; marketId: string; windowEnd: number; legs: Leg[] } | null;
  position: Position | null;
  exit: { reason: string; legs: Leg[] } | null;
  /** Orders given up after `orderTimeoutMs` that the venue may still fill. */
  late: LatePositionOrder[];
  /** Late-bought shares of a market other than the position's, or that arrived while an entry was out. */
  strays: Stray[];
  cooldownUntil: number;
  lastSkip: string | null;
  lastExit: { ts: number; reason: string } | null;
  counts: { unconfirmedIgnored: number; signalsSkipped: number; decisionsSkipped: number; entries: number; exits: number };
  /** The Chainlink feed: the last value, and the window start price (the last value at or before the window start). */
  oracle: { last: { ts: number; value: Decimal } | null; windowStart: number | null; startPrice: Decimal | null };
}

export type Plan = { ok: true; legs: { side: SideQuote; shares: Big; price: Decimal }[] } | { ok: false; reason: string };

function baseChecks(p: FifteenMinParams, quote: WindowQuote | null, sides: SideQuote[], ts: number, openPositions: number): string | null {
  if (quote === null) return 'no_window_market';
  if (!quote.tradable) return 'market_not_tradable';
  if (ts < quote.windowStart || quote.windowEnd - ts < p.minTimeLeftMs) return 'too_little_time_left';
  if (openPositions >= p.maxPositions) return 'max_positions';
  if (sides.some((s) => s.stale)) return 'stale_book';
  if (sides.some((s) => s.ask === null || !new Big(s.ask).gt(0) || !new Big(s.ask).lt(1))) return 'no_ask';
  return null;
}

/** Buy one side for `tradeUsd` at its best ask. */
export function directionalPlan(p: FifteenMinParams, quote: WindowQuote | null, outcome: 'Up' | 'Down', ts: number, openPositions: number): Plan {
  const side = quote === null ? null : outcome === 'Up' ? quote.up : quote.down;
  const problem = baseChecks(p, quote, side ? [side] : [], ts, openPositions);
  if (problem !== null || side === null || quote === null) return { ok: false, reason: problem ?? 'no_window_market' };
  const shares = floorShares(new Big(p.tradeUsd).div(side.ask!));
  if (shares.lt(quote.minSize)) return { ok: false, reason: 'below_min_size' };
  return { ok: true, legs: [{ side, shares, price: side.ask! }] };
}

/** Sum-to-one: buy both sides when ask(Up) + ask(Down) + fees per pair < 1 - minEdge. */
export function pairPlan(p: FifteenMinParams, quote: WindowQuote | null, ts: number, openPositions: number): Plan {
  const problem = baseChecks(p, quote, quote ? [quote.up, quote.down] : [], ts, openPositions);
  if (problem !== null || quote === null) return { ok: false, reason: problem ?? 'no_window_market' };
  const { up, down } = quote;
  const asks = new Big(up.ask!).plus(down.ask!);
  const costPerPair = asks.plus(up.buyFeePerShare).plus(down.buyFeePerShare);
  if (!costPerPair.lt(new Big(1).minus(p.sumToOneMinEdge))) return { ok: false, reason: 'no_sum_to_one_edge' };
  let shares = floorShares(new Big(p.tradeUsd).div(asks));
  for (const s of [up, down]) if (s.askSize !== null && shares.gt(s.askSize)) shares = floorShares(new Big(s.askSize));
  if (shares.lt(quote.minSize)) return { ok: false, reason: 'below_min_size' };
  return { ok: true, legs: [up, down].map((side) => ({ side, shares, price: side.ask! })) };
}

/** Why the position must be sold now, or null. TP/SL are marked at the best bid, net of the sell fee. */
export function exitReason(p: FifteenMinParams, pos: Position, quote: WindowQuote | null, ts: number): string | null {
  if (pos.exitReason !== null) return pos.exitReason;
  if (pos.kind === 'pair') return null; // a complete pair pays 1 at resolution whatever happens
  if (ts - pos.since >= p.maxHoldMs) return 'max_hold';
  if (pos.windowEnd - ts <= p.exitBeforeEndMs) return 'end_of_window';
  if (quote === null || quote.marketId !== pos.marketId) return null;
  // Usually one holding; a late fill of the other side can add a second.
  let value = new Big(0);
  let cost = new Big(0);
  for (const h of pos.holdings) {
    const side = quote.up.tokenId === h.tokenId ? quote.up : quote.down;
    if (side.bid === null || side.stale) return null;
    value = value.plus(new Big(h.shares).times(new Big(side.bid).minus(side.sellFeePerShare)));
    cost = cost.plus(h.cost);
  }
  if (cost.eq(0)) return null;
  const ret = value.minus(cost).div(cost);
  if (ret.gte(p.takeProfitPct)) return 'take_profit';
  if (ret.lte(-p.stopLossPct)) return 'stop_loss';
  return null;
}

/** The sells that close the position at the best bids, or null while a bid is missing or a book stale. */
function sellPlan(pos: Position, quote: WindowQuote | null): { holding: Holding; shares: Big; price: Decimal }[] | null {
  if (quote === null || quote.marketId !== pos.marketId) return null;
  const out: { holding: Holding; shares: Big; price: Decimal }[] = [];
  for (const h of pos.holdings) {
    const shares = floorShares(new Big(h.shares));
    if (shares.eq(0)) continue;
    const side = quote.up.tokenId === h.tokenId ? quote.up : quote.down;
    if (side.stale || side.bid === null || !new Big(side.bid).gt(0)) return null;
    out.push({ holding: h, shares, price: side.bid });
  }
  return out;
}

function sellable(pos: Position): boolean {
  return pos.holdings.some((h) => floorShares(new Big(h.shares)).gt(0));
}

function marketFields(e: FifteenMinEvent): MarketFields | null {
  return e.type === 'SIGNAL' || e.type === 'QUOTE' || e.type === 'TICK' ? e : null;
}

function outcomeOf(action: LlmAction | 'bullish' | 'bearish'): 'Up' | 'Down' | null {
  if (action === 'bullish' || action === 'buy_yes') return 'Up';
  if (action === 'bearish' || action === 'buy_no') return 'Down';
  return null;
}

/** Holdings from filled entry legs; a leg that bought nothing holds nothing. */
function holdingsOf(legs: readonly Leg[]): Holding[] {
  return legs
    .filter((l) => new Big(l.filled).gt(0))
    .map((l) => ({ marketId: l.marketId, tokenId: l.tokenId, outcome: l.outcome, shares: sharesReceived(l).toFixed(), cost: legCost(l).toFixed() }));
}

/** Holdings left after exit sells: shares and cost reduced pro rata. */
function afterSells<H extends Holding>(holdings: readonly H[], legs: readonly Leg[]): H[] {
  return holdings
    .map((h) => {
      const sold = legs.filter((l) => l.tokenId === h.tokenId).reduce((acc, l) => acc.plus(l.filled), new Big(0));
      const before = new Big(h.shares);
      const left = before.minus(sold);
      if (left.lte(0)) return null;
      return { ...h, shares: left.toFixed(), cost: new Big(h.cost).times(left).div(before).round(6, Big.roundHalfUp).toFixed() };
    })
    .filter((h): h is H => h !== null);
}

/** `add` joined to `base`: shares and cost summed per token. */
function withHoldings<H extends Holding>(base: readonly H[], add: readonly H[]): H[] {
  const out = [...base];
  for (const a of add) {
    const i = out.findIndex((h) => h.tokenId === a.tokenId);
    if (i < 0) out.push(a);
    else out[i] = { ...out[i], shares: new Big(out[i].shares).plus(a.shares).toFixed(), cost: new Big(out[i].cost).plus(a.cost).toFixed() };
  }
  return out;
}

function holdingOf(s: Stray): Holding {
  return { marketId: s.marketId, tokenId: s.tokenId, outcome: s.outcome, shares: s.shares, cost: s.cost };
}

/** Strays of a market join a position opened in it; the others stay strays. */
function takeStrays(c: FifteenMinContext, marketId: string, holdings: Holding[]): { holdings: Holding[]; strays: Stray[] } {
  const mine = c.strays.filter((s) => s.marketId === marketId).map(holdingOf);
  return { holdings: withHoldings(holdings, mine), strays: c.strays.filter((s) => s.marketId !== marketId) };
}

const initialCounts = { unconfirmedIgnored: 0, signalsSkipped: 0, decisionsSkipped: 0, entries: 0, exits: 0 };

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
      return directionalPlan(context.params, event.quote, outcome, event.ts, event.openPositions).ok;
    },
    askLlm: ({ context }) => context.params.useLlm,
    pairTradable: ({ context, event }) => {
      const m = marketFields(event);
      return m !== null && pairPlan(context.params, m.quote, m.ts, m.openPositions).ok;
    },
    decisionForUs: ({ context, event }) => event.type === 'DECISION' && context.pending !== null && event.key === context.pending.requestKey,
    decisionTradable: ({ context, event }) => {
      if (event.type !== 'DECISION' || !event.executed || context.pending === null || event.key !== context.pending.requestKey) return false;
      const outcome = outcomeOf(event.action);
      return outcome !== null && directionalPlan(context.params, context.quote, outcome, event.ts, event.openPositions).ok;
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
      return exitReason(context.params, pos, m.quote, m.ts) !== null && sellPlan(pos, m.quote) !== null;
    },
    exitSettled: ({ context }) => context.exit !== null && allDone(context.exit.legs),
    positionClosed: ({ context }) => context.position === null || !sellable(context.position),
    cooledDown: ({ context, event }) => event.ts >= context.cooldownUntil,
    lateAnswer: ({ context, event }) => lateAnswerIn(context.late, event) !== null,
    hasStrays: ({ context }) => context.strays.some((s) => floorShares(new Big(s.shares)).gt(0)),
  },
  actions: {
    storeQuote: assign({ quote: ({ context, event }) => marketFields(event)?.quote ?? context.quote }),
    storeOracle: assign({
      oracle: ({ context, event }) => {
        if (event.type !== 'ORACLE') return context.oracle;
        const start = Math.floor(event.ts / WINDOW_MS) * WINDOW_MS;
        let { windowStart, startPrice } = context.oracle;
        if (windowStart !== start) {
          // The start price is the last value at or before the window start (how the markets settle).
          const prev = context.oracle.last;
          windowStart = start;
          startPrice = event.ts === start ? event.value : prev !== null && prev.ts <= start ? prev.value : null;
        }
        return { last: { ts: event.ts, value: event.value }, windowStart, startPrice };
      },
    }),
    countUnconfirmed: assign({ counts: ({ context }) => ({ ...context.counts, unconfirmedIgnored: context.counts.unconfirmedIgnored + 1 }) }),
    noteSignalSkip: assign(({ context, event }) => {
      if (event.type !== 'SIGNAL') return {};
      const plan = directionalPlan(context.params, event.quote, outcomeOf(event.direction)!, event.ts, event.openPositions);
      return { lastSkip: plan.ok ? null : `signal: ${plan.reason}`, counts: { ...context.counts, signalsSkipped: context.counts.signalsSkipped + 1 } };
    }),
    requestDecision: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SIGNAL' || event.quote === null) return;
      const q = event.quote;
      const p = context.params;
      const key = llmCacheKey(p.asset, 'directional_trend', q.up.ask!, q.down.ask!);
      const portfolio = event.portfolio ?? { balance: '0', dailyPnl: '0' };
      enqueue.assign({ pending: { requestKey: key, since: event.ts, direction: event.direction } });
      enqueue.emit({
        type: 'llm_request',
        key,
        opportunity: 'directional_trend',
        context: {
          question: q.question,
          asset: p.asset,
          yesPrice: q.up.ask!,
          noPrice: q.down.ask!,
          minutesToResolution: Math.max(0, (q.windowEnd - event.ts) / 60_000),
          binancePrice: event.price,
          momentum: event.change,
          volumeConfirmed: event.confirmed,
          balance: portfolio.balance,
          openPositions: event.openPositions,
          dailyPnl: portfolio.dailyPnl,
        },
        ruleAction: event.direction === 'bullish' ? 'buy_yes' : 'buy_no',
      });
    }),
    noteDecisionSkip: assign(({ context, event }) => ({
      pending: null,
      lastSkip: event.type === 'DECISION' ? `decision: ${event.action}${event.executed ? '' : ' (not executed)'}: ${event.reason}` : 'decision: timed out',
      counts: { ...context.counts, decisionsSkipped: context.counts.decisionsSkipped + 1 },
    })),
    enter: enqueueActions(({ context, event, enqueue }) => {
      const p = context.params;
      let plan: Plan;
      let kind: Position['kind'] = 'directional';
      let reason: string;
      let quote = context.quote;
      if (event.type === 'SIGNAL') {
        quote = event.quote;
        plan = directionalPlan(p, quote, outcomeOf(event.direction)!, event.ts, event.openPositions);
        reason = `${event.direction} signal ${event.change.toFixed(5)}`;
      } else if (event.type === 'DECISION') {
        plan = directionalPlan(p, quote, outcomeOf(event.action)!, event.ts, event.openPositions);
        reason = `llm ${event.action}: ${event.reason}`;
      } else {
        const m = marketFields(event)!;
        quote = m.quote;
        plan = pairPlan(p, quote, m.ts, m.openPositions);
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
        counts: { ...context.counts, entries: context.counts.entries + 1 },
      });
      legs.forEach((leg, i) => enqueue.emit(orderFor(leg, plan.legs[i].price, kind === 'pair' ? 'fok' : 'market', reason, groupId)));
    }),
    entryAnswer: assign({ entry: ({ context, event }) => answerLegs(context.entry, event) }),
    openPosition: assign(({ context }) => {
      const e = context.entry!;
      const { holdings, strays } = takeStrays(context, e.marketId, holdingsOf(e.legs));
      return { entry: null, strays, position: { kind: e.kind, marketId: e.marketId, windowEnd: e.windowEnd, since: e.since, holdings, exitReason: null, lastExitAttempt: null } };
    }),
    /** A pair with one side missing is not hedged: sell what filled. */
    openBrokenPair: assign(({ context }) => {
      const e = context.entry!;
      const { holdings, strays } = takeStrays(context, e.marketId, holdingsOf(e.legs));
      return { entry: null, strays, position: { kind: e.kind, marketId: e.marketId, windowEnd: e.windowEnd, since: e.since, holdings, exitReason: 'unwind_incomplete_pair', lastExitAttempt: null } };
    }),
    startExit: enqueueActions(({ context, event, enqueue }) => {
      const m = marketFields(event);
      const pos = context.position;
      if (m === null || pos === null) return;
      const reason = exitReason(context.params, pos, m.quote, m.ts);
      const sells = sellPlan(pos, m.quote);
      if (reason === null || sells === null) return;
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
      counts: { ...context.counts, exits: context.counts.exits + 1 },
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
    dropLateOrder: assign(({ context, event }) => (event.type === 'REJECTED' ? { late: afterLateAnswer(context.late, event.rejection) } : {})),
    /**
     * Strays of one market become the position (as flash crash holds shares a late fill brought):
     * a directional bet under the usual exits, counted from the late fill; a pair leg is unwound,
     * as an incomplete pair always is.
     */
    adoptStrays: assign(({ context }) => {
      const marketId = context.strays.find((s) => floorShares(new Big(s.shares)).gt(0))!.marketId;
      const mine = context.strays.filter((s) => s.marketId === marketId);
      const kind: Position['kind'] = mine.some((s) => s.kind === 'pair') ? 'pair' : 'directional';
      return {
        strays: context.strays.filter((s) => s.marketId !== marketId),
        position: {
          kind,
          marketId,
          windowEnd: mine[0].windowEnd,
          since: Math.min(...mine.map((s) => s.since)),
          holdings: mine.map(holdingOf),
          exitReason: kind === 'pair' ? 'unwind_incomplete_pair' : null,
          lastExitAttempt: null,
        },
      };
    }),
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
    FILL: { guard: 'lateAnswer', actions: ['takeLateFill', 'expireOrders'] },
    REJECTED: { guard: 'lateAnswer', actions: ['dropLateOrder', 'expireOrders'] },
  },
  initial: 'watching',
  states: {
    watching: {
      always: { guard: 'hasStrays', target: 'holding', actions: 'adoptStrays' },
      on: {
        SIGNAL: [
          { guard: 'unconfirmed', actions: ['storeQuote', 'countUnconfirmed'] },
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
        SIGNAL: [{ guard: 'decisionTimedOut', target: 'watching', actions: ['noteDecisionSkip', 'replay'] }, { guard: 'unconfirmed', actions: ['storeQuote', 'countUnconfirmed'] }, { actions: 'storeQuote' }],
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
        FILL: { guard: not('lateAnswer'), actions: ['entryAnswer', 'expireOrders'] },
        REJECTED: { guard: not('lateAnswer'), actions: ['entryAnswer', 'expireOrders'] },
        SIGNAL: [{ guard: 'unconfirmed', actions: ['storeQuote', 'countUnconfirmed', 'expireOrders'] }, { actions: ['storeQuote', 'expireOrders'] }],
        QUOTE: { actions: ['storeQuote', 'expireOrders'] },
        TICK: { actions: ['storeQuote', 'expireOrders'] },
      },
    },
    holding: {
      // Late sells can leave nothing to sell.
      always: { guard: 'positionClosed', target: 'cooldown', actions: 'closePosition' },
      on: {
        RESOLVED: { guard: 'resolvedOurs', target: 'cooldown', actions: 'closePosition' },
        SIGNAL: holdingReaction(true),
        QUOTE: holdingReaction(false),
        TICK: holdingReaction(false),
      },
    },
    exiting: {
      always: [
        { guard: 'exitSettled', target: 'afterExit', actions: 'settleExit' },
      ],
      on: {
        FILL: { guard: not('lateAnswer'), actions: ['exitAnswer', 'expireOrders'] },
        REJECTED: { guard: not('lateAnswer'), actions: ['exitAnswer', 'expireOrders'] },
        SIGNAL: [{ guard: 'unconfirmed', actions: ['storeQuote', 'countUnconfirmed', 'expireOrders'] }, { actions: ['storeQuote', 'expireOrders'] }],
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
        SIGNAL: [{ guard: 'cooledDown', target: 'watching', actions: 'replay' }, { guard: 'unconfirmed', actions: ['storeQuote', 'countUnconfirmed'] }, { actions: 'storeQuote' }],
        QUOTE: [{ guard: 'cooledDown', target: 'watching', actions: 'replay' }, { actions: 'storeQuote' }],
        TICK: [{ guard: 'cooledDown', target: 'watching', actions: 'replay' }, { actions: 'storeQuote' }],
      },
    },
  },
});

function holdingReaction(isSignal: boolean) {
  return [
    { guard: 'windowOver' as const, target: 'cooldown', actions: 'closePosition' as const },
    { guard: 'exitNow' as const, target: 'exiting', actions: 'startExit' as const },
    ...(isSignal ? [{ guard: 'unconfirmed' as const, actions: ['storeQuote' as const, 'countUnconfirmed' as const] }] : []),
    { actions: 'storeQuote' as const },
  ];
}
