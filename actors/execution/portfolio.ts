import Big from 'big.js';
import type { AnyEvent, Decimal, ExchangeFillEvent, FillEvent, MarketResolvedEvent, OrderSide, RedemptionEvent } from '../../events/types';
import { ZERO, dec, sortKeys, utcDay } from '../../domain/decimal';
import { feeInShares } from '../../domain/fees';
import type { RiskState } from './risk';

/**
 * The portfolio: a pure fold over `fill`, `exchange_fill`, `market_resolved` and `risk_control`
 * events (plus `order_intent`, to know which strategy and market an exchange fill belongs to, and
 * `risk_rejection`, after which an order has no fill to come and is forgotten).
 * Replaying the log rebuilds it exactly; `toJSON()` has sorted keys so two folds compare byte for byte.
 *
 * Money rules (docs/execution.md): a BUY pays price x size in cash and receives size - fee / price
 * shares (the fee is taken in shares); a SELL receives price x size - fee in cash. Positions are at
 * average cost. A resolution pays $1 per winning share and $0 per losing share.
 *
 * Shares bought on the exchange (`exchange_fill`) are tokens in the wallet: their payout is realised at
 * the resolution but reaches cash only when the chain confirms their redemption (`redemption`
 * confirmed); until then it is `redeemable`, part of capital, not spendable. Paper shares pay at once.
 */

/** Cost removed on a partial sell is rounded half-up to this many decimals (the rest stays in the position). */
const COST_DP = 10;
/** Exchange fills of orders whose intent is not in the log are booked under this strategy. */
export const UNKNOWN_STRATEGY = 'external';
/** Order ids remembered for exchange fills (oldest forgotten first). */
const MAX_ORDERS = 10_000;
/** Below a tradable hundredth of a share, a position's round trip is over (the dust stays held). */
const DUST = new Big('0.01');

interface Position {
  strategy: string;
  tokenId: string;
  marketId: string;
  shares: Big;
  /** USDC paid for the shares held (average cost). */
  cost: Big;
  /** The round trip the position belongs to (bought from (near) flat, not yet sold back below dust or resolved), or null. */
  trip: Trip | null;
  /** Bought on the exchange: the shares are on chain and pay out when redeemed, not at the resolution. */
  onChain: boolean;
}

/**
 * One round trip with one P&L: every position a strategy opens in one market, or with one order
 * group (a negRisk set across markets), until all of them are closed. A hedged Up+Down pair that
 * resolves is one round trip, not one winner and one loser.
 */
interface Trip {
  key: string;
  pnl: Big;
  /** Positions of the trip still open. */
  open: number;
  /** For the report (`onTripClosed`): when it began, its tokens and markets, what its buys cost and bought, what left it. */
  openedTs: number;
  tokens: Set<string>;
  markets: Set<string>;
  bought: Big;
  boughtShares: Big;
  exitValue: Big;
  exitShares: Big;
}

/** A round trip that closed: bought from flat, then sold back to (near) flat or resolved. */
export interface ClosedTrip {
  strategy: string;
  /** Its markets and tokens, in the order first bought (a hedged pair or a negRisk set has several). */
  marketIds: string[];
  tokenIds: string[];
  openedTs: number;
  closedTs: number;
  /** USDC paid and shares bought over the trip (average entry = bought / boughtShares). */
  bought: Decimal;
  boughtShares: Decimal;
  /** USDC received (sales before fees, payouts) and shares that left over the trip. */
  exitValue: Decimal;
  exitShares: Decimal;
  /** How its last shares left: sold, or the market resolved. */
  closedBy: 'sell' | 'resolution';
  pnl: Decimal;
}

export interface PositionView {
  strategy: string;
  tokenId: string;
  marketId: string;
  shares: Decimal;
  cost: Decimal;
}

