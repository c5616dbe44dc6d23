import { makeEvent, type AnyEvent, type CancelIntentEvent, type InputEvent, type DerivedEvent, type EventType, type ExchangeFillEvent, type FillEvent, type OrderIntentEvent, type OrderUpdateEvent, type RiskRejectionEvent } from '../events/types';
import type { MarketState } from '../domain/market/marketState';
import type { Reactor } from './engine';
import { dec } from '../domain/decimal';
import { parseOrderId } from '../domain/orderId';
import { lifecycleEventOfUpdate } from '../domain/orderLifecycle';
import type { Broker, BrokerResult } from './execution/broker';
import { marketContext } from './execution/marketContext';
import { withPendingOrders, type PendingOrders } from './execution/pendingOrders';
import type { Portfolio } from './execution/portfolio';
import { checkCancel, checkGroup, checkOrder, riskRejection, type RiskLimits } from './execution/risk';
import type { Strategy, StrategyContext } from './strategies/types';
import type { Supervisor } from './supervisor';

/**
 * A live order's fill or end, shaped as the paper broker's `fill` / `risk_rejection` for the strategy
 * that owns it (not logged: the input it comes from is). A live fill is one of possibly several
 * (`partial: false`): the strategy counts them up to the order's size.
 */
function asStrategyAnswer(event: ExchangeFillEvent | OrderUpdateEvent): FillEvent | RiskRejectionEvent | null {
  // The id came back from the venue as text (the client order id).
  const strategy = parseOrderId(event.orderId)?.strategy ?? '';
  if (event.type === 'exchange_fill') {
    return { ...makeEvent('fill', event.ts, { orderId: event.orderId, strategy, marketId: '', tokenId: event.tokenId, side: event.side, price: event.price, size: event.size, fee: event.fee, partial: false }), seq: event.seq };
  }
  if (!endsUnanswered(event)) return null;
  return { ...makeEvent('risk_rejection', event.ts, { orderId: event.orderId, strategy, reason: `exchange_${event.status}`, detail: `${event.reason}: ${event.detail}` }), seq: event.seq };
}

export interface TradingParts {
  markets: MarketState;
  supervisor: Supervisor;
  portfolio: Portfolio;
  /** Folded from the same events as the log holds them, in log order (docs/live-orders.md, pending exposure). */
  pending: PendingOrders;
  broker: Broker;
  limits: RiskLimits;
}

/** The inputs the market state folds (`absorb`): nothing else moves it, so a signal finds the markets (and their `version`) as they were. */
export const MARKET_INPUTS: ReadonlySet<EventType> = new Set<EventType>(['market_snapshot', 'market_definition', 'last_trade', 'book', 'book_delta', 'market_resolved', 'feed_status', 'tick_size_change']);
/** The inputs the portfolio folds. */
const PORTFOLIO_INPUTS = new Set<EventType>(['exchange_fill', 'market_resolved', 'risk_control', 'redemption']);
/**
 * The exchange's last word on a live order that a strategy must hear as a rejection: the order ends
 * (or the broker gives it up) in the lifecycle other than by its fills. The venue's `filled` follows
 * fills the strategy has already counted.
 */
function endsUnanswered(update: OrderUpdateEvent): boolean {
  const e = lifecycleEventOfUpdate(update);
  return e !== null && e.type !== 'ACK' && update.status !== 'filled';
}

/** Fills and rejections that may cause further orders from one event, at most (an exit after an entry ...). */
const MAX_DEPTH = 32;

/** Orders sent and on their way to the book: they fill at `due` against the book as it stands then. */
interface InFlight {
  due: number;
  intents: OrderIntentEvent[];
}

/**
 * The trading half of the system, as one engine reactor: it folds market data into the market
 * state, fans events out to the strategies through the supervisor, and sends every order intent
 * they emit through the risk checks to the broker, booking fills in the portfolio at once (so the
 * next check sees them) and counting orders sent but not ended (live) as pending. Each fill or rejection is handed straight back to the strategies (the
 * engine does not offer a reactor its own outputs), depth first, so one reaction returns the whole
 * cascade in log order.
 */
