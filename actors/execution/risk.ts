import Big from 'big.js';
import { makeEvent, type CancelIntentEvent, type Decimal, type OrderIntentEvent, type RiskRejectionEvent } from '../../events/types';
import type { Config } from '../config/schema';
import { ONE, ZERO, dec, parseDecimal, utcDay } from '../../domain/decimal';
import { feeScheduleProblem } from '../../domain/fees';
import { onSizeStep, SIZE_STEP } from '../../domain/precision';
import type { MarketContext } from './marketContext';

/**
 * Pre-trade risk checks: a pure function of the order, the portfolio, the market and the limits.
 * The first failing check, in the order below, names the rejection (docs/execution.md).
 */

export const RISK_REASONS = [
  'kill_switch',
  'invalid_order',
  'unknown_market',
  'market_closed',
  'fee_schedule_invalid',
  'price_out_of_range',
  'off_tick',
  'below_min_size',
  'size_precision',
  'stale_market_data',
  'no_liquidity',
  'insufficient_position',
  'daily_drawdown_halt',
  'consecutive_losses_halt',
  'max_order_value',
  'max_trade_share',
  'max_market_share',
  'max_heat',
  'insufficient_cash',
  'group_rejected',
] as const;
export type RiskReason = (typeof RISK_REASONS)[number];

export type RiskVerdict = { ok: true } | { ok: false; reason: RiskReason; detail: string };


export interface RiskLimits {
  maxOrderUsd: Decimal;
  /** Fractions of capital (0.05 = 5 %). */
  maxPerTradePct: number;
  maxPerMarketPct: number;
  maxHeatPct: number;
  maxDailyDrawdownPct: number;
  maxConsecutiveLosses: number;
  /** When a loss streak stops halting: at the next UTC day after its last loss, or only on `reset_losses`. */
  lossStreakReset: 'daily' | 'never';
  killSwitch: boolean;
  /** Market data older than this (event time) is stale: no order. */
  maxDataAgeMs: number;
}

export function riskLimits(config: Pick<Config, 'risk' | 'marketData'>): RiskLimits {
  const r = config.risk;
  return {
    maxOrderUsd: r.maxOrderUsd,
    maxPerTradePct: r.maxPerTradePct,
    maxPerMarketPct: r.maxPerMarketPct,
    maxHeatPct: r.maxHeatPct,
    maxDailyDrawdownPct: r.maxDailyDrawdownPct,
    maxConsecutiveLosses: r.maxConsecutiveLosses,
    lossStreakReset: r.lossStreakReset,
    killSwitch: r.killSwitch,
    maxDataAgeMs: config.marketData.maxStaleMs,
  };
}

/** What the checks read of the portfolio (the `Portfolio` fold implements it). */
export interface RiskState {
  cash(): Big;
  /** Cash plus open positions at cost: starting capital plus realised P&L. */
  capital(): Big;
  /** Open positions at cost, all markets. */
  heat(): Big;
  marketExposure(marketId: string): Big;
  shares(strategy: string, tokenId: string): Big;
  /** Realised P&L of a UTC day ("YYYY-MM-DD"). */
  dayPnl(day: string): Big;
  capitalAtDayStart(day: string): Big;
  readonly lossStreak: number;
  /** UTC day of the streak's last losing round trip (the daily reset counts from it); absent: never resets by day. */
  readonly lossDay?: string | null;
  /** The kill switch set by a `risk_control` event. */
  readonly killed: boolean;
  /**
   * Orders sent and not ended, when there are any to count: the BUYs are already in heat(),
   * marketExposure() and cash(); the SELLs' reserved shares are not taken from shares().
   */
  readonly sent?: SentOrders;
}

/** Orders sent and not ended (live orders the venue has not finished). */
export interface SentOrders {
  /** BUYs at limit price x unfilled shares. */
  value(marketId?: string): Big;
  count(marketId?: string): number;
  /** Unfilled shares of the SELLs of a strategy's position in a token, and how many orders hold them. */
  reserved(strategy: string, tokenId: string): { shares: Big; orders: number };
  /** The strategy that sent an order not yet ended (given-up orders included), or null. */
  ownerOf(orderId: string): string | null;
}

