import Big from 'big.js';
import type { Decimal, LlmAction } from '../events/types';
import { BoundedMemo } from '../domain/memo';
import { floorShares, legCost, sharesReceived, type Leg } from './orderLegs';
import { WINDOW_MS, type FifteenMinContext, type FifteenMinEvent, type Entry, type FifteenMinParams, type Holding, type LlmRequestOutput, type Plan, type Position, type SideQuote, type Stray, type WindowQuote } from './fifteenMinTypes';

/**
 * The 15-minute strategy's arithmetic, apart from its machine (machines/fifteenMin.ts): what an entry
 * buys (a directional bet or a sum-to-one pair), when and what a position sells, and what holdings
 * become after fills. Pure functions of their arguments; decimals as strings in what the machine keeps.
 */

function baseChecks(p: FifteenMinParams, quote: WindowQuote | null, sides: SideQuote[], ts: number, openPositions: number): string | null {
  if (quote === null) return 'no_window_market';
  if (!quote.tradable) return 'market_not_tradable';
  if (ts < quote.windowStart || quote.windowEnd - ts < p.minTimeLeftMs) return 'too_little_time_left';
  if (openPositions >= p.maxPositions) return 'max_positions';
  if (sides.some((s) => s.stale)) return 'stale_book';
  if (sides.some((s) => s.ask === null || !buyable(s.ask))) return 'no_ask';
  return null;
}

const BIG_ZERO = new Big(0);
const BIG_ONE = new Big(1);

/**
 * Whether an ask can be bought at (0 < ask < 1), remembered per text: every quote of a watching
 * instance asks it of both sides, and the same few prices come again and again (bounded: cleared at
 * 10 000 texts).
 */
const buyableAsks = new BoundedMemo<Decimal, boolean>(10_000);

function buyable(ask: Decimal): boolean {
  return buyableAsks.get(ask, isBuyable);
}

