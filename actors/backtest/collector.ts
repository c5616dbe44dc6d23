import Big from 'big.js';
import { isFinal, lifecycleEventOfUpdate, orderStep, sentOrder, type OrderLifecycleEvent, type OrderProgress } from '../../domain/orderLifecycle';
import type { AnyEvent, Decimal, DerivedEvent, EventType, FillEvent, TradeEvent } from '../../events/types';
import type { MarketState } from '../../domain/market/marketState';
import { falseSignalRate, SignalQuality, type QualityCounts } from './signalQuality';
import { SignalHorizons } from './signalHorizons';
import { BySymbol } from './bySymbol';
import type { Reactor } from '../engine';
import { Portfolio, type ClosedTrip } from '../execution/portfolio';
import { performanceOf, resultsPerMarket } from './performance';
import type { BacktestReport, HaltRow, RoundTripRow, SeriesPoint, SignalQuality as QualityBlock, SignalsBlock, StrategyBlock, TradeRow } from './reportTypes';

const MAX_POINTS = 2_000;
const SAMPLE_MS = 1_000;
/** Book-mid samples kept per token before its first fill, so its chart shows the run-up to the entry. */
const TOKEN_LEAD_SAMPLES = 120;

interface StrategyStats {
  portfolio: Portfolio;
  fills: number;
  fees: Big;
  orders: number;
  rejections: Record<string, number>;
  errors: number;
  peak: Big;
  maxDrawdown: Big;
  maxExposure: Big;
}

/** Keeps at most MAX_POINTS items spread over the whole run: when full, every other one (deterministic). */
class Thinned<T> {
  items: T[] = [];
  private stride = 1;
  private n = 0;
  add(item: T): void {
    if (this.takes()) this.keep(item);
  }

  /** Counts one offered item: whether it is kept (then `keep` it), so an item dropped need not be built. */
  takes(): boolean {
    return this.n++ % this.stride === 0;
  }

  keep(item: T): void {
    this.items.push(item);
    if (this.items.length >= MAX_POINTS) {
      this.items = this.items.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }
}

class Series extends Thinned<SeriesPoint> {
  /** The last point's ts (-Infinity: none yet), at hand for the check every trade makes. */
  lastTs = -Infinity;

  get points(): SeriesPoint[] {
    return this.items;
  }

  override keep(item: SeriesPoint): void {
    super.keep(item);
    // Thinning may have dropped the point just kept.
    this.lastTs = this.items[this.items.length - 1].ts;
  }
}

const newSeries = (): Series => new Series();

/**
 * Watches a backtest as a reactor (fills, orders, rejections, errors, signals, LLM events) and as a
 * trade listener (prices, signal quality), and builds the report. It never feeds anything back: the
 * report is a reading of the event log, not part of trading.
 */
export class ReportCollector implements Reactor {
  readonly name = 'report';
  readonly handles: ReadonlySet<EventType> = new Set<EventType>([
    'fill', 'exchange_fill', 'order_intent', 'order_update', 'risk_rejection', 'error', 'signal', 'market_resolved', 'market_snapshot', 'book', 'timer', 'llm_request', 'llm_answer', 'decision',
  ]);
  private readonly stats = new Map<string, StrategyStats>();
  /** Orders not yet final (the one lifecycle): which strategy a live fill of each belongs to. */
  private readonly orderOwner = new Map<string, { strategy: string; order: OrderProgress }>();
  private readonly all: Portfolio;
  private readonly quality: SignalQuality;
  private readonly horizons: SignalHorizons;
  private readonly halts: HaltRow[] = [];
  /** The halt being counted, until an order fills again. */
  private halt: HaltRow | null = null;
  private readonly tradeList: TradeRow[] = [];
  private readonly equity = new Series();
  private readonly drawdown = new Series();
  private readonly prices = new BySymbol<Series>();
  private readonly marks = new Thinned<BacktestReport['charts']['marks'][number]>();
  /** Recent book mids of every quoted token (dropped when its market resolves); a traded token's full series. */
  private readonly tokenLead = new Map<string, SeriesPoint[]>();
  private readonly tokenSeries = new Map<string, Series>();
  private readonly tokenLabels = new Map<string, string>();
  private readonly tripList: RoundTripRow[] = [];
  private readonly orderReason = new Map<string, string>();
  /** The reason of the order whose fill is being applied (a trip closed by it takes it as exit reason). */
  private exitReason = '';
  private readonly dayEndEquity = new Map<string, number>();
  private readonly signalMarks = new Thinned<BacktestReport['charts']['signals'][number]>();
  private peak: Big;
  private maxDrawdown = new Big(0);
  private maxExposure = new Big(0);
  private nextSample = -Infinity;
  /** The last sample's figures while nothing can have moved them (see `measure`), else null. */
  private still: { equity: number; drawdown: number } | null = null;
  /** The UTC day of the last sample (its `dayEndEquity` key) and where it ends. */
  private day = { key: '', end: -Infinity };
  private llm = { requests: 0, answers: 0, cacheHits: 0 };
  private rejections: Record<string, number> = {};
  private errors = 0;
  private orders = 0;
  firstTs: number | null = null;
  lastTs: number | null = null;