const reject = (reason: RiskReason, detail: string): RiskVerdict => ({ ok: false, reason, detail });
const pct = (fraction: number) => `${Number((fraction * 100).toFixed(4))} %`;

/** Says how much of an exposure is orders sent and not ended; empty when none are. */
function counted(sent: SentOrders | undefined, marketId?: string): string {
  const n = sent?.count(marketId) ?? 0;
  if (n === 0) return '';
  return `; counts ${dec(sent!.value(marketId))} of ${n} BUY order${n === 1 ? '' : 's'} sent and not ended`;
}

function marketChecks(intent: OrderIntentEvent, price: Big, size: Big, market: MarketContext, limits: RiskLimits, now: number): RiskVerdict {
  const m = market.info;
  if (!m.active || m.closed || !m.acceptingOrders) return reject('market_closed', `market ${m.id} is not accepting orders (active ${m.active}, closed ${m.closed}, acceptingOrders ${m.acceptingOrders})`);
  const feeProblem = feeScheduleProblem(m);
  if (feeProblem !== null) return reject('fee_schedule_invalid', `market ${m.id}: ${feeProblem}`);
  const tick = new Big(m.tickSize);
  if (price.lt(tick) || price.gt(ONE.minus(tick))) return reject('price_out_of_range', `price ${intent.price} outside [${m.tickSize}, ${dec(ONE.minus(tick))}]`);
  if (!price.mod(tick).eq(0)) return reject('off_tick', `price ${intent.price} is not a multiple of the tick ${m.tickSize}`);
  if (size.lt(m.minSize)) return reject('below_min_size', `size ${intent.size} below the market minimum ${m.minSize}`);
  if (!onSizeStep(size)) return reject('size_precision', `size ${intent.size} is not a multiple of ${dec(SIZE_STEP)}`);
  if (market.stale) return reject('stale_market_data', `the book feed of ${intent.tokenId} is stale`);
  if (market.dataTs === null || now - market.dataTs > limits.maxDataAgeMs) {
    const age = market.dataTs === null ? 'no market data' : `market data is ${now - market.dataTs} ms old`;
    return reject('stale_market_data', `${age} (limit ${limits.maxDataAgeMs} ms)`);
  }
  const opposite = intent.side === 'BUY' ? (market.book ? market.book.bestAsk()?.price : market.quote.ask) : market.book ? market.book.bestBid()?.price : market.quote.bid;
  if (opposite === undefined || opposite === null) return reject('no_liquidity', `no ${intent.side === 'BUY' ? 'ask' : 'bid'} for ${intent.tokenId}`);
  return { ok: true };
}

/** The drawdown or loss-streak halt in force at `now` (it refuses every BUY), or null. */
export function activeHalt(state: RiskState, limits: RiskLimits, now: number): RiskVerdict | null {
  const day = utcDay(now);
  const dayStart = state.capitalAtDayStart(day);
  const dayLoss = state.dayPnl(day).times(-1);
  if (dayLoss.gt(0) && dayLoss.gte(dayStart.times(limits.maxDailyDrawdownPct))) {
    return reject('daily_drawdown_halt', `lost ${dec(dayLoss)} on ${day}, at least ${pct(limits.maxDailyDrawdownPct)} of ${dec(dayStart)}: halted until the next UTC day`);
  }
  const streakOver = limits.lossStreakReset === 'daily' && state.lossDay != null && state.lossDay < day;
  if (state.lossStreak >= limits.maxConsecutiveLosses && !streakOver) {
    const until = limits.lossStreakReset === 'daily' ? 'the next UTC day or a reset_losses risk_control' : 'a reset_losses risk_control';
    return reject('consecutive_losses_halt', `${state.lossStreak} losing round trips in a row (limit ${limits.maxConsecutiveLosses}): halted until ${until}`);
  }
  return null;
}