export interface PortfolioJson {
  startingCapital: Decimal;
  cash: Decimal;
  realised: Decimal;
  totals: { bought: Decimal; sold: Decimal; sellFees: Decimal; buyFeeValue: Decimal; payouts: Decimal };
  dailyPnl: Record<string, Decimal>;
  positions: Record<string, PositionView & { tripOpen: boolean; tripPnl: Decimal }>;
  /** Payouts of resolved on-chain shares not yet redeemed, by winning token (absent when none ever was). */
  redeemable?: Record<string, Decimal>;
  roundTrips: { wins: number; losses: number };
  lossStreak: number;
  killed: boolean;
}

interface Trade {
  onChain: boolean;
  /** The order's group (legs bought together are one round trip), or null. */
  groupId: string | null;
  ts: number;
  strategy: string;
  marketId: string;
  tokenId: string;
  side: OrderSide;
  price: Big;
  size: Big;
  fee: Big;
}

const key = (strategy: string, tokenId: string) => `${strategy}/${tokenId}`;

export class Portfolio implements RiskState {
  private readonly start: Big;
  private cashBalance: Big;
  private realisedTotal = ZERO;
  private readonly totals = { bought: ZERO, sold: ZERO, sellFees: ZERO, buyFeeValue: ZERO, payouts: ZERO };
  private readonly daily = new Map<string, Big>();
  private readonly open = new Map<string, Position>();
  private readonly orders = new Map<string, { strategy: string; marketId: string; groupId: string | null }>();
  private readonly trips = new Map<string, Trip>();
  private readonly tokenMarket = new Map<string, string>();
  private wins = 0;
  private losses = 0;
  private streak = 0;
  private streakDay: string | null = null;
  private isKilled = false;
  /** Told of every round trip as it closes (the backtest report lists them); not part of the portfolio's state. */
  onTripClosed: ((trip: ClosedTrip) => void) | null = null;
  private readonly realisedOf = new Map<string, Big>();
  /** Payouts due from resolved on-chain shares, by winning token, until a confirmed `redemption` pays them. */
  private readonly due = new Map<string, Big>();
  /** Whether any on-chain resolution was booked (then `toJSON` shows `redeemable`, even when empty). */
  private redeems = false;

  constructor(startingCapital: Decimal) {
    this.start = new Big(startingCapital);
    this.cashBalance = this.start;
  }

  static fromEvents(startingCapital: Decimal, events: Iterable<AnyEvent>): Portfolio {
    const p = new Portfolio(startingCapital);
    for (const e of events) p.apply(e);
    return p;
  }

  apply(event: AnyEvent): void {
    switch (event.type) {
      case 'order_intent':
        this.orders.set(event.orderId, { strategy: event.strategy, marketId: event.marketId, groupId: event.groupId });
        if (this.orders.size > MAX_ORDERS) this.orders.delete(this.orders.keys().next().value as string);
        this.tokenMarket.set(event.tokenId, event.marketId);
        break;
      case 'risk_rejection':
        // Refused before it was sent (risk checks, or a broker that did not post it): no fill can follow.
        this.orders.delete(event.orderId);
        break;
      case 'fill':
        this.trade({ ...fromFill(event), onChain: false, groupId: this.orders.get(event.orderId)?.groupId ?? null });
        break;
      case 'exchange_fill':
        this.trade(this.fromExchangeFill(event));
        break;
      case 'market_resolved':
        this.resolve(event);
        break;
      case 'redemption':
        this.redeem(event);
        break;
      case 'risk_control':
        if (event.action === 'kill') this.isKilled = true;
        else if (event.action === 'resume') this.isKilled = false;
        else {
          this.streak = 0;
          this.streakDay = null;
        }
        break;
      default:
        break;
    }
  }

  private fromExchangeFill(e: ExchangeFillEvent): Trade {
    const order = this.orders.get(e.orderId);
    const marketId = order?.marketId ?? this.tokenMarket.get(e.tokenId) ?? '';
    return { ts: e.ts, strategy: order?.strategy ?? UNKNOWN_STRATEGY, marketId, tokenId: e.tokenId, side: e.side, price: new Big(e.price), size: new Big(e.size), fee: new Big(e.fee), groupId: order?.groupId ?? null, onChain: true };
  }