  constructor(
    private readonly startingCapital: Decimal,
    private readonly markets: MarketState,
    horizonMs: number,
    private readonly strategyNames: readonly string[],
    /** Signals of one direction this close together are one episode (the signal window). */
    episodeGapMs = 10_000,
  ) {
    this.all = new Portfolio(startingCapital);
    this.peak = new Big(startingCapital);
    this.quality = new SignalQuality(horizonMs);
    this.horizons = new SignalHorizons(episodeGapMs);
    for (const name of strategyNames) this.statsOf(name);
  }

  /** The Binance symbols seen in trades, sorted. */
  symbols(): string[] {
    return [...this.prices.symbols()].sort();
  }

  onTrade(trade: TradeEvent): void {
    this.quality.onTrade(trade);
    this.horizons.onTrade(trade);
    const series = this.prices.get(trade.symbol, newSeries);
    // Once thinned, the series drops most offers: every trade is offered until one is kept.
    if (trade.ts - series.lastTs >= SAMPLE_MS && series.takes()) series.keep({ ts: trade.ts, value: Number(trade.price) });
    this.touch(trade.ts);
  }

  react(event: AnyEvent): DerivedEvent[] {
    this.touch(event.ts);
    if (MOVES_PORTFOLIOS.has(event.type)) this.still = null;
    switch (event.type) {
      case 'fill':
        this.onFill(event);
        this.step(event.orderId, { type: 'FILL', size: event.size, restCancelled: true });
        break;
      case 'exchange_fill': {
        this.all.apply(event);
        const owner = this.orderOwner.get(event.orderId);
        this.exitReason = this.orderReason.get(event.orderId) ?? '';
        if (owner !== undefined) this.statsOf(owner.strategy).portfolio.apply(event);
        this.step(event.orderId, { type: 'FILL', size: event.size, restCancelled: false });
        break;
      }
      case 'order_update': {
        const e = lifecycleEventOfUpdate(event);
        if (e !== null) this.step(event.orderId, e);
        break;
      }
      case 'market_resolved':
        this.all.apply(event);
        this.exitReason = '';
        for (const s of this.stats.values()) s.portfolio.apply(event);
        for (const tokenId of this.markets.market(event.market)?.tokenIds ?? []) this.tokenLead.delete(tokenId);
        break;
      case 'book':
        this.onBook(event.tokenId, event.ts);
        break;
      case 'order_intent': {
        this.orders++;
        this.orderOwner.set(event.orderId, { strategy: event.strategy, order: sentOrder(event.size) });
        this.orderReason.set(event.orderId, event.reason);
        this.all.apply(event);
        const s = this.statsOf(event.strategy);
        s.orders++;
        s.portfolio.apply(event);
        break;
      }
      case 'risk_rejection': {
        this.all.apply(event);
        this.statsOf(event.strategy).portfolio.apply(event);
        this.step(event.orderId, { type: 'REJECT' });
        this.rejections[event.reason] = (this.rejections[event.reason] ?? 0) + 1;
        if (HALT_REASONS.has(event.reason)) {
          if (this.halt !== null && this.halt.reason === event.reason) this.halt.ordersRefused++;
          else this.halts.push((this.halt = { ts: event.ts, strategy: event.strategy, reason: event.reason, detail: event.detail, ordersRefused: 1 }));
        }
        const s = this.statsOf(event.strategy);
        s.rejections[event.reason] = (s.rejections[event.reason] ?? 0) + 1;
        break;
      }
      case 'error':
        this.errors++;
        if (this.stats.has(event.source)) this.statsOf(event.source).errors++;
        break;
      case 'signal': {
        this.quality.onSignal(event);
        this.horizons.onSignal(event);
        this.signalMarks.add({ ts: event.ts, symbol: event.symbol, price: Number(event.price), direction: event.direction, confirmed: event.confirmed });
        break;
      }
      case 'llm_request':
        this.llm.requests++;
        break;
      case 'llm_answer':
        this.llm.answers++;
        break;
      case 'decision':
        if (event.source === 'cache') this.llm.cacheHits++;
        break;
      default:
        break;
    }
    if (event.ts >= this.nextSample) this.sample(event.ts);
    return [];
  }