/** Every halt in force: the kill switch, then the drawdown or loss-streak halt (for metrics and the status line). */
export function haltsInForce(state: RiskState, limits: RiskLimits, now: number): Set<RiskReason> {
  const out = new Set<RiskReason>();
  if (limits.killSwitch || state.killed) out.add('kill_switch');
  const halt = activeHalt(state, limits, now);
  if (halt && !halt.ok) out.add(halt.reason);
  return out;
}

function exposureChecks(intent: OrderIntentEvent, value: Big, state: RiskState, limits: RiskLimits, now: number): RiskVerdict {
  const halt = activeHalt(state, limits, now);
  if (halt) return halt;
  if (value.gt(limits.maxOrderUsd)) return reject('max_order_value', `order value ${dec(value)} above ${limits.maxOrderUsd}`);
  const capital = state.capital();
  const perTrade = capital.times(limits.maxPerTradePct);
  if (value.gt(perTrade)) return reject('max_trade_share', `order value ${dec(value)} above ${pct(limits.maxPerTradePct)} of capital ${dec(capital)} (${dec(perTrade)})`);
  const inMarket = state.marketExposure(intent.marketId).plus(value);
  const perMarket = capital.times(limits.maxPerMarketPct);
  if (inMarket.gt(perMarket)) return reject('max_market_share', `exposure in market ${intent.marketId} would be ${dec(inMarket)}, above ${pct(limits.maxPerMarketPct)} of capital (${dec(perMarket)})${counted(state.sent, intent.marketId)}`);
  const heat = state.heat().plus(value);
  const maxHeat = capital.times(limits.maxHeatPct);
  if (heat.gt(maxHeat)) return reject('max_heat', `total exposure would be ${dec(heat)}, above ${pct(limits.maxHeatPct)} of capital (${dec(maxHeat)})${counted(state.sent)}`);
  const cash = state.cash();
  if (value.gt(cash)) return reject('insufficient_cash', `order value ${dec(value)} above cash ${dec(cash)}${counted(state.sent)}`);
  return { ok: true };
}

/**
 * Checks one order. Every order passes the kill switch and the market's own rules; a SELL can only
 * reduce the strategy's position (no shorting, no selling shares a live SELL already offers), and is therefore exempt from the halts and the
 * exposure limits so that a halted system can still exit.
 */
export function checkOrder(intent: OrderIntentEvent, state: RiskState, market: MarketContext | undefined, limits: RiskLimits, now: number): RiskVerdict {
  if (limits.killSwitch || state.killed) return reject('kill_switch', limits.killSwitch ? 'risk.killSwitch is set in the config' : 'killed by a risk_control event');
  const price = parseDecimal(intent.price);
  const size = parseDecimal(intent.size);
  if (price === null || size === null || size.lte(0)) return reject('invalid_order', `price ${JSON.stringify(intent.price)} and size ${JSON.stringify(intent.size)} must be decimals, size above 0`);
  if (!market) return reject('unknown_market', `no market snapshot names token ${intent.tokenId}`);
  const rules = marketChecks(intent, price, size, market, limits, now);
  if (!rules.ok) return rules;
  if (intent.side === 'SELL') return positionCheck(intent, size, state);
  return exposureChecks(intent, price.times(size), state, limits, now);
}

/** A SELL only of shares the strategy holds and no earlier SELL sent and not ended has reserved. */
function positionCheck(intent: OrderIntentEvent, size: Big, state: RiskState): RiskVerdict {
  const held = state.shares(intent.strategy, intent.tokenId);
  const reserved = state.sent?.reserved(intent.strategy, intent.tokenId) ?? { shares: ZERO, orders: 0 };
  if (reserved.orders === 0) {
    if (size.gt(held)) return reject('insufficient_position', `sell of ${intent.size} above the ${dec(held)} shares ${intent.strategy} holds of ${intent.tokenId}`);
    return { ok: true };
  }
  const free = held.minus(reserved.shares);
  if (size.lte(free)) return { ok: true };
  const n = reserved.orders;
  return reject('insufficient_position', `sell of ${intent.size} above the ${dec(free.gt(0) ? free : ZERO)} unreserved of the ${dec(held)} shares ${intent.strategy} holds of ${intent.tokenId}; ${dec(reserved.shares)} reserved by ${n} SELL order${n === 1 ? '' : 's'} sent and not ended`);
}

