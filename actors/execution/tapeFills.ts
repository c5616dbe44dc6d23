import Big from 'big.js';
import { makeEvent, type AnyEvent, type CancelIntentEvent, type FillEvent, type LastTradeEvent, type OrderIntentEvent, type RiskRejectionEvent } from '../../events/types';
import type { Broker } from './broker';
import { dec } from '../../domain/decimal';
import { fillFee } from '../../domain/fees';
import type { MarketContext } from './marketContext';

/**
 * Fills on markets whose prices are a trade tape only (no book was recorded): docs/backtest.md,
 * "Tape fills". An order waits `latencyMs` (it is on its way), then for `windowMs` it fills only from
 * prints that trade through its price: a BUY at limit L from prints below L, a SELL from prints above
 * L, each fill at L (the order's own price; a print at L does not fill: the queue ahead is unknown),
 * at most the print's size less what earlier orders of this backtest took from it. What is left when
 * the window closes ends with a `tape_unfilled` rejection. Nothing is invented: no print, no fill.
 * Fills are marked `model: "tape"`; they arrive after the order, one per print, as live fills do.
 */
export interface TapeFillOptions {
  latencyMs: number;
  windowMs: number;
}

interface Resting {
  intent: OrderIntentEvent;
  market: MarketContext;
  from: number;
  until: number;
  left: Big;
  filled: Big;
}

export class TapeFills {
  private resting: Resting[] = [];
  /** What orders took from the print at (token, seq): one print fills several orders at most once over. */
  private takenFromPrint = new Map<string, Big>();

  constructor(private readonly options: TapeFillOptions) {}

  /** Takes an order on a tape-only market; it is answered later by `onInput`. */
  accept(intent: OrderIntentEvent, market: MarketContext, ts: number): void {
    const from = ts + this.options.latencyMs;
    this.resting.push({ intent, market, from, until: from + this.options.windowMs, left: new Big(intent.size), filled: new Big(0) });
  }

  /** Orders are waiting for prints (the engine must keep offering input events). */
  get waiting(): number {
    return this.resting.length;
  }

  /** Takes resting orders off the tape: each ends with a `cancelled` rejection for what it had not filled. */
  cancel(cancels: readonly CancelIntentEvent[], ts: number): RiskRejectionEvent[] {
    const ids = new Set(cancels.map((c) => c.orderId));
    const out = this.resting.filter((r) => ids.has(r.intent.orderId)).map((r) => ended(r, ts, 'cancelled', `cancelled: filled ${dec(r.filled)} of ${r.intent.size} on the tape`));
    this.resting = this.resting.filter((r) => !ids.has(r.intent.orderId));
    return out;
  }

  /** Fills from a print, and the rejections of orders whose window closed before this event. */
  onInput(event: AnyEvent): (FillEvent | RiskRejectionEvent)[] {
    if (this.resting.length === 0) return [];
    const out: (FillEvent | RiskRejectionEvent)[] = [];
    for (const r of this.resting) {
      if (event.ts > r.until) {
        out.push(expired(r, event.ts, this.options.windowMs));
        r.left = new Big(0);
      }
    }
    if (event.type === 'last_trade') for (const r of this.resting) if (r.left.gt(0)) this.match(r, event, out);
    this.resting = this.resting.filter((r) => r.left.gt(0));
    return out;
  }

  private match(r: Resting, print: LastTradeEvent, out: (FillEvent | RiskRejectionEvent)[]): void {
    const { intent } = r;
    if (print.tokenId !== intent.tokenId || print.ts < r.from) return;
    const price = new Big(intent.price);
    const through = intent.side === 'BUY' ? new Big(print.price).lt(price) : new Big(print.price).gt(price);
    if (!through) return;
    const key = `${print.tokenId}#${print.seq}`;
    const taken = this.takenFromPrint.get(key) ?? new Big(0);
    const available = new Big(print.size).minus(taken);
    const size = (r.left.lt(available) ? r.left : available).round(2, Big.roundDown);
    if (size.lte(0)) return;
    this.takenFromPrint.set(key, taken.plus(size));
    r.left = r.left.minus(size);
    r.filled = r.filled.plus(size);
    out.push(
      makeEvent('fill', print.ts, {
        orderId: intent.orderId,
        strategy: intent.strategy,
        marketId: intent.marketId,
        tokenId: intent.tokenId,
        side: intent.side,
        price: intent.price,
        size: dec(size),
        fee: dec(fillFee(r.market.info, [{ price, size }])),
        // One of possibly several, as a live fill: the strategy counts them up to the order's size.
        partial: false,
        model: 'tape',
      }),
    );
  }
}

/** A market whose prices are a tape only: trades seen, no book. */
export function tapeOnly(market: MarketContext | undefined): market is MarketContext {
  return market !== undefined && market.book === null && market.lastTradeTs !== null;
}

/**
 * The paper broker with tape fills: orders on tape-only markets go to `TapeFills` (answered later,
 * through `onInput`); everything else to the book-walking broker as before. A group (all legs or
 * none) cannot be promised from a tape, so a group with a tape-only leg is rejected.
 */
export class TapeAwareBroker implements Broker {
  readonly tape: TapeFills;
  get sendsToVenue(): boolean {
    return this.inner.sendsToVenue;
  }

  /** `windowMs` only: the order's latency is the inner broker's `arrivalDelayMs`, applied by the trading reactor before `execute`. */
  constructor(
    private readonly inner: Broker,
    options: { windowMs: number },
  ) {
    this.tape = new TapeFills({ latencyMs: 0, windowMs: options.windowMs });
  }

  arrivalDelayMs(intent: OrderIntentEvent, market: MarketContext | undefined): number {
    return this.inner.arrivalDelayMs?.(intent, market) ?? 0;
  }

  execute(intent: OrderIntentEvent, market: MarketContext | undefined, ts: number) {
    if (!tapeOnly(market)) return this.inner.execute(intent, market, ts);
    this.tape.accept(intent, market, ts);
    return null;
  }

  executeGroup(intents: readonly OrderIntentEvent[], market: (tokenId: string) => MarketContext | undefined, ts: number) {
    const tapeLeg = intents.find((i) => tapeOnly(market(i.tokenId)));
    if (!tapeLeg) return this.inner.executeGroup(intents, market, ts);
    const detail = `leg ${tapeLeg.orderId} is on a tape-only market (no book recorded): a tape cannot fill all legs or none`;
    return intents.map((i) => makeEvent('risk_rejection', ts, { orderId: i.orderId, strategy: i.strategy, reason: 'no_book', detail }));
  }

  /** Paper book orders never rest (they end when they reach the book); tape orders rest until their window closes. */
  cancel(cancels: readonly CancelIntentEvent[], ts: number) {
    return [...this.tape.cancel(cancels, ts), ...(this.inner.cancel?.(cancels, ts) ?? [])];
  }

  onInput(event: AnyEvent) {
    return this.tape.onInput(event);
  }
}

function expired(r: Resting, ts: number, windowMs: number): RiskRejectionEvent {
  return ended(r, ts, 'tape_unfilled', `tape-only market: filled ${dec(r.filled)} of ${r.intent.size}; no more prints through ${r.intent.price} within ${windowMs} ms`);
}

function ended(r: Resting, ts: number, reason: string, detail: string): RiskRejectionEvent {
  return makeEvent('risk_rejection', ts, { orderId: r.intent.orderId, strategy: r.intent.strategy, reason, detail });
}