  /** Moves an order on in its lifecycle; a final order is forgotten (no fill can belong to it any more). */
  private step(orderId: string, e: OrderLifecycleEvent): void {
    const owned = this.orderOwner.get(orderId);
    if (owned === undefined) return;
    owned.order = orderStep(owned.order, e);
    if (isFinal(owned.order.status)) {
      this.orderOwner.delete(orderId);
      this.orderReason.delete(orderId);
    }
  }

  private touch(ts: number): void {
    if (this.firstTs === null) this.firstTs = ts;
    this.lastTs = ts;
  }

  private statsOf(name: string): StrategyStats {
    let s = this.stats.get(name);
    if (!s) {
      const portfolio = new Portfolio(this.startingCapital);
      portfolio.onTripClosed = (trip) => this.onTripClosed(trip);
      s = { portfolio, fills: 0, fees: new Big(0), orders: 0, rejections: {}, errors: 0, peak: new Big(this.startingCapital), maxDrawdown: new Big(0), maxExposure: new Big(0) };
      this.stats.set(name, s);
    }
    return s;
  }

  private onFill(f: FillEvent): void {
    this.halt = null;
    this.all.apply(f);
    const s = this.statsOf(f.strategy);
    this.exitReason = this.orderReason.get(f.orderId) ?? '';
    s.portfolio.apply(f);
    s.fills++;
    s.fees = s.fees.plus(f.fee);
    this.tradeList.push({ seq: f.seq, ts: f.ts, strategy: f.strategy, orderId: f.orderId, marketId: f.marketId, tokenId: f.tokenId, side: f.side, price: f.price, size: f.size, fee: f.fee, partial: f.partial, ...(f.model ? { model: f.model } : {}) });
    this.marks.add({ ts: f.ts, tokenId: f.tokenId, price: Number(f.price), side: f.side, strategy: f.strategy });
    if (!this.tokenSeries.has(f.tokenId)) {
      const series = new Series();
      for (const p of this.tokenLead.get(f.tokenId) ?? []) series.add(p);
      this.tokenLead.delete(f.tokenId);
      this.tokenSeries.set(f.tokenId, series);
      this.tokenLabels.set(f.tokenId, this.tokenLabel(f.marketId, f.tokenId));
    }
    this.sample(f.ts);
  }

  /** The token's book mid, sampled once a second: kept in full once traded, else only the last few. */
  private onBook(tokenId: string, ts: number): void {
    const bid = this.markets.bestBid(tokenId);
    const ask = this.markets.bestAsk(tokenId);
    if (bid === null && ask === null) return;
    const mid = bid !== null && ask !== null ? (Number(bid) + Number(ask)) / 2 : Number(bid ?? ask);
    const traded = this.tokenSeries.get(tokenId);
    if (traded) {
      const last = traded.points[traded.points.length - 1];
      if (!last || ts - last.ts >= SAMPLE_MS) traded.add({ ts, value: mid });
      return;
    }
    let lead = this.tokenLead.get(tokenId);
    if (!lead) this.tokenLead.set(tokenId, (lead = []));
    const last = lead[lead.length - 1];
    if (last && ts - last.ts < SAMPLE_MS) return;
    lead.push({ ts, value: mid });
    if (lead.length > TOKEN_LEAD_SAMPLES) lead.shift();
  }