  private trade(t: Trade): void {
    if (t.marketId !== '') this.tokenMarket.set(t.tokenId, t.marketId);
    const k = key(t.strategy, t.tokenId);
    const notional = t.price.times(t.size);
    if (t.side === 'BUY') {
      const pos = this.open.get(k) ?? { strategy: t.strategy, tokenId: t.tokenId, marketId: t.marketId, shares: ZERO, cost: ZERO, trip: null, onChain: false };
      if (t.onChain) pos.onChain = true;
      if (pos.trip === null) pos.trip = this.joinTrip(t.groupId !== null ? `${t.strategy}/group:${t.groupId}` : `${t.strategy}/market:${t.marketId}`, t.ts);
      pos.trip.tokens.add(t.tokenId);
      pos.trip.markets.add(t.marketId);
      pos.trip.bought = pos.trip.bought.plus(notional);
      pos.trip.boughtShares = pos.trip.boughtShares.plus(t.size);
      pos.shares = pos.shares.plus(t.size).minus(feeInShares(t.fee, t.price));
      pos.cost = pos.cost.plus(notional);
      this.open.set(k, pos);
      this.cashBalance = this.cashBalance.minus(notional);
      this.totals.bought = this.totals.bought.plus(notional);
      this.totals.buyFeeValue = this.totals.buyFeeValue.plus(t.fee);
      return;
    }
    const proceeds = notional.minus(t.fee);
    this.cashBalance = this.cashBalance.plus(proceeds);
    this.totals.sold = this.totals.sold.plus(notional);
    this.totals.sellFees = this.totals.sellFees.plus(t.fee);
    const pos = this.open.get(k);
    if (!pos || pos.shares.lte(0)) {
      // Shares the log never saw bought (held outside the system): all proceeds are profit.
      this.realise(t.ts, proceeds, t.strategy);
      return;
    }
    const sold = t.size.gt(pos.shares) ? pos.shares : t.size;
    const removed = sold.eq(pos.shares) ? pos.cost : pos.cost.times(sold).div(pos.shares).round(COST_DP, Big.roundHalfUp);
    pos.shares = pos.shares.minus(sold);
    pos.cost = pos.cost.minus(removed);
    if (pos.trip) {
      pos.trip.exitValue = pos.trip.exitValue.plus(t.price.times(sold));
      pos.trip.exitShares = pos.trip.exitShares.plus(sold);
    }
    this.realise(t.ts, proceeds.minus(removed), pos.strategy, pos);
    if (pos.shares.lt(DUST)) this.closeTrip(pos, t.ts, 'sell');
    if (pos.shares.eq(0)) this.open.delete(k);
  }