export class TradingReactor implements Reactor {
  readonly name = 'trading';
  /** Orders on their way to the book, in order of `due`, then of sending. */
  private readonly inFlight: InFlight[] = [];
  /** Each strategy's context at the latest event time (its view of its positions made once: a closure per strategy per event showed in profiles). */
  private readonly contexts = new Map<string, StrategyContext>();

  constructor(private readonly parts: TradingParts) {}

  /** Folds an input into the market state, the portfolio and the pending orders (the engine calls it for every input of an instant before any reaction). */
  absorb(event: InputEvent): void {
    const { markets, portfolio, pending } = this.parts;
    if (MARKET_INPUTS.has(event.type)) markets.apply(event);
    // A CLOB resolution names the market by condition id; positions are booked under the Gamma id.
    if (PORTFOLIO_INPUTS.has(event.type)) portfolio.apply(event.type === 'market_resolved' ? { ...event, market: markets.marketIdOf(event.market) } : event);
    if (event.type === 'exchange_fill' || event.type === 'order_update') pending.apply(event);
  }

  dueAt(): number | null {
    return this.inFlight.length > 0 ? this.inFlight[0].due : null;
  }

  /** The orders due at `ts` reach the book: filled against it as it stands now, then their strategies hear. */
  wake(ts: number): DerivedEvent[] {
    const result: DerivedEvent[] = [];
    while (this.inFlight.length > 0 && this.inFlight[0].due <= ts) {
      const { intents } = this.inFlight.shift()!;
      const outcomes = this.fillAtBook(intents, ts);
      result.push(...outcomes);
      for (const o of outcomes) this.parts.pending.apply(o);
      for (const o of outcomes) this.settle(this.dispatch(o), ts, result, 1);
    }
    return result;
  }

  react(event: AnyEvent): DerivedEvent[] {
    const { supervisor } = this.parts;
    const result: DerivedEvent[] = [];
    // What the exchange says of a live order reaches its strategy as a paper broker's answer would.
    const answer = event.type === 'exchange_fill' || event.type === 'order_update' ? asStrategyAnswer(event) : null;
    if (answer) this.settle(this.dispatch(answer), event.ts, result, 0);
    for (const late of this.parts.broker.onInput?.(event) ?? []) this.answerLater(late, result);
    if (supervisor.wants(event.type)) this.settle(this.dispatch(event), event.ts, result, 0);
    return result;
  }

  /** A paper answer to an order sent earlier: booked, logged, and handed to its strategy like any other. */
  private answerLater(outcome: BrokerResult, result: DerivedEvent[]): void {
    if (outcome.type === 'fill' || outcome.type === 'risk_rejection') this.parts.portfolio.apply(outcome);
    result.push(outcome);
    this.parts.pending.apply(outcome);
    this.settle(this.dispatch(outcome), outcome.ts, result, 1);
  }

  private dispatch(event: AnyEvent): DerivedEvent[] {
    this.dispatchTs = event.ts;
    return this.parts.supervisor.dispatch(event, this.contextAtDispatch);
  }

  /** The event time of the event being dispatched, for `contextAtDispatch` (bound once, not a closure per event). */
  private dispatchTs = 0;
  private readonly contextAtDispatch = (strategy: Strategy): StrategyContext => this.contextFor(strategy, this.dispatchTs);

  /** The strategy's context at `now`: one object for every event of the same ms (a context is read, never written). */
  private contextFor(strategy: Strategy, now: number): StrategyContext {
    const last = this.contexts.get(strategy.name);
    if (last !== undefined && last.now === now) return last;
    let position = last?.position;
    if (position === undefined) {
      const { portfolio } = this.parts;
      position = (tokenId) => dec(portfolio.shares(strategy.name, tokenId));
    }
    const ctx: StrategyContext = { now, markets: this.parts.markets, position };
    this.contexts.set(strategy.name, ctx);
    return ctx;
  }