  private onTripClosed(t: ClosedTrip): void {
    // A trip may hold several tokens (a hedged Up+Down pair, a negRisk set): markets and outcomes joined with '+'.
    const slugs = t.marketIds.map((id) => this.markets.market(id)?.slug ?? id);
    const outcomes = t.tokenIds.map((tokenId) => {
      for (const id of t.marketIds) {
        const m = this.markets.market(id);
        const i = m ? m.tokenIds.indexOf(tokenId) : -1;
        if (m && i >= 0) return m.outcomes[i] ?? '';
      }
      return '';
    });
    const won = new Big(t.exitValue).gt(0);
    this.tripList.push({
      strategy: t.strategy,
      marketId: t.marketIds.join('+'),
      market: [...new Set(slugs)].join(' + '),
      tokenId: t.tokenIds.join('+'),
      outcome: outcomes.filter((o) => o !== '').join('+'),
      entryTs: t.openedTs,
      exitTs: t.closedTs,
      holdingMs: t.closedTs - t.openedTs,
      entryPrice: new Big(t.boughtShares).gt(0) ? new Big(t.bought).div(t.boughtShares).toFixed(4) : '0',
      exitPrice: new Big(t.exitShares).gt(0) ? new Big(t.exitValue).div(t.exitShares).toFixed(4) : '0',
      shares: t.boughtShares,
      exitReason: t.closedBy === 'resolution' ? `resolved: ${won ? 'won' : 'lost'}` : this.exitReason || 'sell',
      pnl: new Big(t.pnl).toFixed(4),
    });
  }

  /** `btc-updown-15m-1723161600 Up`: the token's market and outcome, or its id. */
  private tokenLabel(marketId: string, tokenId: string): string {
    const market = this.markets.market(marketId);
    if (!market) return tokenId;
    return `${market.slug} ${market.outcomes[market.tokenIds.indexOf(tokenId)] ?? ''}`.trim();
  }

  private mark = (tokenId: string): Decimal | null => this.markets.bestBid(tokenId);

  private sample(ts: number): void {
    this.nextSample = ts + SAMPLE_MS;
    const now = this.still ?? this.measure();
    if (ts >= this.day.end || ts < this.day.end - DAY_MS) this.day = utcDay(ts);
    this.dayEndEquity.set(this.day.key, now.equity);
    this.equity.add({ ts, value: now.equity });
    this.drawdown.add({ ts, value: now.drawdown });
  }

  /**
   * Equity and drawdown now, with every peak, largest drawdown and exposure brought up to date; kept
   * as `still` while they cannot move: no portfolio holds a position (prices then change nothing) and
   * none has changed since (`react` forgets it on every event it applies to one).
   */
  private measure(): { equity: number; drawdown: number } {
    const equity = this.all.equity(this.mark);
    if (equity.gt(this.peak)) this.peak = equity;
    const dd = this.peak.minus(equity);
    if (dd.gt(this.maxDrawdown)) this.maxDrawdown = dd;
    const heat = this.all.heat();
    if (heat.gt(this.maxExposure)) this.maxExposure = heat;
    let flat = this.all.openPositions === 0;
    for (const s of this.stats.values()) {
      const e = s.portfolio.equity(this.mark);
      if (e.gt(s.peak)) s.peak = e;
      const d = s.peak.minus(e);
      if (d.gt(s.maxDrawdown)) s.maxDrawdown = d;
      const h = s.portfolio.heat();
      if (h.gt(s.maxExposure)) s.maxExposure = h;
      flat &&= s.portfolio.openPositions === 0;
    }
    const now = { equity: Number(equity), drawdown: Number(dd) };
    this.still = flat ? now : null;
    return now;
  }

  private signalsBlock(): SignalsBlock {
    const q = (c: QualityCounts): QualityBlock => ({ count: c.count, falseSignals: c.falseSignals, falseSignalRate: falseSignalRate(c), unevaluated: c.unevaluated });
    return { horizonMs: this.quality.horizonMs, confirmed: q(this.quality.confirmed), unconfirmed: q(this.quality.unconfirmed) };
  }