  private resolve(e: MarketResolvedEvent): void {
    const markets = new Set([e.market, this.tokenMarket.get(e.winningTokenId)]);
    for (const [k, pos] of [...this.open].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!markets.has(pos.marketId) && pos.tokenId !== e.winningTokenId) continue;
      const payout = pos.tokenId === e.winningTokenId ? pos.shares : ZERO;
      if (!pos.onChain) this.cashBalance = this.cashBalance.plus(payout);
      else if (payout.gt(0)) this.owe(pos.tokenId, payout);
      this.totals.payouts = this.totals.payouts.plus(payout);
      this.realise(e.ts, payout.minus(pos.cost), pos.strategy, pos);
      if (pos.trip) {
        pos.trip.exitValue = pos.trip.exitValue.plus(payout);
        pos.trip.exitShares = pos.trip.exitShares.plus(pos.shares);
      }
      pos.shares = ZERO;
      pos.cost = ZERO;
      this.closeTrip(pos, e.ts, 'resolution');
      this.open.delete(k);
    }
  }

  private owe(tokenId: string, payout: Big): void {
    this.redeems = true;
    this.due.set(tokenId, (this.due.get(tokenId) ?? ZERO).plus(payout));
  }

  /**
   * A confirmed redemption pays what the chain paid into cash and settles what the resolution made due
   * for its token; a difference (shares held outside the log, or fewer than it thought) is realised
   * under `external`. Any other status changes nothing: the payout stays due.
   */
  private redeem(e: RedemptionEvent): void {
    if (e.status !== 'confirmed') return;
    this.redeems = true;
    const paid = new Big(e.payout);
    const due = this.due.get(e.tokenId) ?? ZERO;
    this.due.delete(e.tokenId);
    this.cashBalance = this.cashBalance.plus(paid);
    if (!paid.eq(due)) this.realise(e.ts, paid.minus(due), UNKNOWN_STRATEGY);
  }

  private realise(ts: number, pnl: Big, strategy: string, pos?: Position): void {
    this.realisedTotal = this.realisedTotal.plus(pnl);
    this.realisedOf.set(strategy, (this.realisedOf.get(strategy) ?? ZERO).plus(pnl));
    const day = utcDay(ts);
    this.daily.set(day, (this.daily.get(day) ?? ZERO).plus(pnl));
    if (pos?.trip) pos.trip.pnl = pos.trip.pnl.plus(pnl);
  }

  private joinTrip(key: string, ts: number): Trip {
    let trip = this.trips.get(key);
    if (!trip) {
      trip = { key, pnl: ZERO, open: 0, openedTs: ts, tokens: new Set(), markets: new Set(), bought: ZERO, boughtShares: ZERO, exitValue: ZERO, exitShares: ZERO };
      this.trips.set(key, trip);
    }
    trip.open++;
    return trip;
  }

  /** The position leaves its round trip; the trip ends (one win or one loss) when its last position does. */
  private closeTrip(pos: Position, ts: number, closedBy: ClosedTrip['closedBy']): void {
    const trip = pos.trip;
    if (trip === null) return;
    pos.trip = null;
    if (--trip.open > 0) return;
    this.trips.delete(trip.key);
    this.onTripClosed?.({
      strategy: pos.strategy,
      marketIds: [...trip.markets],
      tokenIds: [...trip.tokens],
      openedTs: trip.openedTs,
      closedTs: ts,
      bought: dec(trip.bought),
      boughtShares: dec(trip.boughtShares),
      exitValue: dec(trip.exitValue),
      exitShares: dec(trip.exitShares),
      closedBy,
      pnl: dec(trip.pnl),
    });
    if (trip.pnl.lt(0)) {
      this.losses++;
      this.streak++;
      this.streakDay = utcDay(ts);
    } else {
      this.wins++;
      this.streak = 0;
      this.streakDay = null;
    }
  }

  // ------------------------------------------------------------------ reading

  cash(): Big {
    return this.cashBalance;
  }

  heat(): Big {
    let total = ZERO;
    for (const p of this.open.values()) total = total.plus(p.cost);
    return total;
  }

  capital(): Big {
    return this.cashBalance.plus(this.heat()).plus(this.redeemableTotal());
  }

  /** Resolved on-chain payouts not yet redeemed, by winning token, in token order. */
  redeemable(): { tokenId: string; payout: Decimal }[] {
    return [...this.due.keys()].sort().map((tokenId) => ({ tokenId, payout: dec(this.due.get(tokenId)!) }));
  }

  /** What a resolution made due for `tokenId`'s on-chain shares and no redemption has paid yet. */
  redeemableOf(tokenId: string): Big {
    return this.due.get(tokenId) ?? ZERO;
  }

  private redeemableTotal(): Big {
    let total = ZERO;
    for (const v of this.due.values()) total = total.plus(v);
    return total;
  }

  /** Realised P&L per strategy (sales and resolutions, net of fees), by strategy name. */
  realisedByStrategy(): Map<string, Big> {
    return new Map(this.realisedOf);
  }

  realised(): Big {
    return this.realisedTotal;
  }

  marketExposure(marketId: string): Big {
    let total = ZERO;
    for (const p of this.open.values()) if (p.marketId === marketId) total = total.plus(p.cost);
    return total;
  }

  shares(strategy: string, tokenId: string): Big {
    return this.open.get(key(strategy, tokenId))?.shares ?? ZERO;
  }

  position(strategy: string, tokenId: string): PositionView | undefined {
    const p = this.open.get(key(strategy, tokenId));
    return p && view(p);
  }

  /** Order intents remembered for their fills: at most MAX_ORDERS, none that was rejected. */
  get rememberedOrders(): number {
    return this.orders.size;
  }

  /** How many positions are open (a portfolio holding none is worth its cash and payouts, whatever the prices). */
  get openPositions(): number {
    return this.open.size;
  }

  positions(): PositionView[] {
    return [...this.open.keys()].sort().map((k) => view(this.open.get(k)!));
  }

  dayPnl(day: string): Big {
    return this.daily.get(day) ?? ZERO;
  }

  capitalAtDayStart(day: string): Big {
    let total = this.start;
    for (const [d, pnl] of this.daily) if (d < day) total = total.plus(pnl);
    return total;
  }

  /** Losing round trips in a row since the last winning one or `reset_losses`. */
  get lossStreak(): number {
    return this.streak;
  }

  /** The UTC day of the last losing round trip of the streak (null without a streak). */
  get lossDay(): string | null {
    return this.streakDay;
  }

  /** Set by a `kill` risk_control, cleared by `resume`. */
  get killed(): boolean {
    return this.isKilled;
  }

  get roundTrips(): { wins: number; losses: number } {
    return { wins: this.wins, losses: this.losses };
  }

  /** Cash plus every position at its mark; a position without a mark counts at cost. */
  equity(mark: (tokenId: string) => Decimal | null): Big {
    let total = this.cashBalance.plus(this.redeemableTotal());
    for (const p of this.open.values()) {
      const price = mark(p.tokenId);
      total = total.plus(price === null ? p.cost : p.shares.times(price));
    }
    return total;
  }

  toJSON(): PortfolioJson {
    const positions: PortfolioJson['positions'] = {};
    for (const [k, p] of this.open) positions[k] = { ...view(p), tripOpen: p.trip !== null, tripPnl: dec(p.trip?.pnl ?? ZERO) };
    const dailyPnl: Record<string, Decimal> = {};
    for (const [d, pnl] of this.daily) dailyPnl[d] = dec(pnl);
    const t = this.totals;
    const redeemable: Record<string, Decimal> = {};
    for (const r of this.redeemable()) redeemable[r.tokenId] = r.payout;
    return sortKeys({
      ...(this.redeems ? { redeemable } : {}),
      startingCapital: dec(this.start),
      cash: dec(this.cashBalance),
      realised: dec(this.realisedTotal),
      totals: { bought: dec(t.bought), sold: dec(t.sold), sellFees: dec(t.sellFees), buyFeeValue: dec(t.buyFeeValue), payouts: dec(t.payouts) },
      dailyPnl,
      positions,
      roundTrips: this.roundTrips,
      lossStreak: this.lossStreak,
      killed: this.killed,
    });
  }
}

function fromFill(e: FillEvent): Omit<Trade, 'groupId' | 'onChain'> {
  return { ts: e.ts, strategy: e.strategy, marketId: e.marketId, tokenId: e.tokenId, side: e.side, price: new Big(e.price), size: new Big(e.size), fee: new Big(e.fee) };
}

function view(p: Position): PositionView {
  return { strategy: p.strategy, tokenId: p.tokenId, marketId: p.marketId, shares: dec(p.shares), cost: dec(p.cost) };
}