/** The portfolio as it would be after the earlier legs of a group were bought at their limit prices. */
class WithEarlierLegs implements RiskState {
  private readonly byMarket = new Map<string, Big>();
  private total = new Big(0);

  constructor(private readonly base: RiskState) {}

  add(intent: OrderIntentEvent): void {
    if (intent.side !== 'BUY') return;
    const value = new Big(intent.price).times(intent.size);
    this.total = this.total.plus(value);
    this.byMarket.set(intent.marketId, (this.byMarket.get(intent.marketId) ?? new Big(0)).plus(value));
  }

  cash(): Big {
    return this.base.cash().minus(this.total);
  }
  capital(): Big {
    return this.base.capital();
  }
  heat(): Big {
    return this.base.heat().plus(this.total);
  }
  marketExposure(marketId: string): Big {
    return this.base.marketExposure(marketId).plus(this.byMarket.get(marketId) ?? 0);
  }
  shares(strategy: string, tokenId: string): Big {
    return this.base.shares(strategy, tokenId);
  }
  dayPnl(day: string): Big {
    return this.base.dayPnl(day);
  }
  capitalAtDayStart(day: string): Big {
    return this.base.capitalAtDayStart(day);
  }
  get lossStreak(): number {
    return this.base.lossStreak;
  }
  get lossDay(): string | null | undefined {
    return this.base.lossDay;
  }
  get killed(): boolean {
    return this.base.killed;
  }
  get sent(): SentOrders | undefined {
    return this.base.sent;
  }
}

/**
 * Checks a group of orders (negRisk legs, both sides of a market) as a whole: each leg is checked
 * with the exposure of the legs before it added. Either every verdict is ok, or none is: a leg that
 * passed on its own gets `group_rejected` naming the leg that failed.
 */
export function checkGroup(intents: readonly OrderIntentEvent[], state: RiskState, market: (tokenId: string) => MarketContext | undefined, limits: RiskLimits, now: number): RiskVerdict[] {
  const legs = new WithEarlierLegs(state);
  const verdicts = intents.map((intent) => {
    const verdict = checkOrder(intent, legs, market(intent.tokenId), limits, now);
    if (verdict.ok) legs.add(intent);
    return verdict;
  });
  const failed = intents.findIndex((_, i) => !verdicts[i].ok);
  if (failed < 0) return verdicts;
  const first = verdicts[failed] as Extract<RiskVerdict, { ok: false }>;
  return verdicts.map((v) => (v.ok ? reject('group_rejected', `leg ${intents[failed].orderId} failed: ${first.reason}`) : v));
}

/**
 * A cancel only lowers exposure, so no limit, halt or kill switch holds it back; it goes to the broker when
 * the order is one of the asking strategy's and has not ended (an ended order's end is in the log already:
 * nothing is sent). Not a `risk_rejection`: that would end the order it names.
 */
export function checkCancel(cancel: CancelIntentEvent, sent: SentOrders): boolean {
  return sent.ownerOf(cancel.orderId) === cancel.strategy;
}

/** The `risk_rejection` event of a failed verdict. */
export function riskRejection(intent: OrderIntentEvent, verdict: Extract<RiskVerdict, { ok: false }>, ts: number): RiskRejectionEvent {
  return makeEvent('risk_rejection', ts, { orderId: intent.orderId, strategy: intent.strategy, reason: verdict.reason, detail: verdict.detail });
}