  private block(p: Portfolio, fills: number, fees: Big, orders: number, rejections: Record<string, number>, errors: number, maxDrawdown: Big, maxExposure: Big, signals: SignalsBlock): StrategyBlock {
    const net = p.equity(this.mark).minus(this.startingCapital);
    const { wins, losses } = p.roundTrips;
    return {
      trades: fills,
      roundTrips: wins + losses,
      wins,
      losses,
      winRate: wins + losses > 0 ? wins / (wins + losses) : null,
      grossPnl: net.plus(fees).toFixed(2),
      fees: fees.toFixed(2),
      netPnl: net.toFixed(2),
      maxDrawdown: maxDrawdown.toFixed(2),
      maxExposure: maxExposure.toFixed(2),
      orders,
      rejections: sortedCounts(rejections),
      errors,
      signals,
    };
  }

  /** The report's strategy blocks, totals, trade list and charts (inputs and config are added by the runner). */
  finish(): Pick<BacktestReport, 'total' | 'strategies' | 'tradeList' | 'roundTripList' | 'perMarket' | 'performance' | 'charts' | 'llm' | 'signalQuality' | 'halts'> {
    if (this.lastTs !== null) this.sample(this.lastTs);
    this.quality.finish();
    const signals = this.signalsBlock();
    const strategies: Record<string, StrategyBlock> = {};
    let fees = new Big(0);
    for (const name of [...this.stats.keys()].sort()) {
      const s = this.stats.get(name)!;
      fees = fees.plus(s.fees);
      strategies[name] = this.block(s.portfolio, s.fills, s.fees, s.orders, s.rejections, s.errors, s.maxDrawdown, s.maxExposure, signals);
    }
    const fills = this.tradeList.length;
    const total = {
      ...this.block(this.all, fills, fees, this.orders, this.rejections, this.errors, this.maxDrawdown, this.maxExposure, signals),
      startingCapital: new Big(this.startingCapital).toFixed(2),
      endingCash: this.all.cash().toFixed(6),
      endingEquity: this.all.equity(this.mark).toFixed(2),
    };
    const prices: Record<string, SeriesPoint[]> = {};
    for (const symbol of [...this.prices.symbols()].sort()) prices[symbol] = this.prices.find(symbol)!.points;
    const tokens: BacktestReport['charts']['tokens'] = {};
    for (const [tokenId, series] of this.tokenSeries) tokens[tokenId] = { label: this.tokenLabels.get(tokenId) ?? tokenId, points: series.points };
    const performance = {
      total: performanceOf(this.startingCapital, total.endingEquity, [...this.dayEndEquity.values()], this.tripList),
      strategies: Object.fromEntries(
        Object.keys(strategies).map((name) => {
          const s = this.stats.get(name)!;
          return [name, performanceOf(this.startingCapital, s.portfolio.equity(this.mark).toFixed(2), null, this.tripList.filter((t) => t.strategy === name))];
        }),
      ),
    };
    const hitRate = this.llm.cacheHits + this.llm.answers > 0 ? this.llm.cacheHits / (this.llm.cacheHits + this.llm.answers) : null;
    return {
      total,
      strategies,
      tradeList: this.tradeList,
      roundTripList: this.tripList,
      perMarket: resultsPerMarket(this.tripList),
      performance,
      signalQuality: this.horizons.finish(),
      halts: this.halts,
      llm: { ...this.llm, hitRate },
      charts: { equity: this.equity.points, drawdown: this.drawdown.points, prices, marks: this.marks.items, tokens, signals: this.signalMarks.items },
    };
  }
}

/** The events the collector applies to its portfolios. */
const MOVES_PORTFOLIOS: ReadonlySet<EventType> = new Set<EventType>(['fill', 'exchange_fill', 'market_resolved', 'order_intent']);

const DAY_MS = 86_400_000;

/** The UTC day `ts` falls in: `2024-08-09`, and the first ms of the next day. */
function utcDay(ts: number): { key: string; end: number } {
  return { key: new Date(ts).toISOString().slice(0, 10), end: Math.floor(ts / DAY_MS) * DAY_MS + DAY_MS };
}

/** Rejections that stop all trading until something lifts them. */
const HALT_REASONS = new Set(['consecutive_losses_halt', 'daily_drawdown_halt', 'kill_switch']);

function sortedCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}