  /** Appends the strategies' outputs to `result`, each order intent followed by its outcome and what that causes. */
  private settle(outputs: DerivedEvent[], ts: number, result: DerivedEvent[], depth: number): void {
    if (depth > MAX_DEPTH) throw new Error(`trading: more than ${MAX_DEPTH} rounds of orders from one event; a strategy keeps reordering on its own fills`);
    if (outputs.length === 0) return;
    const done = new Set<string>();
    let cancelsSent = false;
    for (const e of outputs) {
      if (e.type === 'cancel_intent') {
        if (cancelsSent) continue;
        cancelsSent = true;
        // The reaction's cancels go to the broker together (one batch at the venue).
        const cancels = outputs.filter((o): o is CancelIntentEvent => o.type === 'cancel_intent');
        const outcomes = this.cancelOrders(cancels, ts);
        result.push(...cancels, ...outcomes);
        for (const outcome of outcomes) this.parts.pending.apply(outcome);
        for (const outcome of outcomes) this.settle(this.dispatch(outcome), ts, result, depth + 1);
        continue;
      }
      if (e.type !== 'order_intent') {
        result.push(e);
        continue;
      }
      if (done.has(e.orderId)) continue;
      const group = e.groupId === null ? [e] : outputs.filter((o): o is OrderIntentEvent => o.type === 'order_intent' && o.groupId === e.groupId);
      for (const g of group) done.add(g.orderId);
      const outcomes = this.executeOrders(group, ts);
      result.push(...group, ...outcomes);
      for (const logged of [...group, ...outcomes]) this.parts.pending.apply(logged);
      for (const outcome of outcomes) this.settle(this.dispatch(outcome), ts, result, depth + 1);
    }
  }

  /** The cancels risk lets through (orders of the asking strategy not yet ended) to the broker; what it answers now. */
  private cancelOrders(cancels: CancelIntentEvent[], ts: number): BrokerResult[] {
    const sendable = cancels.filter((c) => checkCancel(c, this.parts.pending));
    return sendable.length > 0 ? (this.parts.broker.cancel?.(sendable, ts) ?? []) : [];
  }

  /** Risk-checks the orders now and sends them: the outcomes now, or none until they reach the book (`wake`). */
  private executeOrders(intents: OrderIntentEvent[], ts: number): DerivedEvent[] {
    const { markets, portfolio, pending, broker, limits } = this.parts;
    for (const intent of intents) portfolio.apply(intent);
    const contextOf = (tokenId: string) => marketContext(markets, tokenId);
    const state = withPendingOrders(portfolio, pending);
    const verdicts = intents.length === 1 ? [checkOrder(intents[0], state, contextOf(intents[0].tokenId), limits, ts)] : checkGroup(intents, state, contextOf, limits, ts);
    const rejected = verdicts.map((v, i) => (v.ok ? null : riskRejection(intents[i], v, ts))).filter((r) => r !== null);
    if (rejected.length > 0) {
      for (const r of rejected) portfolio.apply(r);
      return rejected;
    }
    const delay = Math.max(0, ...intents.map((i) => broker.arrivalDelayMs?.(i, contextOf(i.tokenId)) ?? 0));
    if (delay === 0) return this.fillAtBook(intents, ts);
    const due = ts + delay;
    let at = this.inFlight.length;
    while (at > 0 && this.inFlight[at - 1].due > due) at--;
    this.inFlight.splice(at, 0, { due, intents });
    return [];
  }

  private fillAtBook(intents: OrderIntentEvent[], ts: number): DerivedEvent[] {
    const { markets, portfolio, broker } = this.parts;
    const contextOf = (tokenId: string) => marketContext(markets, tokenId);
    const results = intents.length === 1 ? [broker.execute(intents[0], contextOf(intents[0].tokenId), ts)].filter((r) => r !== null) : broker.executeGroup(intents, contextOf, ts);
    for (const r of results) if (r.type === 'fill' || r.type === 'risk_rejection') portfolio.apply(r);
    return results;
  }
}
