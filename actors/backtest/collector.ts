import Big from 'big.js';
import { isFinal, lifecycleEventOfUpdate, orderStep, sentOrder, type OrderLifecycleEvent, type OrderProgress } from '../../domain/orderLifecycle';
import type { AnyEvent, Decimal, DerivedEvent, EventType, FillEvent, TradeEvent } from '../../events/types';
import type { MarketState } from '../../streams/marketState';
import { falseSignalRate, SignalQuality, type QualityCounts } from '../../streams/signalQuality';
import { SignalHorizons } from '../../streams/signalHorizons';
import type { Reactor } from '../engine';
import { Portfolio } from '../execution/portfolio';
import type { BacktestReport, HaltRow, SeriesPoint, SignalQuality as QualityBlock, SignalsBlock, StrategyBlock, TradeRow } from './reportTypes';

const MAX_POINTS = 2_000;
const SAMPLE_MS = 1_000;

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
    if (this.n++ % this.stride !== 0) return;
    this.items.push(item);
    if (this.items.length >= MAX_POINTS) {
      this.items = this.items.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }
}

class Series extends Thinned<SeriesPoint> {
  get points(): SeriesPoint[] {
    return this.items;
  }
}

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
  private readonly prices = new Map<string, Series>();
  private readonly lastPrice = new Map<string, { ts: number; price: number }>();
  private readonly marks = new Thinned<BacktestReport['charts']['marks'][number]>();
  private readonly signalMarks = new Thinned<BacktestReport['charts']['signals'][number]>();
  private peak: Big;
  private maxDrawdown = new Big(0);
  private maxExposure = new Big(0);
  private nextSample = -Infinity;
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
    return [...this.prices.keys()].sort();
  }

  onTrade(trade: TradeEvent): void {
    this.quality.onTrade(trade);
    this.horizons.onTrade(trade);
    const price = Number(trade.price);
    this.lastPrice.set(trade.symbol, { ts: trade.ts, price });
    let series = this.prices.get(trade.symbol);
    if (!series) this.prices.set(trade.symbol, (series = new Series()));
    const last = series.points[series.points.length - 1];
    if (!last || trade.ts - last.ts >= SAMPLE_MS) series.add({ ts: trade.ts, value: price });
    this.touch(trade.ts);
  }

  react(event: AnyEvent): DerivedEvent[] {
    this.touch(event.ts);
    switch (event.type) {
      case 'fill':
        this.onFill(event);
        this.step(event.orderId, { type: 'FILL', size: event.size, restCancelled: true });
        break;
      case 'exchange_fill': {
        this.all.apply(event);
        const owner = this.orderOwner.get(event.orderId);
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
        for (const s of this.stats.values()) s.portfolio.apply(event);
        break;
      case 'order_intent': {
        this.orders++;
        this.orderOwner.set(event.orderId, { strategy: event.strategy, order: sentOrder(event.size) });
        this.all.apply(event);
        const s = this.statsOf(event.strategy);
        s.orders++;
        s.portfolio.apply(event);
        break;
      }
      case 'risk_rejection': {
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
    if (isFinal(owned.order.status)) this.orderOwner.delete(orderId);
  }

  private touch(ts: number): void {
    if (this.firstTs === null) this.firstTs = ts;
    this.lastTs = ts;
  }

  private statsOf(name: string): StrategyStats {
    let s = this.stats.get(name);
    if (!s) {
      s = { portfolio: new Portfolio(this.startingCapital), fills: 0, fees: new Big(0), orders: 0, rejections: {}, errors: 0, peak: new Big(this.startingCapital), maxDrawdown: new Big(0), maxExposure: new Big(0) };
      this.stats.set(name, s);
    }
    return s;
  }

  private onFill(f: FillEvent): void {
    this.halt = null;
    this.all.apply(f);
    const s = this.statsOf(f.strategy);
    s.portfolio.apply(f);
    s.fills++;
    s.fees = s.fees.plus(f.fee);
    this.tradeList.push({ seq: f.seq, ts: f.ts, strategy: f.strategy, orderId: f.orderId, marketId: f.marketId, tokenId: f.tokenId, side: f.side, price: f.price, size: f.size, fee: f.fee, partial: f.partial });
    const symbol = this.underlyingOf(f.marketId);
    const under = symbol ? this.lastPrice.get(symbol) : undefined;
    if (symbol && under) this.marks.add({ ts: f.ts, symbol, price: under.price, side: f.side, strategy: f.strategy });
    this.sample(f.ts);
  }

  /** BTCUSDT for a `btc-updown-15m-…` market (for chart marks), else null. */
  private underlyingOf(marketId: string): string | null {
    const slug = this.markets.market(marketId)?.slug ?? '';
    const m = /^(btc|eth|sol|xrp)-updown-/.exec(slug);
    return m ? `${m[1].toUpperCase()}USDT` : null;
  }

  private mark = (tokenId: string): Decimal | null => this.markets.bestBid(tokenId);

  private sample(ts: number): void {
    this.nextSample = ts + SAMPLE_MS;
    const equity = this.all.equity(this.mark);
    if (equity.gt(this.peak)) this.peak = equity;
    const dd = this.peak.minus(equity);
    if (dd.gt(this.maxDrawdown)) this.maxDrawdown = dd;
    const heat = this.all.heat();
    if (heat.gt(this.maxExposure)) this.maxExposure = heat;
    this.equity.add({ ts, value: Number(equity) });
    this.drawdown.add({ ts, value: Number(dd) });
    for (const s of this.stats.values()) {
      const e = s.portfolio.equity(this.mark);
      if (e.gt(s.peak)) s.peak = e;
      const d = s.peak.minus(e);
      if (d.gt(s.maxDrawdown)) s.maxDrawdown = d;
      const h = s.portfolio.heat();
      if (h.gt(s.maxExposure)) s.maxExposure = h;
    }
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
  finish(): Pick<BacktestReport, 'total' | 'strategies' | 'tradeList' | 'charts' | 'llm' | 'signalQuality' | 'halts'> {
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
    for (const symbol of [...this.prices.keys()].sort()) prices[symbol] = this.prices.get(symbol)!.points;
    const hitRate = this.llm.cacheHits + this.llm.answers > 0 ? this.llm.cacheHits / (this.llm.cacheHits + this.llm.answers) : null;
    return {
      total,
      strategies,
      tradeList: this.tradeList,
      signalQuality: this.horizons.finish(),
      halts: this.halts,
      llm: { ...this.llm, hitRate },
      charts: { equity: this.equity.points, drawdown: this.drawdown.points, prices, marks: this.marks.items, signals: this.signalMarks.items },
    };
  }
}

/** Rejections that stop all trading until something lifts them. */
const HALT_REASONS = new Set(['consecutive_losses_halt', 'daily_drawdown_halt', 'kill_switch']);

function sortedCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}
