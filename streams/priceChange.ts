import { defer, map, type OperatorFunction } from 'rxjs';
import type { TradeEvent } from '../events/types';
import { TimeRing } from './timeRing';

export interface PriceChangeParams {
  /** The change is measured against the last price at or before `ts - windowMs`. */
  windowMs: number;
}

/**
 * The relative price change of one symbol over a time window, by event time:
 * `(price - ref) / ref` where `ref` is the last price at or before `ts - windowMs`. There is no value
 * until `windowMs` of history exist. It keeps the reference entry and the entries after it only.
 *
 * Time is taken as monotonic: a trade stamped earlier than the one before it is treated as if it
 * happened at the previous trade's time (trades arrive ordered by (T, trade id) per symbol).
 */
export class PriceChangeWindow {
  private readonly ring = new TimeRing();
  private lastTs = -Infinity;

  constructor(private readonly windowMs: number) {}

  /** Adds a trade; returns its change against the reference price, or null without enough history. */
  update(ts: number, price: number): number | null {
    const t = ts < this.lastTs ? this.lastTs : ts;
    this.lastTs = t;
    const cutoff = t - this.windowMs;
    const ring = this.ring;
    // Keep the newest entry at or before the cutoff (the reference) and every entry after it.
    while (ring.length >= 2 && ring.timeAt(1) <= cutoff) ring.shift();
    let change: number | null = null;
    if (ring.length > 0 && ring.timeAt(0) <= cutoff) {
      const ref = ring.valueAt(0);
      change = (price - ref) / ref;
    }
    ring.push(t, price);
    return change;
  }

  /** Entries held (for memory checks). */
  get held(): number {
    return this.ring.length;
  }
}

export interface PriceChange {
  trade: TradeEvent;
  /** Null until `windowMs` of history exist for the trade's symbol. */
  change: number | null;
}

/** Each trade with its price change over the window, per symbol. Fresh state per subscription. */
export function priceChange(params: PriceChangeParams): OperatorFunction<TradeEvent, PriceChange> {
  return (source) =>
    defer(() => {
      const windows = new Map<string, PriceChangeWindow>();
      return source.pipe(
        map((trade) => {
          let w = windows.get(trade.symbol);
          if (w === undefined) windows.set(trade.symbol, (w = new PriceChangeWindow(params.windowMs)));
          return { trade, change: w.update(trade.ts, Number(trade.price)) };
        }),
      );
    });
}