function isBuyable(ask: Decimal): boolean {
  const x = new Big(ask);
  return x.gt(BIG_ZERO) && x.lt(BIG_ONE);
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

/** A pair's two asks and buy fees, the sum of the asks, and whether asks plus fees are under `limit`. */
interface PairSum {
  upAsk: Decimal;
  downAsk: Decimal;
  upFee: Decimal;
  downFee: Decimal;
  asks: Big;
  edge: boolean;
  /** 1 - minEdge of the parameters. */
  limit: Big;
}

/**
 * The last pair sum per parameters object (one per instance, asked on every quote while it watches;
 * quotes often change nothing of the two asks and fees), and every sum by minimum edge, asks and fees
 * (asks sit on a grid of ticks and come back). Big values are never changed in place, so a remembered
 * `asks` is the one a new sum would give.
 */
const pairSums = new WeakMap<FifteenMinParams, PairSum>();
const pairSumsByPrices = new BoundedMemo<string, PairSum>(10_000);

function pairSum(p: FifteenMinParams, up: SideQuote, down: SideQuote): PairSum {
  const last = pairSums.get(p);
  if (last !== undefined && last.upAsk === up.ask && last.downAsk === down.ask && last.upFee === up.buyFeePerShare && last.downFee === down.buyFeePerShare) return last;
  const sum = pairSumsByPrices.get(`${p.sumToOneMinEdge}|${up.ask}|${down.ask}|${up.buyFeePerShare}|${down.buyFeePerShare}`, () => {
    const asks = new Big(up.ask!).plus(down.ask!);
    const limit = BIG_ONE.minus(p.sumToOneMinEdge);
    const edge = asks.plus(up.buyFeePerShare).plus(down.buyFeePerShare).lt(limit);
    return { upAsk: up.ask!, downAsk: down.ask!, upFee: up.buyFeePerShare, downFee: down.buyFeePerShare, asks, edge, limit };
  });
  pairSums.set(p, sum);
  return sum;
}

/** Sum-to-one: buy both sides when ask(Up) + ask(Down) + fees per pair < 1 - minEdge. */
export function pairPlan(p: FifteenMinParams, quote: WindowQuote | null, ts: number, openPositions: number): Plan {
  const problem = baseChecks(p, quote, quote ? [quote.up, quote.down] : [], ts, openPositions);
  if (problem !== null || quote === null) return { ok: false, reason: problem ?? 'no_window_market' };
  const { up, down } = quote;
  const { asks, edge } = pairSum(p, up, down);
  if (!edge) return { ok: false, reason: 'no_sum_to_one_edge' };
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
export function sellPlan(pos: Position, quote: WindowQuote | null): { holding: Holding; shares: Big; price: Decimal }[] | null {
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

/** The exit due now: why, and the sells that close the position at the best bids; null when none is due or a bid is missing or a book stale. */
export function exitPlan(p: FifteenMinParams, pos: Position, quote: WindowQuote | null, ts: number): { reason: string; sells: { holding: Holding; shares: Big; price: Decimal }[] } | null {
  const reason = exitReason(p, pos, quote, ts);
  if (reason === null) return null;
  const sells = sellPlan(pos, quote);
  return sells === null ? null : { reason, sells };
}

export function sellable(pos: Position): boolean {
  return pos.holdings.some((h) => floorShares(new Big(h.shares)).gt(0));
}

export function outcomeOf(action: LlmAction | 'bullish' | 'bearish'): 'Up' | 'Down' | null {
  if (action === 'bullish' || action === 'buy_yes') return 'Up';
  if (action === 'bearish' || action === 'buy_no') return 'Down';
  return null;
}

/** Holdings from filled entry legs; a leg that bought nothing holds nothing. */
export function holdingsOf(legs: readonly Leg[]): Holding[] {
  return legs
    .filter((l) => new Big(l.filled).gt(0))
    .map((l) => ({ marketId: l.marketId, tokenId: l.tokenId, outcome: l.outcome, shares: sharesReceived(l).toFixed(), cost: legCost(l).toFixed() }));
}

/** Holdings left after exit sells: shares and cost reduced pro rata. */
export function afterSells<H extends Holding>(holdings: readonly H[], legs: readonly Leg[]): H[] {
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
export function withHoldings<H extends Holding>(base: readonly H[], add: readonly H[]): H[] {
  const out = [...base];
  for (const a of add) {
    const i = out.findIndex((h) => h.tokenId === a.tokenId);
    if (i < 0) out.push(a);
    else out[i] = { ...out[i], shares: new Big(out[i].shares).plus(a.shares).toFixed(), cost: new Big(out[i].cost).plus(a.cost).toFixed() };
  }
  return out;
}

export function holdingOf(s: Stray): Holding {
  return { marketId: s.marketId, tokenId: s.tokenId, outcome: s.outcome, shares: s.shares, cost: s.cost };
}

/** Strays of a market join a position opened in it; the others stay strays. */
export function takeStrays(strays: readonly Stray[], marketId: string, holdings: Holding[]): { holdings: Holding[]; strays: Stray[] } {
  const mine = strays.filter((s) => s.marketId === marketId).map(holdingOf);
  return { holdings: withHoldings(holdings, mine), strays: strays.filter((s) => s.marketId !== marketId) };
}

/** The Chainlink feed after one more value: the window start price is the last value at or before the window start (how the markets settle). */
export function oracleAfter(oracle: FifteenMinContext['oracle'], ts: number, value: Decimal): FifteenMinContext['oracle'] {
  const start = Math.floor(ts / WINDOW_MS) * WINDOW_MS;
  let { windowStart, startPrice } = oracle;
  if (windowStart !== start) {
    const prev = oracle.last;
    windowStart = start;
    startPrice = ts === start ? value : prev !== null && prev.ts <= start ? prev.value : null;
  }
  return { last: { ts, value }, windowStart, startPrice };
}

/** What the LLM is asked about a signal on the window market `q`, under cache key `key`. */
export function directionalLlmRequest(p: FifteenMinParams, signal: Extract<FifteenMinEvent, { type: 'SIGNAL' }>, q: WindowQuote, key: string): LlmRequestOutput {
  const portfolio = signal.portfolio ?? { balance: '0', dailyPnl: '0' };
  return {
    type: 'llm_request',
    key,
    opportunity: 'directional_trend',
    context: {
      question: q.question,
      asset: p.asset,
      yesPrice: q.up.ask!,
      noPrice: q.down.ask!,
      minutesToResolution: Math.max(0, (q.windowEnd - signal.ts) / 60_000),
      binancePrice: signal.price,
      momentum: signal.change,
      volumeConfirmed: signal.confirmed,
      balance: portfolio.balance,
      openPositions: signal.openPositions,
      dailyPnl: portfolio.dailyPnl,
    },
    ruleAction: signal.direction === 'bullish' ? 'buy_yes' : 'buy_no',
  };
}

/**
 * Strays of one market become the position (as flash crash holds shares a late fill brought): a
 * directional bet under the usual exits, counted from the late fill; a pair leg is unwound, as an
 * incomplete pair always is.
 */
export function adoptedStrays(strays: readonly Stray[]): { strays: Stray[]; position: Position } {
  const marketId = strays.find((s) => floorShares(new Big(s.shares)).gt(0))!.marketId;
  const mine = strays.filter((s) => s.marketId === marketId);
  const kind: Position['kind'] = mine.some((s) => s.kind === 'pair') ? 'pair' : 'directional';
  return {
    strays: strays.filter((s) => s.marketId !== marketId),
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
}

/** The position an entry opened (strays of its market join it), due to sell at once with `exitReason` (an incomplete pair), else under the usual exits. */
export function openedPosition(e: Entry, strays: readonly Stray[], exitReason: string | null): { entry: null; strays: Stray[]; position: Position } {
  const taken = takeStrays(strays, e.marketId, holdingsOf(e.legs));
  return { entry: null, strays: taken.strays, position: { kind: e.kind, marketId: e.marketId, windowEnd: e.windowEnd, since: e.since, holdings: taken.holdings, exitReason, lastExitAttempt: null } };
}
